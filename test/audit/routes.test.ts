// Every mutating route of the server leaves exactly one audit entry with the right diff (or is
// listed as not audited, with the reason). The table below is the contract: a mutating route that
// is in `app.orgd.routes` but in neither CASES nor NOT_AUDITED fails the coverage test, so a new
// route must come with its case. Each case sets up what it needs, then acts once; the harness
// checks the entries appended by the act alone, and that the chain still verifies.
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer } from '../helpers/server.js';
import { defaultOrgId, makeUser, TEST_PASSWORD, type TestUser } from '../helpers/users.js';
import { verifyAuditChain } from '../../src/audit/verify.js';

const NIL = '00000000-0000-0000-0000-000000000000';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Ctx {
  server: TestServer;
  api: Api;
  owner: Session;
  orgA: string;
  /** A fresh user with a session. */
  user(opts?: Parameters<typeof makeUser>[1]): Promise<TestUser>;
  /** A fresh organization made by the owner through the API (this itself is audited: do it in setup). */
  org(): Promise<{ id: string; name: string }>;
}

interface Expected {
  action: string;
  resource_type: string;
  status_code: number;
  resource_id?: string;
  resource_target?: string;
  user_id?: string;
  /** The nil uuid for entries in no organization. */
  organization_id?: string;
  /** A subset the diff must contain. */
  diff?: Record<string, unknown>;
  /** The diff's exact keys (`[]`: an empty diff). */
  diffKeys?: string[];
}

interface RouteCase<S = any> {
  /** `METHOD /url` exactly as in app.orgd.routes. */
  route: string;
  name: string;
  setup?: (c: Ctx) => Promise<S>;
  act: (c: Ctx, s: S) => Promise<{ res: LightMyRequestResponse; expect: Expected | Expected[] }>;
}

const uniq = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

