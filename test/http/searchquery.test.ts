import { describe, expect, it } from 'vitest';

import {
  DATE_LAYOUT,
  QueryParamParser,
  RFC3339_NANO_LAYOUT,
  type QueryValues,
  enumParser,
  goParseTime,
  organizationNotFoundValidation,
  parseAuditQuery,
  parseMembersQuery,
  parseUsersQuery,
  queryValuesFromRaw,
  searchTerms,
  splitQueryParameterByDelimiter,
} from '../../src/http/searchquery.js';

const addTo = (key: string) => (term: string, values: QueryValues) => {
  const list = values.get(key) ?? [];
  list.push(term);
  values.set(key, list);
  return null;
};

const valuesOf = (q: string) => {
  const r = searchTerms(q, addTo('search'));
  if (!r.ok) throw new Error(JSON.stringify(r.validations));
  return Object.fromEntries(r.values);
};

function mustFilter<T>(r: { ok: true; filter: T } | { ok: false; validations: unknown }): T {
  if (!r.ok) throw new Error(`unexpected validations: ${JSON.stringify(r.validations)}`);
  return r.filter;
}

function mustFail(r: { ok: true; filter: unknown } | { ok: false; validations: { field: string; detail: string }[] }) {
  if (r.ok) throw new Error(`expected validations, got ${JSON.stringify(r.filter)}`);
  return r.validations;
}

describe('tokenizer', () => {
  it('splits on spaces, keeping quoted phrases together', () => {
    expect(splitQueryParameterByDelimiter('a  b "c d" e', ' ', true)).toEqual(['a', 'b', '"c d"', 'e']);
    expect(splitQueryParameterByDelimiter('   ', ' ', true)).toEqual([]);
    expect(splitQueryParameterByDelimiter('key:"a:b"', ':', false)).toEqual(['key', 'a:b']);
    expect(splitQueryParameterByDelimiter('"key":value', ':', false)).toEqual(['key', 'value']);
  });

  it('turns key:value elements into values and joins the free text into the default key', () => {
    expect(valuesOf('status:active alice role:owner smith')).toEqual({
      status: ['active'],
      role: ['owner'],
      search: ['alice smith'],
    });
    expect(valuesOf('   user-name    ')).toEqual({ search: ['user-name'] });
    expect(valuesOf('')).toEqual({});
  });

  it('lower-cases keys but not values, and unquotes both', () => {
    expect(valuesOf('STATUS:Active "Role":"Owner X"')).toEqual({ status: ['Active'], role: ['Owner X'] });
  });

  it('keeps repeated keys as several values', () => {
    expect(valuesOf('status:active status:dormant')).toEqual({ status: ['active', 'dormant'] });
  });

  it('keeps colons inside quotes', () => {
    expect(valuesOf('search:"user:name"')).toEqual({ search: ['user:name'] });
    expect(valuesOf('"name":"foo:bar:baz"')).toEqual({ name: ['foo:bar:baz'] });
  });

  it('removes double quotes from free text', () => {
    expect(valuesOf('"john doe" smith')).toEqual({ search: ['john doe smith'] });
  });

  it('rejects elements starting or ending with a colon', () => {
    expect(searchTerms(':foo', addTo('search'))).toEqual({
      ok: false,
      validations: [{ field: 'q', detail: `Query element ":foo" cannot start or end with ':'` }],
    });
    expect(searchTerms('status:', addTo('search'))).toEqual({
      ok: false,
      validations: [{ field: 'q', detail: `Query element "status:" cannot start or end with ':'` }],
    });
  });

  it('rejects elements with more than one colon', () => {
    expect(searchTerms('search:name:extra', addTo('search'))).toEqual({
      ok: false,
      validations: [{ field: 'q', detail: `Query element "search:name:extra" can only contain 1 ':'` }],
    });
  });

  it('reports a default-key refusal on field q', () => {
    expect(searchTerms('nope', () => 'no search key specified')).toEqual({
      ok: false,
      validations: [{ field: 'q', detail: 'no search key specified' }],
    });
  });
});

