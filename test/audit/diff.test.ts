import { describe, expect, it } from 'vitest';

import { ZERO_TIME, computeDiff, deepEqual, formatGoTime, formatPermissions, normalizeAuditValue } from '../../src/audit/diff.js';
import {
  AUDIT_POLICIES,
  type AuditableGroup,
  type AuditableOrganizationMember,
  apiKeyAuditPolicy,
  assertPolicyCovers,
  convertLoginAuditPolicy,
  customRoleAuditPolicy,
  defineAuditPolicy,
  getAuditPolicy,
  groupAuditPolicy,
  organizationAuditPolicy,
  organizationMemberAuditPolicy,
  userAuditPolicy,
} from '../../src/audit/policies.js';
import type { ApiKeyRow, CustomRoleRow, OrganizationRow, UserRow } from '../../src/db/schema.js';

const USER_ID = '4d3c2b1a-0000-4000-8000-000000000001';
const ORG_ID = '4d3c2b1a-0000-4000-8000-0000000000aa';
const T1 = new Date('2024-05-01T10:00:00.123Z');
const T2 = new Date('2024-05-02T11:30:00Z');

function user(over: Partial<UserRow> = {}): UserRow {
  return {
    id: USER_ID,
    email: 'alice@example.com',
    username: 'alice',
    name: 'Alice',
    hashed_password: '$pbkdf2-sha256$1$salt$hash',
    created_at: T1,
    updated_at: T1,
    status: 'active',
    rbac_roles: [],
    login_type: 'password',
    avatar_url: '',
    deleted: false,
    last_seen_at: new Date('0001-01-01T00:00:00Z'),
    quiet_hours_schedule: '',
    theme_preference: '',
    terminal_font: '',
    github_com_user_id: null,
    hashed_one_time_passcode: null,
    one_time_passcode_expires_at: null,
    is_system: false,
    ...over,
  };
}

function org(over: Partial<OrganizationRow> = {}): OrganizationRow {
  return {
    id: ORG_ID,
    name: 'acme',
    display_name: 'Acme',
    description: '',
    icon: '',
    created_at: T1,
    updated_at: T1,
    is_default: false,
    deleted: false,
    default_org_member_roles: [],
    ...over,
  };
}

function apiKey(over: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return {
    id: 'abcdefghij',
    hashed_secret: Buffer.from('secret'),
    user_id: USER_ID,
    last_used: new Date('1970-01-01T00:00:00Z'),
    expires_at: T2,
    created_at: T1,
    updated_at: T1,
    login_type: 'password',
    lifetime_seconds: '86400',
    ip_address: '127.0.0.1',
    scope: 'all',
    token_name: '',
    ...over,
  };
}

function role(over: Partial<CustomRoleRow> = {}): CustomRoleRow {
  return {
    id: '4d3c2b1a-0000-4000-8000-0000000000cc',
    name: 'support',
    display_name: 'Support',
    organization_id: ORG_ID,
    site_permissions: [],
    org_permissions: [{ negate: false, resource_type: 'workspace', action: 'read' }],
    user_permissions: [],
    member_permissions: [],
    is_system: false,
    created_at: T1,
    updated_at: T1,
    ...over,
  };
}

