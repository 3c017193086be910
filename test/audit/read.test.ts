// GET /api/v2/audit: the entry shape (description, link, is_deleted, user, organization), the `q`
// grammar and its errors, newest-first pages with limit/offset and the after_id cursor, the capped
// count, and who sees what (owner, auditor, org auditor, org admin, member).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer } from '../helpers/server.js';
import { defaultOrgId, makeUser, type TestUser } from '../helpers/users.js';
import { appendAuditEntry } from '../../src/audit/recorder.js';
import { AUDIT_COUNT_CAP } from '../../src/audit/read.js';
import { entry } from './helpers.js';

const FORBIDDEN = {
  message: 'Forbidden.',
  detail: "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.",
};
const NIL = '00000000-0000-0000-0000-000000000000';

let server: TestServer;
let api: Api;
let owner: Session;
let auditor: TestUser;
let orgAuditor: TestUser;
let orgAdmin: TestUser;
let member: TestUser;
let orgA: string;
let orgB: string;
const e: Record<string, { id: string; requestId: string; resourceId: string }> = {};

const sql = (q: string, params: unknown[] = []) => server.database.pool.query(q, params);

async function seed(name: string, fields: Parameters<typeof entry>[0]): Promise<void> {
  const base = entry(fields);
  const id = await appendAuditEntry(server.database.db, base);
  e[name] = { id, requestId: base.requestId, resourceId: base.resourceId };
}

async function list(token: string, query = ''): Promise<{ status: number; body: any }> {
  const res = await api('GET', `/api/v2/audit${query ? `?${query}` : ''}`, { token });
  return { status: res.statusCode, body: res.json() };
}

const q = (search: string, extra = '') => `q=${encodeURIComponent(search)}${extra ? `&${extra}` : ''}`;
const idsOf = (body: any): string[] => body.audit_logs.map((l: { id: string }) => l.id);

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  owner = await createFirstUser(server.app);
  orgA = await defaultOrgId(server);
  orgB = (await sql(`INSERT INTO organizations (id, name, display_name, icon) VALUES (gen_random_uuid(), 'second', 'Second', '/emojis/2.png') RETURNING id`)).rows[0].id;
  auditor = await makeUser(server, { username: 'site-auditor', siteRoles: ['auditor'] });
  orgAuditor = await makeUser(server, { username: 'org-auditor', orgs: { [orgB]: ['organization-auditor'] } });
  orgAdmin = await makeUser(server, { username: 'org-admin', orgs: { [orgB]: ['organization-admin'] } });
  member = await makeUser(server, { username: 'plain-member', orgs: { [orgA]: [] } });

  await seed('userCreate', { action: 'create', resourceType: 'user', resourceId: member.id, resourceTarget: member.username, userId: owner.userId, time: new Date('2024-03-01T10:00:00.000Z'), statusCode: 201 });
  await seed('memberWrite', { action: 'write', resourceType: 'organization_member', resourceTarget: 'plain-member', userId: owner.userId, organizationId: orgA, time: new Date('2024-03-02T12:00:00.000Z') });
  await seed('groupDeleteFailed', { action: 'delete', resourceType: 'group', resourceTarget: 'devs', userId: orgAdmin.id, organizationId: orgB, time: new Date('2024-03-03T23:59:59.500Z'), statusCode: 403, diff: {} });
  await seed('orgCreate', { action: 'create', resourceType: 'organization', resourceId: orgB, resourceTarget: 'second', userId: owner.userId, organizationId: orgB, time: new Date('2024-03-04T00:00:00.000Z'), statusCode: 201 });
  await seed('goneUser', { action: 'delete', resourceType: 'user', resourceTarget: 'ghost', userId: owner.userId, time: new Date('2024-03-05T08:30:00.000Z') });
  await seed('goneActor', { action: 'write', resourceType: 'user', resourceTarget: 'x', userId: randomUUID(), time: new Date('2024-03-06T08:30:00.000Z'), ip: undefined });
});
afterAll(async () => {
  await server.close();
});