const CASES: RouteCase[] = [
  {
    route: 'POST /api/v2/users/login',
    name: 'login',
    setup: (c) => c.user({ login: false }),
    act: async (c, u: TestUser) => ({
      res: await c.api('POST', '/api/v2/users/login', { body: { email: u.email, password: TEST_PASSWORD } }),
      expect: { action: 'login', resource_type: 'api_key', status_code: 201, resource_id: u.id, resource_target: '', user_id: u.id, organization_id: NIL, diffKeys: [] },
    }),
  },
  {
    route: 'POST /api/v2/users/login',
    name: 'failed login of a known user',
    setup: (c) => c.user({ login: false }),
    act: async (c, u: TestUser) => ({
      res: await c.api('POST', '/api/v2/users/login', { body: { email: u.email, password: 'not-the-password' } }),
      expect: { action: 'login', resource_type: 'api_key', status_code: 401, user_id: u.id, diffKeys: [] },
    }),
  },
  {
    route: 'POST /api/v2/users/logout',
    name: 'logout',
    setup: (c) => c.user(),
    act: async (c, u: TestUser) => ({
      res: await c.api('POST', '/api/v2/users/logout', { token: u.token }),
      expect: { action: 'logout', resource_type: 'api_key', status_code: 200, resource_id: u.id, user_id: u.id, diffKeys: [] },
    }),
  },
  {
    route: 'POST /api/v2/users/:user/keys/tokens',
    name: 'create token',
    setup: (c) => c.user(),
    act: async (c, u: TestUser) => ({
      res: await c.api('POST', '/api/v2/users/me/keys/tokens', { token: u.token, body: { token_name: 'ci' } }),
      expect: {
        action: 'create',
        resource_type: 'api_key',
        status_code: 201,
        resource_id: u.id,
        resource_target: 'ci',
        user_id: u.id,
        diff: { user_id: { new: u.id, secret: false } },
      },
    }),
  },
  {
    route: 'DELETE /api/v2/users/:user/keys/:keyid',
    name: 'delete token',
    setup: async (c) => {
      const u = await c.user();
      await c.api('POST', '/api/v2/users/me/keys/tokens', { token: u.token, body: { token_name: 'doomed' } });
      const key = (await c.api('GET', '/api/v2/users/me/keys/tokens/doomed', { token: u.token })).json();
      return { u, keyId: key.id as string };
    },
    act: async (c, s: { u: TestUser; keyId: string }) => ({
      res: await c.api('DELETE', `/api/v2/users/me/keys/${s.keyId}`, { token: s.u.token }),
      expect: { action: 'delete', resource_type: 'api_key', status_code: 204, resource_id: s.u.id, resource_target: 'doomed', user_id: s.u.id, diff: { user_id: { old: s.u.id } } },
    }),
  },
  {
    route: 'POST /api/v2/users',
    name: 'create user',
    act: async (c) => {
      const username = uniq('created');
      return {
        res: await c.api('POST', '/api/v2/users', {
          token: c.owner.token,
          body: { email: `${username}@example.com`, username, password: 'SomeOtherSecurePassword!7', organization_ids: [c.orgA] },
        }),
        expect: {
          action: 'create',
          resource_type: 'user',
          status_code: 201,
          resource_target: username,
          user_id: c.owner.userId,
          organization_id: NIL,
          diff: { username: { new: username, secret: false }, email: { new: `${username}@example.com` }, hashed_password: { secret: true } },
        },
      };
    },
  },
  {
    route: 'DELETE /api/v2/users/:user',
    name: 'delete user',
    setup: (c) => c.user({ login: false }),
    act: async (c, u: TestUser) => ({
      res: await c.api('DELETE', `/api/v2/users/${u.id}`, { token: c.owner.token }),
      expect: { action: 'delete', resource_type: 'user', status_code: 200, resource_id: u.id, resource_target: u.username, diff: { deleted: { old: false, new: true, secret: false } } },
    }),
  },
  {
    route: 'PUT /api/v2/users/:user/profile',
    name: 'update profile',
    setup: (c) => c.user(),
    act: async (c, u: TestUser) => ({
      res: await c.api('PUT', '/api/v2/users/me/profile', { token: u.token, body: { username: u.username, name: 'Renamed Person' } }),
      expect: { action: 'write', resource_type: 'user', status_code: 200, resource_id: u.id, user_id: u.id, diffKeys: ['name'], diff: { name: { old: '', new: 'Renamed Person', secret: false } } },
    }),
  },
  {
    route: 'PUT /api/v2/users/:user/status/suspend',
    name: 'suspend',
    setup: (c) => c.user({ login: false }),
    act: async (c, u: TestUser) => ({
      res: await c.api('PUT', `/api/v2/users/${u.id}/status/suspend`, { token: c.owner.token }),
      expect: { action: 'write', resource_type: 'user', status_code: 200, resource_id: u.id, diff: { status: { old: 'active', new: 'suspended', secret: false } } },
    }),
  },
  {
    route: 'PUT /api/v2/users/:user/status/suspend',
    name: 'suspend refused (403) for a plain member: recorded with an empty diff',
    setup: async (c) => ({ actor: await c.user(), target: await c.user({ login: false }) }),
    act: async (c, s: { actor: TestUser; target: TestUser }) => ({
      res: await c.api('PUT', `/api/v2/users/${s.target.id}/status/suspend`, { token: s.actor.token }),
      expect: { action: 'write', resource_type: 'user', status_code: 403, resource_id: s.target.id, user_id: s.actor.id, diffKeys: [] },
    }),
  },
  {
    route: 'PUT /api/v2/users/:user/status/activate',
    name: 'activate',
    setup: async (c) => {
      const u = await c.user({ login: false });
      await c.server.database.pool.query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [u.id]);
      return u;
    },
    act: async (c, u: TestUser) => ({
      res: await c.api('PUT', `/api/v2/users/${u.id}/status/activate`, { token: c.owner.token }),
      expect: { action: 'write', resource_type: 'user', status_code: 200, resource_id: u.id, diff: { status: { old: 'suspended', new: 'active' } } },
    }),
  },
  {
    route: 'PUT /api/v2/users/:user/password',
    name: 'change password',
    setup: (c) => c.user({ login: false }),
    act: async (c, u: TestUser) => ({
      res: await c.api('PUT', `/api/v2/users/${u.id}/password`, { token: c.owner.token, body: { password: 'AnotherSecurePassword!9' } }),
      expect: { action: 'write', resource_type: 'user', status_code: 204, resource_id: u.id, diff: { hashed_password: { secret: true } } },
    }),
  },
  {
    route: 'PUT /api/v2/users/:user/roles',
    name: 'site roles',
    setup: (c) => c.user({ login: false }),
    act: async (c, u: TestUser) => ({
      res: await c.api('PUT', `/api/v2/users/${u.id}/roles`, { token: c.owner.token, body: { roles: ['auditor'] } }),
      expect: { action: 'write', resource_type: 'user', status_code: 200, resource_id: u.id, diff: { rbac_roles: { old: [], new: ['auditor'], secret: false } } },
    }),
  },
  {
    route: 'POST /api/v2/organizations',
    name: 'create organization',
    act: async (c) => {
      const name = uniq('org');
      const res = await c.api('POST', '/api/v2/organizations', { token: c.owner.token, body: { name, display_name: 'Audit Org' } });
      const id = res.statusCode === 201 ? (res.json().id as string) : NIL;
      return {
        res,
        expect: { action: 'create', resource_type: 'organization', status_code: 201, resource_id: id, resource_target: name, organization_id: id, diff: { name: { new: name } } },
      };
    },
  },
  {
    route: 'PATCH /api/v2/organizations/:organization',
    name: 'update organization',
    setup: (c) => c.org(),
    act: async (c, o: { id: string; name: string }) => ({
      res: await c.api('PATCH', `/api/v2/organizations/${o.id}`, { token: c.owner.token, body: { display_name: 'Renamed Org' } }),
      expect: { action: 'write', resource_type: 'organization', status_code: 200, resource_id: o.id, organization_id: o.id, diff: { display_name: { new: 'Renamed Org' } } },
    }),
  },
  {
    route: 'DELETE /api/v2/organizations/:organization',
    name: 'delete organization',
    setup: (c) => c.org(),
    act: async (c, o: { id: string; name: string }) => ({
      res: await c.api('DELETE', `/api/v2/organizations/${o.id}`, { token: c.owner.token }),
      expect: { action: 'delete', resource_type: 'organization', status_code: 200, resource_id: o.id, resource_target: o.name, organization_id: o.id },
    }),
  },
  {
    route: 'POST /api/v2/organizations/:organization/members/:user',
    name: 'add member',
    setup: async (c) => ({ o: await c.org(), u: await c.user({ login: false }) }),
    act: async (c, s: { o: { id: string }; u: TestUser }) => ({
      res: await c.api('POST', `/api/v2/organizations/${s.o.id}/members/${s.u.id}`, { token: c.owner.token }),
      expect: { action: 'create', resource_type: 'organization_member', status_code: 200, resource_id: s.u.id, resource_target: s.u.username, organization_id: s.o.id, diff: { user_id: { new: s.u.id } } },
    }),
  },
  {
    route: 'POST /api/v2/organizations/:organization/members',
    name: 'add members in a batch: one entry per member',
    setup: async (c) => ({ o: await c.org(), a: await c.user({ login: false }), b: await c.user({ login: false }) }),
    act: async (c, s: { o: { id: string }; a: TestUser; b: TestUser }) => ({
      res: await c.api('POST', `/api/v2/organizations/${s.o.id}/members`, { token: c.owner.token, body: { user_ids: [s.a.id, s.b.id] } }),
      expect: [s.a, s.b]
        .sort((x, y) => (x.id < y.id ? -1 : 1))
        .map((u) => ({ action: 'create', resource_type: 'organization_member', status_code: 200, resource_id: u.id, resource_target: u.username, organization_id: s.o.id })),
    }),
  },
  {
    route: 'DELETE /api/v2/organizations/:organization/members/:user',
    name: 'remove member',
    setup: async (c) => {
      const u = await c.user({ login: false, orgs: { [c.orgA]: [] } });
      return u;
    },
    act: async (c, u: TestUser) => ({
      res: await c.api('DELETE', `/api/v2/organizations/${c.orgA}/members/${u.id}`, { token: c.owner.token }),
      expect: { action: 'delete', resource_type: 'organization_member', status_code: 204, resource_id: u.id, resource_target: u.username, organization_id: c.orgA },
    }),
  },
  {
    route: 'PUT /api/v2/organizations/:organization/members/:user/roles',
    name: 'member roles',
    setup: (c) => c.user({ login: false, orgs: { [c.orgA]: [] } }),
    act: async (c, u: TestUser) => ({
      res: await c.api('PUT', `/api/v2/organizations/${c.orgA}/members/${u.id}/roles`, { token: c.owner.token, body: { roles: ['organization-auditor'] } }),
      expect: {
        action: 'write',
        resource_type: 'organization_member',
        status_code: 200,
        resource_id: u.id,
        organization_id: c.orgA,
        diff: { roles: { old: [], new: ['organization-auditor'], secret: false } },
      },
    }),
  },
  {
    route: 'POST /api/v2/organizations/:organization/members/roles',
    name: 'create custom role',
    act: async (c) => {
      const name = uniq('role');
      const res = await c.api('POST', `/api/v2/organizations/${c.orgA}/members/roles`, {
        token: c.owner.token,
        body: { name, display_name: 'Log Readers', organization_permissions: [{ resource_type: 'audit_log', action: 'read' }] },
      });
      return { res, expect: { action: 'create', resource_type: 'custom_role', status_code: 200, resource_target: name, organization_id: c.orgA, diff: { name: { new: name } } } };
    },
  },
  {
    route: 'PUT /api/v2/organizations/:organization/members/roles',
    name: 'update custom role',
    setup: async (c) => {
      const name = uniq('role');
      await c.api('POST', `/api/v2/organizations/${c.orgA}/members/roles`, { token: c.owner.token, body: { name, display_name: 'Before' } });
      return name;
    },
    act: async (c, name: string) => ({
      res: await c.api('PUT', `/api/v2/organizations/${c.orgA}/members/roles`, { token: c.owner.token, body: { name, display_name: 'After' } }),
      expect: { action: 'write', resource_type: 'custom_role', status_code: 200, resource_target: name, organization_id: c.orgA, diff: { display_name: { old: 'Before', new: 'After' } } },
    }),
  },
  {
    route: 'DELETE /api/v2/organizations/:organization/members/roles/:roleName',
    name: 'delete custom role',
    setup: async (c) => {
      const name = uniq('role');
      await c.api('POST', `/api/v2/organizations/${c.orgA}/members/roles`, { token: c.owner.token, body: { name, display_name: 'Doomed' } });
      return name;
    },
    act: async (c, name: string) => ({
      res: await c.api('DELETE', `/api/v2/organizations/${c.orgA}/members/roles/${name}`, { token: c.owner.token }),
      expect: { action: 'delete', resource_type: 'custom_role', status_code: 204, resource_target: name, organization_id: c.orgA },
    }),
  },
  {
    route: 'PATCH /api/v2/settings/idpsync/organization',
    name: 'organization sync settings',
    act: async (c) => ({
      res: await c.api('PATCH', '/api/v2/settings/idpsync/organization', {
        token: c.owner.token,
        body: { field: 'groups', mapping: { eng: [c.orgA] }, organization_assign_default: true },
      }),
      expect: {
        action: 'write',
        resource_type: 'idp_sync_settings_organization',
        status_code: 200,
        resource_id: '51a51c00-0000-0000-0000-000000000000',
        resource_target: 'Organization Sync',
        diff: { field: { old: '', new: 'groups', secret: false }, mapping: { old: {}, new: { eng: [c.orgA] }, secret: false } },
      },
    }),
  },
  {
    route: 'PATCH /api/v2/organizations/:organization/settings/idpsync/roles',
    name: 'role sync settings of an organization',
    act: async (c) => ({
      res: await c.api('PATCH', `/api/v2/organizations/${c.orgA}/settings/idpsync/roles`, {
        token: c.owner.token,
        body: { field: 'roles', mapping: { admins: ['organization-admin'] } },
      }),
      expect: {
        action: 'write',
        resource_type: 'idp_sync_settings_role',
        status_code: 200,
        resource_target: 'Organization Role Sync',
        organization_id: c.orgA,
        diff: { field: { old: '', new: 'roles', secret: false } },
      },
    }),
  },
];

