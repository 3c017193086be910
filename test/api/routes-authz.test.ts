// The route table, walked whole: every route the server registers (whatever module adds it) must
// declare its authorization, must be classified below, and is called unauthenticated and as a
// plain member against resources owned by others. A route missing from the table fails, so a new
// route cannot ship without someone deciding who may use it. Statuses follow api.md: reads of
// what the caller may not see are 404, refused mutations 403 or 404 as the spec says; 5xx never.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, login, startTestServer, type Api, type Session, type TestServer } from '../helpers/server.js';
import { defaultOrgId, makeUser, TEST_PASSWORD, type TestUser } from '../helpers/users.js';

/** Routes anyone may call without a session (Coder's unauthenticated routes). */
const PUBLIC_ROUTES = new Set([
  'GET /api/v2',
  'GET /api/v2/buildinfo',
  'GET /api/v2/users/first',
  'POST /api/v2/users/first',
  'POST /api/v2/users/login',
  'GET /api/v2/users/authmethods',
  // In Coder's login group (no session): the setup page checks passwords before any user exists.
  'POST /api/v2/users/validate-password',
  'POST /api/v2/users/otp/request',
  'POST /api/v2/users/otp/change-password',
  'GET /api/v2/openapi.json',
  'GET /docs',
  'GET /metrics',
]);

interface World {
  owner: Session;
  ownerKeyId: string;
  ownerTokenName: string;
  member: TestUser;
  victim: TestUser;
  stranger: TestUser;
  defaultOrg: string;
  otherOrg: string;
  otherGroup: string;
  otherRole: string;
}

interface Probe {
  /** Path params; defaults: {user} the victim, {organization} an org the member is not in. */
  params?: (w: World) => Record<string, string>;
  body?: (w: World) => unknown;
  /** Statuses the plain member may get. */
  allowed: number[];
  /** Strings that must not appear in a successful answer (rows of others). */
  mustNotLeak?: (w: World) => string[];
  /** Use a fresh session of the member (routes that end the session). */
  disposableSession?: boolean;
  why: string;
}

type Entry = { public: true } | { probes: Probe[] };

const inOwnOrg = (w: World) => ({ organization: w.defaultOrg });
const ownerKeys = (w: World) => ({ user: w.owner.userId, keyid: w.ownerKeyId, keyname: w.ownerTokenName });
const perm = (resource_type: string, action: string) => ({ negate: false, resource_type, action });