describe('entries', () => {
  it('answers an entry with its description, links, actor and organization', async () => {
    const { status, body } = await list(owner.token, q('resource_type:organization'));
    expect(status).toBe(200);
    expect(body.count).toBe(1);
    expect(body.count_cap).toBe(AUDIT_COUNT_CAP);
    const [log] = body.audit_logs;
    const me = (await api('GET', '/api/v2/users/me', { token: owner.token })).json();
    expect(log).toEqual({
      id: e.orgCreate.id,
      request_id: e.orgCreate.requestId,
      time: '2024-03-04T00:00:00Z',
      ip: '127.0.0.1',
      user_agent: 'vitest',
      resource_type: 'organization',
      resource_id: orgB,
      resource_target: 'second',
      resource_icon: '',
      action: 'create',
      diff: { name: { old: 'a', new: 'b', secret: false } },
      status_code: 201,
      additional_fields: {},
      description: '{user} created organization {target}',
      resource_link: '',
      is_deleted: false,
      organization_id: orgB,
      organization: { id: orgB, name: 'second', display_name: 'Second', icon: '/emojis/2.png' },
      user: { ...me, organization_ids: [] },
    });
  });

  it('describes failures, sign-ins and members; links live users; flags deleted ones', async () => {
    const { body } = await list(owner.token, 'limit=100');
    const byId = new Map<string, any>(body.audit_logs.map((l: { id: string }) => [l.id, l]));
    expect(byId.get(e.groupDeleteFailed.id)).toMatchObject({
      description: '{user} unsuccessfully attempted to delete group {target}',
      status_code: 403,
      diff: {},
      time: '2024-03-03T23:59:59.5Z',
      user: { id: orgAdmin.id, username: 'org-admin', roles: [] },
    });
    expect(byId.get(e.memberWrite.id)).toMatchObject({ description: '{user} updated organization member {target}', organization: { name: 'coder' } });
    expect(byId.get(e.userCreate.id)).toMatchObject({
      description: '{user} created user {target}',
      is_deleted: false,
      resource_link: `/users?filter=${member.username}`,
    });
    expect(byId.get(e.goneUser.id)).toMatchObject({ description: '{user} deleted user {target}', is_deleted: true, resource_link: '' });
    // No organization: the field is omitted and the deprecated id is nil.
    expect(byId.get(e.goneUser.id).organization).toBeUndefined();
    expect(byId.get(e.goneUser.id).organization_id).toBe(NIL);
    // An actor whose user row is gone, and no address.
    expect(byId.get(e.goneActor.id)).toMatchObject({ user: null, ip: '' });
    const login = body.audit_logs.find((l: any) => l.action === 'login' && l.user?.id === member.id);
    expect(login).toMatchObject({ resource_type: 'api_key', description: '{user} logged in', status_code: 201 });
  });

  it('reflects a soft-deleted user at read time', async () => {
    const gone = await makeUser(server, { login: false });
    await seed('softDeleted', { action: 'write', resourceType: 'user', resourceId: gone.id, resourceTarget: gone.username, userId: owner.userId });
    let { body } = await list(owner.token, q(`resource_id:${gone.id}`));
    expect(body.audit_logs[0]).toMatchObject({ is_deleted: false, resource_link: `/users?filter=${gone.username}` });
    await sql('UPDATE users SET deleted = true WHERE id = $1', [gone.id]);
    ({ body } = await list(owner.token, q(`resource_id:${gone.id}`)));
    expect(body.audit_logs[0]).toMatchObject({ is_deleted: true, resource_link: '' });
  });
});