/** Mutating routes that write no entry, and why. Each is still exercised once: it must leave none. */
const NOT_AUDITED: Record<string, { why: string; act?: (c: Ctx) => Promise<LightMyRequestResponse> }> = {
  'POST /api/v2/users/first': { why: 'creating the first user is not audited (spec); its first login is' },
  'POST /api/v2/users/validate-password': {
    why: 'changes nothing',
    act: (c) => c.api('POST', '/api/v2/users/validate-password', { token: c.owner.token, body: { password: 'weak' } }),
  },
  'POST /api/v2/users/:user/keys': {
    why: 'not audited (as Coder): the CLI session key',
    act: (c) => c.api('POST', '/api/v2/users/me/keys', { token: c.owner.token }),
  },
  'POST /api/v2/authcheck': {
    why: 'changes nothing',
    act: (c) => c.api('POST', '/api/v2/authcheck', { token: c.owner.token, body: { checks: {} } }),
  },
  'PUT /api/v2/users/:user/appearance': {
    why: 'a personal display preference, not audited by Coder',
    act: (c) => c.api('PUT', '/api/v2/users/me/appearance', { token: c.owner.token, body: { theme_preference: 'dark' } }),
  },
};

let server: TestServer;
let ctx: Ctx;

/** Every lane's last seq: entries appended later are those above their lane's mark. */
const headSeq = async (): Promise<Record<string, number>> =>
  (await server.database.pool.query(`SELECT jsonb_object_agg(id, seq) AS heads FROM audit_chain_head`)).rows[0].heads;