/** Every route of api.md (registered or still to come) with who may use it. */
const TABLE: Record<string, Entry> = {
  ...Object.fromEntries([...PUBLIC_ROUTES].map((r) => [r, { public: true } as const])),

  'POST /api/v2/users/logout': { probes: [{ allowed: [200], disposableSession: true, why: 'own session only' }] },
  'POST /api/v2/users': {
    probes: [
      {
        body: (w) => ({ email: 'made-by-member@example.com', username: 'made-by-member', password: TEST_PASSWORD, organization_ids: [w.defaultOrg] }),
        allowed: [403],
        why: 'create user is owner/user-admin only',
      },
    ],
  },
  'GET /api/v2/users': {
    probes: [{ allowed: [200], mustNotLeak: (w) => [w.victim.id, w.owner.userId], why: 'rows limited to readable users' }],
  },
  'GET /api/v2/users/oidc-claims': { probes: [{ allowed: [200, 404], why: 'own claims only' }] },
  'GET /api/v2/users/roles': { probes: [{ allowed: [200], why: 'every member reads assign_role' }] },
  'GET /api/v2/users/:user': { probes: [{ allowed: [200], why: 'Coder applies no check to a single user' }] },
  'DELETE /api/v2/users/:user': { probes: [{ allowed: [403, 404], why: 'delete user' }] },
  'PUT /api/v2/users/:user/profile': {
    probes: [{ body: (w) => ({ username: w.victim.username, name: 'Renamed' }), allowed: [403, 404], why: 'update_personal of another user' }],
  },
  'PUT /api/v2/users/:user/status/suspend': { probes: [{ allowed: [403, 404], why: 'update user' }] },
  'PUT /api/v2/users/:user/status/activate': { probes: [{ allowed: [403, 404], why: 'update user' }] },
  'PUT /api/v2/users/:user/password': {
    probes: [{ body: () => ({ old_password: '', password: 'An0ther-Strong-Passw0rd!' }), allowed: [404], why: 'update_personal else 404' }],
  },
  'GET /api/v2/users/:user/roles': { probes: [{ allowed: [404], why: 'read_personal else 404' }] },
  'PUT /api/v2/users/:user/roles': {
    probes: [{ body: () => ({ roles: ['owner'] }), allowed: [403], why: 'assign_role + matrix, else 403' }],
  },
  'GET /api/v2/users/:user/login-type': { probes: [{ allowed: [403], why: 'oneself only' }] },
  'GET /api/v2/users/:user/appearance': { probes: [{ allowed: [403, 404], why: 'read_personal' }] },
  'PUT /api/v2/users/:user/appearance': {
    probes: [{ body: () => ({ theme_preference: 'dark' }), allowed: [403, 404], why: 'update_personal' }],
  },
  'GET /api/v2/users/:user/preferences': { probes: [{ allowed: [403, 404], why: 'read_personal' }] },
  'PUT /api/v2/users/:user/preferences': { probes: [{ body: () => ({}), allowed: [403, 404], why: 'update_personal' }] },
  'POST /api/v2/users/:user/convert-login': {
    probes: [{ body: () => ({ to_type: 'oidc', password: TEST_PASSWORD }), allowed: [403, 404], why: 'oneself only' }],
  },
  'POST /api/v2/users/:user/keys': { probes: [{ params: ownerKeys, allowed: [403, 404], why: 'create api_key for another user' }] },
  'POST /api/v2/users/:user/keys/tokens': {
    probes: [{ params: ownerKeys, body: () => ({ token_name: 'stolen' }), allowed: [403, 404], why: 'create api_key for another user' }],
  },
  'GET /api/v2/users/:user/keys/tokens': {
    probes: [{ params: ownerKeys, allowed: [200, 403, 404], mustNotLeak: (w) => [w.ownerKeyId], why: 'rows filtered by read api_key' }],
  },
  'GET /api/v2/users/:user/keys/tokens/tokenconfig': {
    probes: [{ params: ownerKeys, allowed: [200, 403, 404], why: 'deployment limits only' }],
  },
  'GET /api/v2/users/:user/keys/tokens/:keyname': { probes: [{ params: ownerKeys, allowed: [404], why: 'read api_key else 404' }] },
  'GET /api/v2/users/:user/keys/:keyid': { probes: [{ params: ownerKeys, allowed: [404], why: 'read api_key else 404' }] },
  'DELETE /api/v2/users/:user/keys/:keyid': { probes: [{ params: ownerKeys, allowed: [403, 404], why: 'delete api_key' }] },
  'PUT /api/v2/users/:user/keys/:keyid/expire': { probes: [{ params: ownerKeys, allowed: [403, 404], why: 'update api_key' }] },
  'GET /api/v2/users/:user/organizations': {
    probes: [{ allowed: [200], mustNotLeak: (w) => [w.otherOrg], why: 'organizations filtered by read' }],
  },
  'GET /api/v2/users/:user/organizations/:organizationname': {
    probes: [{ params: (w) => ({ user: w.victim.id, organizationname: 'other' }), allowed: [404], why: 'read organization else 404' }],
  },

  'POST /api/v2/authcheck': {
    probes: [
      {
        body: (w) => ({ checks: { a: { object: { resource_type: 'organization', organization_id: w.otherOrg }, action: 'read' } } }),
        allowed: [200],
        why: 'answers only about the caller',
      },
    ],
  },
  'GET /api/v2/audit': { probes: [{ allowed: [403], why: 'audit gate' }] },
  'POST /api/v2/audit/testgenerate': { probes: [{ body: () => ({}), allowed: [403], why: 'audit gate' }] },

  'GET /api/v2/organizations': { probes: [{ allowed: [200], mustNotLeak: (w) => [w.otherOrg], why: 'rows filtered by read' }] },
  'POST /api/v2/organizations': { probes: [{ body: () => ({ name: 'member-made-org' }), allowed: [403], why: 'owner only' }] },
  'GET /api/v2/organizations/:organization': { probes: [{ allowed: [404], why: 'not a member' }] },
  'PATCH /api/v2/organizations/:organization': {
    probes: [
      { body: () => ({ display_name: 'Hijacked' }), allowed: [404], why: 'not a member' },
      { params: inOwnOrg, body: () => ({ display_name: 'Hijacked' }), allowed: [403, 404], why: 'member of the org, no update' },
    ],
  },
  'DELETE /api/v2/organizations/:organization': {
    probes: [
      { allowed: [404], why: 'not a member' },
      { params: (w) => ({ organization: w.defaultOrg }), allowed: [400, 403, 404], why: 'default org (400) or no delete' },
    ],
  },
  'GET /api/v2/organizations/:organization/members': {
    probes: [{ allowed: [404], why: 'not a member' }],
  },
  'GET /api/v2/organizations/:organization/paginated-members': { probes: [{ allowed: [404], why: 'not a member' }] },
  'POST /api/v2/organizations/:organization/members': {
    probes: [
      { body: (w) => ({ user_ids: [w.stranger.id] }), allowed: [404], why: 'not a member' },
      { params: inOwnOrg, body: (w) => ({ user_ids: [w.stranger.id] }), allowed: [403, 404], why: 'no create organization_member' },
    ],
  },
  'POST /api/v2/organizations/:organization/members/:user': {
    probes: [
      { params: (w) => ({ organization: w.otherOrg, user: w.member.id }), allowed: [404], why: 'cannot join an org' },
      { params: (w) => ({ organization: w.defaultOrg, user: w.stranger.id }), allowed: [403, 404], why: 'no create organization_member' },
    ],
  },
  'GET /api/v2/organizations/:organization/members/:user': { probes: [{ allowed: [404], why: 'not a member' }] },
  'DELETE /api/v2/organizations/:organization/members/:user': {
    probes: [
      { allowed: [404], why: 'not a member' },
      { params: (w) => ({ organization: w.defaultOrg, user: w.victim.id }), allowed: [403, 404], why: 'no delete organization_member' },
    ],
  },
  'PUT /api/v2/organizations/:organization/members/:user/roles': {
    probes: [
      { body: () => ({ roles: ['organization-admin'] }), allowed: [404], why: 'not a member' },
      {
        params: (w) => ({ organization: w.defaultOrg, user: w.victim.id }),
        body: () => ({ roles: ['organization-admin'] }),
        allowed: [403],
        why: 'assign_org_role + matrix, else 403',
      },
    ],
  },
  'GET /api/v2/organizations/:organization/members/:user/workspace-quota': { probes: [{ allowed: [404], why: 'not a member' }] },

  'GET /api/v2/organizations/:organization/members/roles': {
    probes: [{ allowed: [404], why: 'read assign_org_role in org else 404' }],
  },
  'POST /api/v2/organizations/:organization/members/roles': {
    probes: [
      { body: () => ({ name: 'member-role', organization_permissions: [perm('template', 'read')] }), allowed: [404], why: 'not a member' },
      {
        params: inOwnOrg,
        body: () => ({ name: 'member-role', organization_permissions: [perm('template', 'read')] }),
        allowed: [404],
        why: 'create assign_org_role else 404',
      },
    ],
  },
  'PUT /api/v2/organizations/:organization/members/roles': {
    probes: [
      { body: (w) => ({ name: w.otherRole, organization_permissions: [] }), allowed: [404], why: 'not a member' },
      {
        params: inOwnOrg,
        body: () => ({ name: 'own-org-role', organization_permissions: [] }),
        allowed: [404],
        why: 'update assign_org_role else 404',
      },
    ],
  },
  'DELETE /api/v2/organizations/:organization/members/roles/:roleName': {
    probes: [
      { params: (w) => ({ organization: w.otherOrg, roleName: w.otherRole }), allowed: [404], why: 'not a member' },
      { params: (w) => ({ organization: w.defaultOrg, roleName: 'own-org-role' }), allowed: [403], why: 'delete assign_org_role else 403' },
    ],
  },

  'GET /api/v2/organizations/:organization/groups': { probes: [{ allowed: [404], why: 'not a member' }] },
  'POST /api/v2/organizations/:organization/groups': {
    probes: [
      { body: () => ({ name: 'member-group' }), allowed: [404], why: 'not a member' },
      { params: inOwnOrg, body: () => ({ name: 'member-group' }), allowed: [403, 404], why: 'no create group' },
    ],
  },
  'GET /api/v2/organizations/:organization/paginated-groups': { probes: [{ allowed: [404], why: 'not a member' }] },
  'GET /api/v2/organizations/:organization/groups/:groupName': {
    probes: [{ params: (w) => ({ organization: w.otherOrg, groupName: 'devs' }), allowed: [404], why: 'not a member' }],
  },
  'GET /api/v2/organizations/:organization/groups/:groupName/members': {
    probes: [{ params: (w) => ({ organization: w.otherOrg, groupName: 'devs' }), allowed: [404], why: 'not a member' }],
  },
  'GET /api/v2/groups': { probes: [{ allowed: [200], mustNotLeak: (w) => [w.otherGroup], why: 'rows filtered by read' }] },
  'GET /api/v2/groups/:group': { probes: [{ params: (w) => ({ group: w.otherGroup }), allowed: [404], why: 'read group else 404' }] },
  'PATCH /api/v2/groups/:group': {
    probes: [{ params: (w) => ({ group: w.otherGroup }), body: () => ({ display_name: 'x' }), allowed: [403, 404], why: 'update group' }],
  },
  'DELETE /api/v2/groups/:group': { probes: [{ params: (w) => ({ group: w.otherGroup }), allowed: [403, 404], why: 'delete group' }] },
  'GET /api/v2/groups/:group/members': { probes: [{ params: (w) => ({ group: w.otherGroup }), allowed: [404], why: 'read group else 404' }] },

  'GET /api/v2/settings/idpsync/organization': { probes: [{ allowed: [403], why: 'read idpsync_settings (site)' }] },
  'PATCH /api/v2/settings/idpsync/organization': {
    probes: [{ body: () => ({ field: 'groups', mapping: {}, organization_assign_default: true }), allowed: [403], why: 'update idpsync_settings' }],
  },
  'PATCH /api/v2/settings/idpsync/organization/config': {
    probes: [{ body: () => ({ field: 'groups', assign_default: true }), allowed: [403], why: 'update idpsync_settings' }],
  },
  'PATCH /api/v2/settings/idpsync/organization/mapping': {
    probes: [{ body: () => ({ add: [], remove: [] }), allowed: [403], why: 'update idpsync_settings' }],
  },
  ...Object.fromEntries(
    ['roles', 'groups'].flatMap((kind) => [
      [
        `GET /api/v2/organizations/:organization/settings/idpsync/${kind}`,
        {
          probes: [
            { allowed: [403, 404], why: 'not a member' },
            { params: inOwnOrg, allowed: [403, 404], why: 'read idpsync_settings in org' },
          ],
        },
      ],
      [
        `PATCH /api/v2/organizations/:organization/settings/idpsync/${kind}`,
        {
          probes: [
            { body: () => ({ field: 'roles', mapping: {} }), allowed: [403, 404], why: 'not a member' },
            { params: inOwnOrg, body: () => ({ field: 'roles', mapping: {} }), allowed: [403, 404], why: 'update idpsync_settings in org' },
          ],
        },
      ],
    ]),
  ),
};

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let world: World;

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  const owner = await createFirstUser(server.app);
  const defaultOrg = await defaultOrgId(server);
  const otherOrg = randomUUID();
  const otherGroup = randomUUID();
  await sql.query(`INSERT INTO organizations (id, name, display_name) VALUES ($1, 'other', 'Other')`, [otherOrg]);
  await sql.query(`INSERT INTO groups (id, name, organization_id) VALUES ($1, 'Everyone', $1), ($2, 'devs', $1)`, [otherOrg, otherGroup]);
  const otherRole = 'other-org-role';
  await sql.query(`INSERT INTO custom_roles (id, name, display_name, organization_id) VALUES ($1, $2, '', $3), ($4, 'own-org-role', '', $5)`, [
    randomUUID(),
    otherRole,
    otherOrg,
    randomUUID(),
    defaultOrg,
  ]);
  const ownerTokenName = 'owner-token';
  const token = await api('POST', '/api/v2/users/me/keys/tokens', { token: owner.token, body: { token_name: ownerTokenName } });
  if (token.statusCode !== 201) throw new Error(`owner token: ${token.body}`);
  const ownerKeyId = (token.json().key as string).split('-')[0]!;
  const member = await makeUser(server, { username: 'plain-member', orgs: { [defaultOrg]: [] } });
  const victim = await makeUser(server, { username: 'victim', orgs: { [defaultOrg]: [], [otherOrg]: [] } });
  const stranger = await makeUser(server, { username: 'stranger', orgs: { [otherOrg]: [] } });
  world = { owner, ownerKeyId, ownerTokenName, member, victim, stranger, defaultOrg, otherOrg, otherGroup, otherRole };
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