describe('search', () => {
  const cases: { name: string; search: string | (() => string); expect: () => string[] }[] = [
    { name: 'action', search: 'action:delete resource_type:user', expect: () => [e.goneUser.id] },
    { name: 'free text is the resource type', search: 'organization', expect: () => [e.orgCreate.id] },
    { name: 'username', search: 'username:org-admin resource_type:group', expect: () => [e.groupDeleteFailed.id] },
    { name: 'username, any case', search: 'username:ORG-ADMIN action:delete', expect: () => [e.groupDeleteFailed.id] },
    { name: 'email', search: 'email:org-admin@example.com action:delete', expect: () => [e.groupDeleteFailed.id] },
    { name: 'date range, date_to inclusive to the end of the day', search: 'date_from:2024-03-02 date_to:2024-03-03', expect: () => [e.groupDeleteFailed.id, e.memberWrite.id] },
    { name: 'organization by name', search: 'organization:second', expect: () => [e.orgCreate.id, e.groupDeleteFailed.id] },
    { name: 'organization by id', search: () => `organization:${orgB}`, expect: () => [e.orgCreate.id, e.groupDeleteFailed.id] },
    { name: 'request id', search: () => `request_id:${e.memberWrite.requestId}`, expect: () => [e.memberWrite.id] },
    { name: 'resource target', search: 'resource_target:ghost', expect: () => [e.goneUser.id] },
    { name: 'quoted value', search: 'resource_target:"ghost" action:delete', expect: () => [e.goneUser.id] },
    { name: 'unknown username matches nothing', search: 'username:nobody', expect: () => [] },
  ];
  for (const c of cases) {
    it(`filters by ${c.name}`, async () => {
      const search = typeof c.search === 'function' ? c.search() : c.search;
      const { status, body } = await list(owner.token, q(search));
      expect(status).toBe(200);
      expect(idsOf(body)).toEqual(c.expect());
      expect(body.count).toBe(c.expect().length);
    });
  }

  it('username:me is the caller', async () => {
    const { body } = await list(orgAdmin.token, q('username:me'));
    expect(body.audit_logs.length).toBeGreaterThan(0);
    for (const l of body.audit_logs) expect(l.user.id).toBe(orgAdmin.id);
  });

  const errors: { search: string; field: string; detail: string | RegExp }[] = [
    { search: 'action:', field: 'q', detail: `Query element "action:" cannot start or end with ':'` },
    { search: 'a:b:c', field: 'q', detail: `Query element "a:b:c" can only contain 1 ':'` },
    { search: 'colour:red', field: 'colour', detail: '"colour" is not a valid query param' },
    { search: 'action:explode', field: 'action', detail: 'Query param "action" has invalid value: "explode" is not a valid value' },
    { search: 'bananas', field: 'resource_type', detail: 'Query param "resource_type" has invalid value: "bananas" is not a valid value' },
    { search: 'resource_id:nope', field: 'resource_id', detail: 'Query param "resource_id" must be a valid uuid' },
    { search: 'date_from:2024-13-01', field: 'date_from', detail: /^Query param "date_from" must be a valid date format \(2006-01-02\): parsing time "2024-13-01": month out of range$/ },
    { search: 'organization:nope', field: 'organization', detail: 'Query param "organization" has invalid value: organization "nope" either does not exist, or you are unauthorized to view it' },
  ];
  for (const c of errors) {
    it(`refuses ${c.search}`, async () => {
      const { status, body } = await list(owner.token, q(c.search));
      expect(status).toBe(400);
      expect(body.message).toBe('Invalid audit search query.');
      expect(body.validations).toHaveLength(1);
      expect(body.validations[0].field).toBe(c.field);
      if (typeof c.detail === 'string') expect(body.validations[0].detail).toBe(c.detail);
      else expect(body.validations[0].detail).toMatch(c.detail);
    });
  }

  it('an organization the caller cannot read is "not found"', async () => {
    const { status, body } = await list(orgAuditor.token, q('organization:coder'));
    expect(status).toBe(400);
    expect(body.validations[0].detail).toContain('organization "coder" either does not exist, or you are unauthorized to view it');
  });

  it('refuses bad pagination with the query-parameter message', async () => {
    for (const [query, field] of [
      ['limit=-1', 'limit'],
      ['after_id=nope', 'after_id'],
      ['limit=1001', 'limit'],
      ['offset=x', 'offset'],
      ['limit=1&limit=2', 'limit'],
    ]) {
      const { status, body } = await list(owner.token, query);
      expect(status, query).toBe(400);
      expect(body.message).toBe('Query parameters have invalid values.');
      expect(body.validations[0].field).toBe(field);
    }
  });
});