const entriesAfter = async (heads: Record<string, number>) =>
  (
    await server.database.pool.query(
      `SELECT * FROM audit_logs WHERE seq > coalesce(($1::jsonb ->> chain::text)::bigint, 0) ORDER BY time, id`,
      [JSON.stringify(heads)],
    )
  ).rows;

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  const api = apiOf(server.app);
  const owner = await createFirstUser(server.app);
  const orgA = await defaultOrgId(server);
  ctx = {
    server,
    api,
    owner,
    orgA,
    user: (opts) => makeUser(server, opts),
    org: async () => {
      const name = uniq('org');
      const res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name } });
      if (res.statusCode !== 201) throw new Error(`org: ${res.statusCode} ${res.body}`);
      return { id: res.json().id, name };
    },
  };
});
afterAll(async () => {
  await server.close();
});

describe('audit entries per mutating route', () => {
  it('every mutating route has a case or a reason not to be audited', () => {
    const mutating = [...new Set(server.app.orgd.routes.filter((r) => MUTATING.has(r.method)).map((r) => `${r.method} ${r.url}`))];
    const covered = new Set([...CASES.map((c) => c.route), ...Object.keys(NOT_AUDITED)]);
    expect(mutating.filter((r) => !covered.has(r)), 'mutating routes without an audit case').toEqual([]);
    // And the table names no route that is gone.
    expect([...covered].filter((r) => !mutating.includes(r)), 'cases for routes that do not exist').toEqual([]);
  });

  for (const c of CASES) {
    it(`${c.route}: ${c.name}`, async () => {
      const state = c.setup ? await c.setup(ctx) : undefined;
      const before = await headSeq();
      const { res, expect: expected } = await c.act(ctx, state);
      const list = Array.isArray(expected) ? expected : [expected];
      expect(res.statusCode, res.body).toBe(list[0].status_code);
      const rows = await entriesAfter(before);
      expect(rows, 'entries written by this request').toHaveLength(list.length);
      // Entries of one request share its request id; a batch's order is by resource id.
      const ordered = list.length > 1 ? [...rows].sort((a, b) => (a.resource_id < b.resource_id ? -1 : 1)) : rows;
      list.forEach((want, i) => {
        const row = ordered[i];
        const { diff, diffKeys, ...fields } = want;
        expect(row).toMatchObject({ user_id: want.user_id ?? ctx.owner.userId, ...fields });
        if (diff) expect(row.diff).toMatchObject(diff);
        if (diffKeys) expect(Object.keys(row.diff).sort()).toEqual([...diffKeys].sort());
        if (want.status_code >= 400) expect(row.diff).toEqual({});
        expect(row.request_id).toBe(rows[0].request_id);
        expect(row.user_agent).toBe('lightMyRequest');
      });
    });
  }

  for (const [route, { why, act }] of Object.entries(NOT_AUDITED)) {
    if (!act) continue;
    it(`${route}: no entry (${why})`, async () => {
      const before = await headSeq();
      const res = await act(ctx);
      expect(res.statusCode, res.body).toBeLessThan(500);
      expect(await entriesAfter(before)).toEqual([]);
    });
  }

  it('leaves an intact chain behind', async () => {
    expect(await verifyAuditChain(server.database.db)).toMatchObject({ ok: true });
  });
});