const routeKey = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

function fillPath(url: string, params: Record<string, string>): string {
  return url.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${url}`);
    return encodeURIComponent(value);
  });
}

function defaultParams(w: World): Record<string, string> {
  return { user: w.victim.id, organization: w.otherOrg };
}

describe('the route table', () => {
  it('declares the authorization of every route', () => {
    const routes = server.app.orgd.routes;
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => typeof r.config.authz !== 'string' || r.config.authz.trim() === '').map(routeKey);
    expect(missing, 'routes without config.authz').toEqual([]);
  });

  it('classifies every route, and only the allow-listed ones are public', () => {
    const routes = server.app.orgd.routes;
    expect(routes.map(routeKey).filter((k) => !(k in TABLE)), 'routes missing from the table').toEqual([]);
    const open = routes.filter((r) => (r.config.auth ?? 'required') !== 'required').map(routeKey);
    expect(open.filter((k) => !PUBLIC_ROUTES.has(k)), 'routes without a required session').toEqual([]);
    for (const r of routes) {
      const entry = TABLE[routeKey(r)]!;
      if ('public' in entry) expect(r.config.auth, routeKey(r)).toBe('none');
    }
  });

  it('refuses every non-public route to an unauthenticated caller with 401', async () => {
    const failures: string[] = [];
    for (const r of server.app.orgd.routes) {
      const key = routeKey(r);
      const entry = TABLE[key];
      if (!entry) continue;
      const probe = 'probes' in entry ? entry.probes[0]! : undefined;
      const params = { ...defaultParams(world), ...probe?.params?.(world) };
      const body = probe?.body?.(world) ?? (r.method === 'GET' || r.method === 'DELETE' ? undefined : {});
      const res = await api(r.method, fillPath(r.url, params), { body });
      if ('public' in entry) {
        if (res.statusCode >= 500) failures.push(`${key}: public route answered ${res.statusCode}`);
      } else if (res.statusCode !== 401) {
        failures.push(`${key}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      } else if (res.json().message !== 'You are signed out or your session has expired. Please sign in again to continue.') {
        failures.push(`${key}: 401 with ${res.body}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets a plain member use no route beyond what the spec allows', async () => {
    const failures: string[] = [];
    let probed = 0;
    for (const r of server.app.orgd.routes) {
      const key = routeKey(r);
      const entry = TABLE[key];
      if (!entry || 'public' in entry) continue;
      for (const probe of entry.probes) {
        const params = { ...defaultParams(world), ...probe.params?.(world) };
        const token = probe.disposableSession ? await login(server.app, world.member.email, TEST_PASSWORD) : world.member.token;
        const path = fillPath(r.url, params);
        const res = await api(r.method, path, { token, body: probe.body?.(world) });
        probed++;
        const where = `${r.method} ${path} (${probe.why})`;
        if (!probe.allowed.includes(res.statusCode)) {
          failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 160)}, allowed ${probe.allowed.join('/')}`);
          continue;
        }
        if (res.statusCode < 300) {
          for (const secret of probe.mustNotLeak?.(world) ?? []) {
            if (res.body.includes(secret)) failures.push(`${where}: answer contains ${secret}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(probed).toBeGreaterThan(20);
    // The member's own session still works: no probe ended it or changed its roles.
    expect((await api('GET', '/api/v2/users/me', { token: world.member.token })).json().roles).toEqual([]);
  });
});