describe('normalization', () => {
  it('writes times as Go does', () => {
    expect(formatGoTime(new Date('2024-05-01T10:00:00.000Z'))).toBe('2024-05-01T10:00:00Z');
    expect(formatGoTime(new Date('2024-05-01T10:00:00.120Z'))).toBe('2024-05-01T10:00:00.12Z');
    expect(formatGoTime(new Date('2024-05-01T10:00:00.123Z'))).toBe('2024-05-01T10:00:00.123Z');
    expect(formatGoTime(new Date('0001-01-01T00:00:00Z'))).toBe(ZERO_TIME);
  });

  it('turns the nil UUID into "", bytes into base64, and recurses', () => {
    expect(normalizeAuditValue('00000000-0000-0000-0000-000000000000')).toBe('');
    expect(normalizeAuditValue(USER_ID)).toBe(USER_ID);
    expect(normalizeAuditValue(undefined)).toBeNull();
    expect(normalizeAuditValue(Buffer.from('hi'))).toBe('aGk=');
    expect(normalizeAuditValue(12n)).toBe(12);
    expect(normalizeAuditValue(2n ** 70n)).toBe('1180591620717411303424');
    expect(normalizeAuditValue([T1, { at: T2, id: '00000000-0000-0000-0000-000000000000' }])).toEqual([
      '2024-05-01T10:00:00.123Z',
      { at: '2024-05-02T11:30:00Z', id: '' },
    ]);
  });

  it('shows custom role permissions as strings', () => {
    expect(
      formatPermissions([
        { negate: false, resource_type: 'workspace', action: 'read' },
        { negate: true, resource_type: 'template', action: 'delete' },
      ]),
    ).toEqual(['workspace.read', '-template.delete']);
    expect(formatPermissions(null)).toEqual([]);
    expect(formatPermissions('[{"negate":false,"resource_type":"user","action":"read"}]')).toEqual(['user.read']);
  });

  it('compares deeply, objects regardless of key order', () => {
    expect(deepEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual(null, [])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  });
});

describe('computeDiff', () => {
  it('lists only changed tracked fields, in sorted order', () => {
    const diff = computeDiff(
      userAuditPolicy,
      user(),
      user({ username: 'alice2', name: 'Alice B', updated_at: T2, last_seen_at: T2, avatar_url: 'x' }),
    );
    expect(diff).toEqual({
      name: { old: 'Alice', new: 'Alice B', secret: false },
      username: { old: 'alice', new: 'alice2', secret: false },
    });
    expect(Object.keys(diff)).toEqual(['name', 'username']);
  });

  it('is empty when nothing tracked changed', () => {
    expect(computeDiff(userAuditPolicy, user(), user({ updated_at: T2, theme_preference: 'dark' }))).toEqual({});
    expect(computeDiff(userAuditPolicy, null, null)).toEqual({});
  });

  it('tracks role lists and status', () => {
    expect(computeDiff(userAuditPolicy, user(), user({ rbac_roles: ['owner'], status: 'suspended' }))).toEqual({
      rbac_roles: { old: [], new: ['owner'], secret: false },
      status: { old: 'active', new: 'suspended', secret: false },
    });
  });

  it('hides secrets behind their zero value', () => {
    expect(computeDiff(userAuditPolicy, user(), user({ hashed_password: '$pbkdf2-sha256$1$other$hash' }))).toEqual({
      hashed_password: { old: null, new: null, secret: true },
    });
    const plain = defineAuditPolicy<{ token: string; n: number; flag: boolean }>('api_key', {
      token: 'secret',
      n: 'secret',
      flag: 'secret',
    });
    expect(computeDiff(plain, { token: 'a', n: 1, flag: false }, { token: 'b', n: 2, flag: true })).toEqual({
      flag: { old: false, new: false, secret: true },
      n: { old: 0, new: 0, secret: true },
      token: { old: '', new: '', secret: true },
    });
    expect(computeDiff(plain, { token: 'a', n: 1, flag: true }, { token: 'a', n: 1, flag: true })).toEqual({});
  });

  it('treats a created resource as changed from the zero value', () => {
    const created = user({ rbac_roles: [], one_time_passcode_expires_at: null });
    expect(computeDiff(userAuditPolicy, null, created)).toEqual({
      email: { old: '', new: 'alice@example.com', secret: false },
      hashed_password: { old: null, new: null, secret: true },
      id: { old: '', new: USER_ID, secret: false },
      login_type: { old: '', new: 'password', secret: false },
      name: { old: '', new: 'Alice', secret: false },
      // Go's nil slice is not deeply equal to an empty one.
      rbac_roles: { old: null, new: [], secret: false },
      status: { old: '', new: 'active', secret: false },
      username: { old: '', new: 'alice', secret: false },
    });
  });

  it('treats a deleted resource as changed to the zero value', () => {
    const diff = computeDiff(organizationMemberAuditPolicy, { organization_id: ORG_ID, user_id: USER_ID, username: 'alice', created_at: T1, updated_at: T1, roles: ['organization-admin'] } satisfies AuditableOrganizationMember, undefined);
    expect(diff).toEqual({
      created_at: { old: '2024-05-01T10:00:00.123Z', new: ZERO_TIME, secret: false },
      roles: { old: ['organization-admin'], new: null, secret: false },
      updated_at: { old: '2024-05-01T10:00:00.123Z', new: ZERO_TIME, secret: false },
      user_id: { old: USER_ID, new: '', secret: false },
      username: { old: 'alice', new: '', secret: false },
    });
  });

  it('diffs organization member role changes', () => {
    const before: AuditableOrganizationMember = { organization_id: ORG_ID, user_id: USER_ID, username: 'alice', created_at: T1, updated_at: T1, roles: [] };
    expect(computeDiff(organizationMemberAuditPolicy, before, { ...before, roles: ['organization-auditor'], updated_at: T2 })).toEqual({
      roles: { old: [], new: ['organization-auditor'], secret: false },
      updated_at: { old: '2024-05-01T10:00:00.123Z', new: '2024-05-02T11:30:00Z', secret: false },
    });
  });

  it('diffs organizations, ignoring id and created_at', () => {
    expect(computeDiff(organizationAuditPolicy, org(), org({ display_name: 'Acme Inc', icon: '/i.png', updated_at: T2, created_at: T2 }))).toEqual({
      display_name: { old: 'Acme', new: 'Acme Inc', secret: false },
      icon: { old: '', new: '/i.png', secret: false },
      updated_at: { old: '2024-05-01T10:00:00.123Z', new: '2024-05-02T11:30:00Z', secret: false },
    });
    expect(computeDiff(organizationAuditPolicy, org(), org({ deleted: true }))).toEqual({
      deleted: { old: false, new: true, secret: false },
    });
  });

  it('diffs custom role permissions as strings; empty and missing lists are equal', () => {
    expect(
      computeDiff(
        customRoleAuditPolicy,
        role(),
        role({
          org_permissions: [
            { negate: false, resource_type: 'workspace', action: 'read' },
            { negate: true, resource_type: 'template', action: 'update' },
          ],
          updated_at: T2,
        }),
      ),
    ).toEqual({
      org_permissions: { old: ['workspace.read'], new: ['workspace.read', '-template.update'], secret: false },
    });
    expect(computeDiff(customRoleAuditPolicy, null, role())).toEqual({
      display_name: { old: '', new: 'Support', secret: false },
      name: { old: '', new: 'support', secret: false },
      org_permissions: { old: [], new: ['workspace.read'], secret: false },
    });
  });

  it('diffs group members', () => {
    const g: AuditableGroup = {
      id: ORG_ID,
      name: 'Everyone',
      display_name: '',
      organization_id: ORG_ID,
      avatar_url: '',
      quota_allowance: 0,
      source: 'user',
      members: [],
    };
    expect(computeDiff(groupAuditPolicy, g, { ...g, members: [{ user_id: USER_ID, group_id: ORG_ID }], quota_allowance: 5, source: 'oidc' })).toEqual({
      members: { old: [], new: [{ user_id: USER_ID, group_id: ORG_ID }], secret: false },
      quota_allowance: { old: 0, new: 5, secret: false },
    });
  });

  it('diffs API keys on their tracked timestamps only', () => {
    expect(computeDiff(apiKeyAuditPolicy, apiKey(), apiKey({ last_used: T2, ip_address: '10.0.0.1', updated_at: T2 }))).toEqual({
      last_used: { old: '1970-01-01T00:00:00Z', new: '2024-05-02T11:30:00Z', secret: false },
    });
  });

  it('shows a nil UUID as an empty string', () => {
    const p = defineAuditPolicy<{ owner_id: string }>('user', { owner_id: 'track' });
    expect(computeDiff(p, { owner_id: '00000000-0000-0000-0000-000000000000' }, { owner_id: USER_ID })).toEqual({
      owner_id: { old: '', new: USER_ID, secret: false },
    });
  });

  it('tracks nullable timestamps', () => {
    expect(computeDiff(userAuditPolicy, user(), user({ one_time_passcode_expires_at: T2 }))).toEqual({
      one_time_passcode_expires_at: { old: null, new: '2024-05-02T11:30:00Z', secret: false },
    });
  });

  it('refuses a field the policy does not classify', () => {
    const withExtra = { ...user(), favourite_colour: 'blue' } as unknown as UserRow;
    expect(() => computeDiff(userAuditPolicy, user(), withExtra)).toThrow('audit policy for "user" lacks field "favourite_colour"');
  });
});

describe('policies', () => {
  it('follow Coder’s table for users', () => {
    const f = userAuditPolicy.fields;
    const by = (action: string) => Object.keys(f).filter((k) => f[k].action === action).sort();
    expect(by('secret')).toEqual(['hashed_password']);
    expect(by('track')).toEqual(
      ['deleted', 'email', 'id', 'is_system', 'login_type', 'name', 'one_time_passcode_expires_at', 'quiet_hours_schedule', 'rbac_roles', 'status', 'username'].sort(),
    );
    expect(by('ignore')).toContain('github_com_user_id');
    expect(by('ignore')).toContain('hashed_one_time_passcode');
    expect(by('ignore')).toContain('last_seen_at');
  });

  it('follow Coder’s table for the other resources', () => {
    const tracked = (p: { fields: Record<string, { action: string }> }) =>
      Object.keys(p.fields)
        .filter((k) => p.fields[k].action === 'track')
        .sort();
    expect(tracked(organizationMemberAuditPolicy)).toEqual(['created_at', 'roles', 'updated_at', 'user_id', 'username']);
    expect(tracked(apiKeyAuditPolicy)).toEqual(['created_at', 'expires_at', 'last_used', 'user_id']);
    expect(tracked(groupAuditPolicy)).toEqual(['avatar_url', 'display_name', 'id', 'members', 'name', 'quota_allowance']);
    expect(tracked(convertLoginAuditPolicy)).toEqual(['created_at', 'expires_at', 'from_login_type', 'to_login_type', 'user_id']);
    expect(tracked(organizationAuditPolicy)).toEqual(
      ['default_org_member_roles', 'deleted', 'description', 'display_name', 'icon', 'is_default', 'name', 'updated_at'],
    );
    expect(organizationAuditPolicy.fields.id.action).toBe('ignore');
    expect(customRoleAuditPolicy.fields.org_permissions).toEqual({ action: 'track', format: 'permissions' });
    expect(customRoleAuditPolicy.fields.organization_id.action).toBe('ignore');
  });

  it('are registered by resource type', () => {
    expect(Object.keys(AUDIT_POLICIES).sort()).toEqual(
      ['api_key', 'convert_login', 'custom_role', 'group', 'idp_sync_settings_organization', 'idp_sync_settings_role', 'organization', 'organization_member', 'user'],
    );
    expect(getAuditPolicy('user')).toBe(userAuditPolicy);
    expect(() => getAuditPolicy('template')).toThrow('no audit policy for resource type "template"');
  });

  it('accept a sample row that matches exactly', () => {
    expect(() => assertPolicyCovers('user', user())).not.toThrow();
    expect(() => assertPolicyCovers(organizationAuditPolicy, org())).not.toThrow();
    expect(() => assertPolicyCovers('api_key', apiKey())).not.toThrow();
    expect(() => assertPolicyCovers('custom_role', role())).not.toThrow();
  });

  it('name unclassified and stale fields', () => {
    const { theme_preference: _dropped, ...rest } = user();
    const sample = { ...rest, favourite_colour: 'blue', zodiac: 'leo' };
    expect(() => assertPolicyCovers('user', sample)).toThrow(
      'audit policy for "user" is out of date: unclassified field(s) "favourite_colour", "zodiac" (classify them as track, ignore or secret); ' +
        'stale field(s) "theme_preference" no longer present on the row',
    );
    expect(() => assertPolicyCovers('organization', { ...org(), extra: 1 })).toThrow(
      'audit policy for "organization" is out of date: unclassified field(s) "extra" (classify them as track, ignore or secret)',
    );
  });

  it('refuse an unknown action', () => {
    expect(() => defineAuditPolicy<{ a: string }>('user', { a: 'watch' as never })).toThrow(
      'audit policy for "user": field "a" has unknown action "watch"',
    );
  });
});