describe('pages', () => {
  it('are newest first and walk with limit/offset or the after_id cursor', async () => {
    const all = (await list(owner.token, 'limit=1000')).body;
    const total = Number((await sql('SELECT count(*) FROM audit_logs')).rows[0].count);
    expect(all.count).toBe(total);
    expect(all.audit_logs).toHaveLength(total);
    const times = all.audit_logs.map((l: { time: string }) => Date.parse(l.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const walked: string[] = [];
    let cursor = '';
    for (;;) {
      const { body } = await list(owner.token, `limit=3${cursor ? `&after_id=${cursor}` : ''}`);
      expect(body.count).toBe(total); // the count ignores the cursor: it counts the search
      if (body.audit_logs.length === 0) break;
      walked.push(...idsOf(body));
      cursor = walked.at(-1)!;
    }
    expect(walked).toEqual(idsOf(all));

    const { body: paged } = await list(owner.token, 'limit=2&offset=3');
    expect(idsOf(paged)).toEqual(idsOf(all).slice(3, 5));
    const { body: both } = await list(owner.token, `limit=2&offset=1&after_id=${idsOf(all)[1]}`);
    expect(idsOf(both)).toEqual(idsOf(all).slice(3, 5));
    const { body: unknown } = await list(owner.token, `after_id=${randomUUID()}`);
    expect(unknown.audit_logs).toEqual([]);
    const { body: empty } = await list(owner.token, q('resource_type:license'));
    expect(empty).toEqual({ audit_logs: [], count: 0, count_cap: AUDIT_COUNT_CAP });
  });

  it('cap the count and default to 100 entries', async () => {
    // Many entries at once, straight in SQL (their chain is not the point here).
    await sql(
      `INSERT INTO audit_logs (chain, seq, id, time, user_id, resource_type, resource_id, resource_target, action, status_code, request_id, prev_hash, hash)
       SELECT 1, 1000000 + g, gen_random_uuid(), now() - g * interval '1 second', $1, 'workspace', gen_random_uuid(), 'w', 'start', 200,
              gen_random_uuid(), '\\x00', '\\x00'
         FROM generate_series(1, $2::int) g`,
      [owner.userId, AUDIT_COUNT_CAP + 50],
    );
    const { body } = await list(owner.token, q('resource_type:workspace'));
    expect(body.count).toBe(AUDIT_COUNT_CAP + 1);
    expect(body.count_cap).toBe(AUDIT_COUNT_CAP);
    expect(body.audit_logs).toHaveLength(100);
    expect(body.audit_logs[0].description).toBe('{user} started workspace {target}');
    const { body: exact } = await list(owner.token, q('resource_type:workspace', 'limit=1'));
    expect(exact.audit_logs).toHaveLength(1);
    await sql(`DELETE FROM audit_logs WHERE resource_type = 'workspace'`);
  });
});

describe('visibility', () => {
  it('owner and auditor see every entry', async () => {
    const total = Number((await sql('SELECT count(*) FROM audit_logs')).rows[0].count);
    for (const token of [owner.token, auditor.token]) {
      const { status, body } = await list(token, 'limit=1000');
      expect(status).toBe(200);
      expect(body.count).toBe(total);
    }
  });

  it('org auditors and org admins see only their organizations', async () => {
    const inB = (await sql('SELECT id FROM audit_logs WHERE organization_id = $1 ORDER BY time DESC, id DESC', [orgB])).rows.map((r) => r.id);
    expect(inB).toEqual([e.orgCreate.id, e.groupDeleteFailed.id]);
    for (const token of [orgAuditor.token, orgAdmin.token]) {
      const { status, body } = await list(token, 'limit=1000');
      expect(status).toBe(200);
      expect(idsOf(body)).toEqual(inB);
      expect(body.count).toBe(2);
      // Filters narrow within what they may see, never beyond it.
      expect(idsOf((await list(token, q('action:create'))).body)).toEqual([e.orgCreate.id]);
      expect(idsOf((await list(token, q('resource_type:user'))).body)).toEqual([]);
    }
  });

  it('members without audit read anywhere get 403', async () => {
    const { status, body } = await list(member.token);
    expect(status).toBe(403);
    expect(body).toEqual(FORBIDDEN);
    expect((await list(member.token, q('username:me'))).status).toBe(403);
  });

  it('requires a session', async () => {
    expect((await api('GET', '/api/v2/audit')).statusCode).toBe(401);
  });
});