describe('goParseTime', () => {
  const ok = (layout: string, value: string) => {
    const r = goParseTime(layout, value);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const err = (layout: string, value: string) => {
    const r = goParseTime(layout, value);
    if (r.ok) throw new Error(`parsed ${value}`);
    return r.error;
  };

  it('parses dates and RFC 3339 timestamps to UTC', () => {
    expect(ok(DATE_LAYOUT, '2024-02-29').date.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(ok(RFC3339_NANO_LAYOUT, '2023-01-01T10:00:00Z').date.toISOString()).toBe('2023-01-01T10:00:00.000Z');
    const t = ok(RFC3339_NANO_LAYOUT, '2023-01-01T10:00:00.123456789+02:00');
    expect(t.date.toISOString()).toBe('2023-01-01T08:00:00.123Z');
    expect(t.nanosecond).toBe(123456789);
    expect(ok(RFC3339_NANO_LAYOUT, '2023-06-30T23:30:00-01:30').date.toISOString()).toBe('2023-07-01T01:00:00.000Z');
    expect(ok(RFC3339_NANO_LAYOUT, '0005-01-01T00:00:00Z').date.toISOString()).toBe('0005-01-01T00:00:00.000Z');
  });

  it('reproduces Go’s error texts', () => {
    expect(err(DATE_LAYOUT, '2006')).toBe('parsing time "2006" as "2006-01-02": cannot parse "" as "-"');
    expect(err(DATE_LAYOUT, '2023-1-01')).toBe('parsing time "2023-1-01" as "2006-01-02": cannot parse "1-01" as "01"');
    expect(err(DATE_LAYOUT, '20a3-01-01')).toBe('parsing time "20a3-01-01" as "2006-01-02": cannot parse "20a3-01-01" as "2006"');
    expect(err(DATE_LAYOUT, '2023-13-01')).toBe('parsing time "2023-13-01": month out of range');
    expect(err(DATE_LAYOUT, '2023-02-29')).toBe('parsing time "2023-02-29": day out of range');
    expect(err(DATE_LAYOUT, '2023-01-01x')).toBe('parsing time "2023-01-01x": extra text: "x"');
    expect(err(RFC3339_NANO_LAYOUT, '2023-01-01')).toBe(
      'parsing time "2023-01-01" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "T"',
    );
    expect(err(RFC3339_NANO_LAYOUT, '2023-01-01T10:00:00')).toBe(
      'parsing time "2023-01-01T10:00:00" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "Z07:00"',
    );
    expect(err(RFC3339_NANO_LAYOUT, '2023-01-01T10:00:00+0200')).toBe(
      'parsing time "2023-01-01T10:00:00+0200" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "+0200" as "Z07:00"',
    );
    expect(err(RFC3339_NANO_LAYOUT, '2023-01-01T25:00:00Z')).toBe('parsing time "2023-01-01T25:00:00Z": hour out of range');
    expect(err(RFC3339_NANO_LAYOUT, '2023-01-01T10:61:00Z')).toBe('parsing time "2023-01-01T10:61:00Z": minute out of range');
    expect(err(RFC3339_NANO_LAYOUT, 'é')).toBe(
      'parsing time "\\xc3\\xa9" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "\\xc3\\xa9" as "2006"',
    );
  });
});

describe('QueryParamParser', () => {
  const vals = (o: Record<string, string | string[]>) => queryValuesFromRaw(o);

  it('returns defaults for absent or empty parameters', () => {
    const p = new QueryParamParser();
    expect(p.string(vals({}), 'def', 'a')).toBe('def');
    expect(p.int(vals({ b: '' }), 7, 'b')).toBe(7);
    expect(p.errors).toEqual([]);
  });

  it('flags parameters given more than once', () => {
    const p = new QueryParamParser();
    expect(p.string(vals({ name: ['a', 'b', 'c'] }), '', 'name')).toBe('');
    expect(p.errors).toEqual([
      {
        field: 'name',
        detail: 'Query param "name" provided more than once, found 3 times. Only provide 1 instance of this query param.',
      },
    ]);
  });

  it('parses every supported type with Coder’s messages', () => {
    const p = new QueryParamParser();
    const v = vals({ i: 'x', u: 'nope', b: 'maybe', n: '2', e: 'z', l: 'a,z,y' });
    p.int(v, 0, 'i');
    p.uuid(v, null, 'u');
    p.boolean(v, false, 'b');
    expect(p.int(v, 0, 'n')).toBe(2);
    p.custom(v, null, 'e', enumParser(['a', 'b'] as const));
    p.customList(v, [], 'l', enumParser(['a', 'b'] as const));
    expect(p.errors).toEqual([
      { field: 'i', detail: 'Query param "i" must be a valid integer: strconv.Atoi: parsing "x": invalid syntax' },
      { field: 'u', detail: 'Query param "u" must be a valid uuid' },
      { field: 'b', detail: 'Query param "b" must be a valid boolean: strconv.ParseBool: parsing "maybe": invalid syntax' },
      { field: 'e', detail: 'Query param "e" has invalid value: "z" is not a valid value' },
      { field: 'l', detail: 'Query param "l" has invalid values: "z" is not a valid value\n"y" is not a valid value' },
    ]);
  });

  it('enforces required parameters and reports unknown ones', () => {
    const p = new QueryParamParser().requiredNotEmpty('template_id');
    const v = vals({ extra: '1', other: '2' });
    p.uuid(v, null, 'template_id');
    p.errorExcessParams(v);
    expect(p.errors).toEqual([
      { field: 'template_id', detail: 'Query param "template_id" is required and cannot be empty' },
      { field: 'extra', detail: '"extra" is not a valid query param' },
      { field: 'other', detail: '"other" is not a valid query param' },
    ]);
  });

  it('reads uuids lists, trimming items', () => {
    const p = new QueryParamParser();
    expect(p.uuids(vals({ ids: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11, a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12' }), [], 'ids')).toEqual([
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
    ]);
    expect(p.errors).toEqual([]);
  });
});

describe('parseUsersQuery', () => {
  const empty = {
    search: '',
    name: '',
    username: '',
    email: '',
    status: [],
    serviceAccount: null,
    role: [],
    lastSeenAfter: null,
    lastSeenBefore: null,
    createdAfter: null,
    createdBefore: null,
    githubComUserId: null,
    loginType: [],
  };

  it('returns no filter for an empty query', () => {
    expect(mustFilter(parseUsersQuery(''))).toEqual(empty);
    expect(mustFilter(parseUsersQuery(undefined))).toEqual(empty);
  });

  it('lower-cases the query and sends free text to search', () => {
    expect(mustFilter(parseUsersQuery('usEr-name stAtus:actiVe'))).toEqual({ ...empty, search: 'user-name', status: ['active'] });
    expect(mustFilter(parseUsersQuery('status:acTIve sEArch:User-Name role:Owner'))).toEqual({
      ...empty,
      search: 'user-name',
      status: ['active'],
      role: ['owner'],
    });
    expect(mustFilter(parseUsersQuery(`status:SuSpenDeD sEArch:"User Name" role:meMber`))).toEqual({
      ...empty,
      search: 'user name',
      status: ['suspended'],
      role: ['member'],
    });
    expect(mustFilter(parseUsersQuery(`"status":acTIve "sEArch":User-Name "role":Owner`))).toEqual({
      ...empty,
      search: 'user-name',
      status: ['active'],
      role: ['owner'],
    });
    expect(mustFilter(parseUsersQuery('status:active role:owner alice'))).toEqual({
      ...empty,
      search: 'alice',
      status: ['active'],
      role: ['owner'],
    });
  });

  it('accepts repeated and comma-separated list keys', () => {
    expect(mustFilter(parseUsersQuery('status:active status:dormant,suspended login_type:oidc,password role:owner,auditor'))).toEqual({
      ...empty,
      status: ['active', 'dormant', 'suspended'],
      loginType: ['oidc', 'password'],
      role: ['owner', 'auditor'],
    });
  });

  it('parses names, exact username and email, booleans, ids and times', () => {
    const f = mustFilter(
      parseUsersQuery(
        'name:ada username:Alice email:alice@example.com service_account:true github_com_user_id:12345 ' +
          'created_after:"2023-01-01T00:00:00Z" created_before:"2024-01-01t00:00:00.5+01:00" ' +
          'last_seen_after:"2023-06-01T00:00:00Z" last_seen_before:"2023-07-01T00:00:00Z"',
      ),
    );
    expect(f).toEqual({
      ...empty,
      name: 'ada',
      username: 'alice',
      email: 'alice@example.com',
      serviceAccount: true,
      githubComUserId: '12345',
      createdAfter: new Date('2023-01-01T00:00:00Z'),
      createdBefore: new Date('2023-12-31T23:00:00.500Z'),
      lastSeenAfter: new Date('2023-06-01T00:00:00Z'),
      lastSeenBefore: new Date('2023-07-01T00:00:00Z'),
    });
    expect(mustFilter(parseUsersQuery('github_com_user_id:0')).githubComUserId).toBeNull();
    expect(mustFilter(parseUsersQuery('service_account:f')).serviceAccount).toBe(false);
  });

  it('rejects unquoted timestamps, because their colons split the element', () => {
    expect(mustFail(parseUsersQuery('created_after:2023-01-01T00:00:00Z'))).toEqual([
      { field: 'q', detail: `Query element "created_after:2023-01-01t00:00:00z" can only contain 1 ':'` },
    ]);
  });

  it('reports every bad key at once, in Coder’s order, unknown keys last', () => {
    expect(mustFail(parseUsersQuery('foo:bar status:inActive github_com_user_id:x created_after:2023 service_account:maybe'))).toEqual([
      { field: 'status', detail: 'Query param "status" has invalid values: "inactive" is not a valid value' },
      { field: 'service_account', detail: 'Query param "service_account" must be a valid boolean: strconv.ParseBool: parsing "maybe": invalid syntax' },
      {
        field: 'created_after',
        detail:
          'Query param "created_after" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): parsing time "2023" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "" as "-"',
      },
      {
        field: 'github_com_user_id',
        detail: 'Query param "github_com_user_id" must be a valid 64-bit integer: strconv.ParseInt: parsing "x": invalid syntax',
      },
      { field: 'foo', detail: '"foo" is not a valid query param' },
    ]);
  });

  it('names all bad values of a list', () => {
    expect(mustFail(parseUsersQuery('status:foo,active,bar'))).toEqual([
      { field: 'status', detail: 'Query param "status" has invalid values: "foo" is not a valid value\n"bar" is not a valid value' },
    ]);
    expect(mustFail(parseUsersQuery('login_type:saml'))).toEqual([
      { field: 'login_type', detail: 'Query param "login_type" has invalid values: "saml" is not a valid value' },
    ]);
  });

  it('refuses a single-valued key given twice', () => {
    expect(mustFail(parseUsersQuery('search:a search:b'))).toEqual([
      {
        field: 'search',
        detail: 'Query param "search" provided more than once, found 2 times. Only provide 1 instance of this query param.',
      },
    ]);
    // A quoted free-text element with a colon is free text too, so search ends up given twice.
    expect(mustFail(parseUsersQuery('alice "a:b"'))[0].field).toBe('search');
  });

  it('passes grammar errors through on field q', () => {
    expect(mustFail(parseUsersQuery('search:name:extra'))).toEqual([
      { field: 'q', detail: `Query element "search:name:extra" can only contain 1 ':'` },
    ]);
    expect(mustFail(parseUsersQuery('role:'))).toEqual([{ field: 'q', detail: `Query element "role:" cannot start or end with ':'` }]);
  });
});

describe('parseMembersQuery', () => {
  const none = { userId: null, includeSystem: false, githubUserId: null };

  it('returns no filter for an empty or blank query', () => {
    expect(mustFilter(parseMembersQuery(''))).toEqual(none);
    expect(mustFilter(parseMembersQuery('   '))).toEqual(none);
    expect(mustFilter(parseMembersQuery(undefined))).toEqual(none);
  });

  it('parses its three keys', () => {
    expect(
      mustFilter(parseMembersQuery('user_id:A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11 github_user_id:42 include_system:true')),
    ).toEqual({ userId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', githubUserId: '42', includeSystem: true });
    expect(mustFilter(parseMembersQuery('user_id:00000000-0000-0000-0000-000000000000'))).toEqual(none);
  });

  it('treats a bare key name as that key left empty', () => {
    expect(mustFilter(parseMembersQuery('user_id'))).toEqual(none);
    expect(mustFilter(parseMembersQuery('include_system'))).toEqual(none);
    expect(mustFilter(parseMembersQuery('github_user_id'))).toEqual(none);
  });

  it('refuses any other bare term', () => {
    expect(mustFail(parseMembersQuery('alice'))).toEqual([{ field: 'q', detail: 'invalid search term: alice' }]);
    // Free text is joined before it reaches the default key.
    expect(mustFail(parseMembersQuery('user_id include_system'))).toEqual([
      { field: 'q', detail: 'invalid search term: user_id include_system' },
    ]);
  });

  it('is not lower-cased', () => {
    expect(mustFail(parseMembersQuery('User_Id'))).toEqual([{ field: 'q', detail: 'invalid search term: User_Id' }]);
    // Lower-cased, "tRUE" would have parsed as "true".
    expect(mustFail(parseMembersQuery('include_system:tRUE'))).toEqual([
      { field: 'include_system', detail: 'Query param "include_system" must be a valid boolean: strconv.ParseBool: parsing "tRUE": invalid syntax' },
    ]);
    expect(mustFilter(parseMembersQuery('INCLUDE_SYSTEM:True')).includeSystem).toBe(true);
  });

  it('reports bad values and unknown keys', () => {
    expect(mustFail(parseMembersQuery('user_id:abc github_user_id:1.5 include_system:yes status:active'))).toEqual([
      { field: 'user_id', detail: 'Query param "user_id" must be a valid uuid' },
      { field: 'include_system', detail: 'Query param "include_system" must be a valid boolean: strconv.ParseBool: parsing "yes": invalid syntax' },
      { field: 'github_user_id', detail: 'Query param "github_user_id" must be a valid 64-bit integer: strconv.ParseInt: parsing "1.5": invalid syntax' },
      { field: 'status', detail: '"status" is not a valid query param' },
    ]);
  });
});

describe('parseAuditQuery', () => {
  const none = {
    requestId: null,
    resourceId: null,
    resourceTarget: null,
    username: null,
    email: null,
    dateFrom: null,
    dateTo: null,
    organization: null,
    resourceType: null,
    action: null,
    buildReason: null,
  };

  it('returns no filter for an empty query', () => {
    expect(mustFilter(parseAuditQuery(''))).toEqual(none);
  });

  it('treats free text as the resource type', () => {
    expect(mustFilter(parseAuditQuery('User'))).toEqual({ ...none, resourceType: 'user' });
    expect(mustFilter(parseAuditQuery('organization_member action:write'))).toEqual({
      ...none,
      resourceType: 'organization_member',
      action: 'write',
    });
  });

  it('parses every key', () => {
    const f = mustFilter(
      parseAuditQuery(
        'request_id:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 resource_id:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12 ' +
          'resource_target:Alice username:me email:a@b.co date_from:2024-01-01 date_to:2024-01-31 ' +
          'organization:Coder resource_type:api_key action:login build_reason:autostart',
      ),
    );
    expect(f).toEqual({
      requestId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      resourceId: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
      resourceTarget: 'alice',
      username: 'me',
      email: 'a@b.co',
      dateFrom: new Date('2024-01-01T00:00:00.000Z'),
      dateTo: new Date('2024-01-31T23:59:59.999Z'),
      organization: { name: 'coder' },
      resourceType: 'api_key',
      action: 'login',
      buildReason: 'autostart',
    });
    expect(mustFilter(parseAuditQuery('organization:A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11')).organization).toEqual({
      id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    });
  });

  it('accepts every audit action and the in-scope resource types', () => {
    for (const action of ['create', 'write', 'delete', 'start', 'stop', 'login', 'logout', 'register', 'request_password_reset']) {
      expect(mustFilter(parseAuditQuery(`action:${action}`)).action).toBe(action);
    }
    for (const type of ['user', 'organization', 'organization_member', 'custom_role', 'group', 'api_key', 'convert_login']) {
      expect(mustFilter(parseAuditQuery(type)).resourceType).toBe(type);
    }
  });

  it('reports bad values with Coder’s messages', () => {
    expect(mustFail(parseAuditQuery('request_id:x date_from:2006 date_to:2024-02-30 resource_type:bogus action:nope build_reason:why foo:bar'))).toEqual([
      { field: 'request_id', detail: 'Query param "request_id" must be a valid uuid' },
      {
        field: 'date_from',
        detail: 'Query param "date_from" must be a valid date format (2006-01-02): parsing time "2006" as "2006-01-02": cannot parse "" as "-"',
      },
      { field: 'date_to', detail: 'Query param "date_to" must be a valid date format (2006-01-02): parsing time "2024-02-30": day out of range' },
      { field: 'resource_type', detail: 'Query param "resource_type" has invalid value: "bogus" is not a valid value' },
      { field: 'action', detail: 'Query param "action" has invalid value: "nope" is not a valid value' },
      { field: 'build_reason', detail: 'Query param "build_reason" has invalid value: "why" is not a valid value' },
      { field: 'foo', detail: '"foo" is not a valid query param' },
    ]);
    expect(mustFail(parseAuditQuery('user group'))).toEqual([
      { field: 'resource_type', detail: 'Query param "resource_type" has invalid value: "user group" is not a valid value' },
    ]);
  });

  it('builds the unknown-organization validation', () => {
    expect(organizationNotFoundValidation('nope')).toEqual({
      field: 'organization',
      detail: 'Query param "organization" has invalid value: organization "nope" either does not exist, or you are unauthorized to view it',
    });
  });
});

describe('queryValuesFromRaw', () => {
  it('keeps arrays, wraps strings and skips missing values', () => {
    expect([...queryValuesFromRaw({ a: 'x', b: ['y', 'z'], c: undefined })]).toEqual([
      ['a', ['x']],
      ['b', ['y', 'z']],
    ]);
    expect(queryValuesFromRaw(null).size).toBe(0);
  });
});
