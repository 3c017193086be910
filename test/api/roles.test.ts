// Role listings (site and org) and PUT /users/{user}/roles, seen by owner, user admin, org admin,
// org user admin, plain member and a user of another organization.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer, NOT_FOUND } from '../helpers/server.js';
import { defaultOrgId, makeUser, type TestUser } from '../helpers/users.js';

const FORBIDDEN = {
  message: 'Forbidden.',
  detail:
    "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.",
};
const SITE_LISTED = ['owner', 'auditor', 'template-admin', 'user-admin'];
const ORG_LISTED = [
  'organization-admin',
  'organization-auditor',
  'organization-user-admin',
  'organization-template-admin',
  'organization-workspace-creation-ban',
  'organization-workspace-access',
];

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: Session;
let org: string;
let otherOrg: string;
let member: TestUser;
let userAdmin: TestUser;
let orgAdmin: TestUser;
let orgUserAdmin: TestUser;
let outsider: TestUser;

async function insertOrg(name: string): Promise<string> {
  const id = randomUUID();
  await sql.query(`INSERT INTO organizations (id, name, display_name) VALUES ($1, $2, $2)`, [id, name]);
  await sql.query(`INSERT INTO groups (id, name, organization_id) VALUES ($1, 'Everyone', $1)`, [id]);
  return id;
}

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  org = await defaultOrgId(server);
  otherOrg = await insertOrg('other');
  member = await makeUser(server, { orgs: { [org]: [] } });
  userAdmin = await makeUser(server, { siteRoles: ['user-admin'], orgs: { [org]: [] } });
  orgAdmin = await makeUser(server, { orgs: { [org]: ['organization-admin'] } });
  orgUserAdmin = await makeUser(server, { orgs: { [org]: ['organization-user-admin'] } });
  outsider = await makeUser(server, { orgs: { [otherOrg]: [] } });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

type Listed = { name: string; assignable: boolean; built_in: boolean; organization_id?: string; display_name: string };
const byName = (list: Listed[]) => Object.fromEntries(list.map((r) => [r.name, r.assignable]));

describe('GET /users/roles', () => {
  it('needs a session', async () => {
    expect((await api('GET', '/api/v2/users/roles')).statusCode).toBe(401);
  });

  it('lists the built-in site roles (not member) with assignable per caller', async () => {
    const res = await api('GET', '/api/v2/users/roles', { token: member.token });
    expect(res.statusCode).toBe(200);
    const list: Listed[] = res.json();
    expect(list.map((r) => r.name)).toEqual(SITE_LISTED);
    expect(list.every((r) => r.built_in && !r.assignable && !('organization_id' in r))).toBe(true);
    const ownerRole = list.find((r) => r.name === 'owner')!;
    expect(ownerRole).toMatchObject({ display_name: 'Owner', organization_permissions: [], organization_member_permissions: [] });
    expect((ownerRole as unknown as { site_permissions: unknown[] }).site_permissions.length).toBeGreaterThan(0);

    const asOwner: Listed[] = (await api('GET', '/api/v2/users/roles', { token: owner.token })).json();
    expect(byName(asOwner)).toEqual({ owner: true, auditor: true, 'template-admin': true, 'user-admin': true });
    // A user admin may only hand out `member`, which is not listed.
    const asUserAdmin: Listed[] = (await api('GET', '/api/v2/users/roles', { token: userAdmin.token })).json();
    expect(Object.values(byName(asUserAdmin))).toEqual([false, false, false, false]);
  });

  it('appends site-wide custom roles, assignable by owners only', async () => {
    await sql.query(
      `INSERT INTO custom_roles (id, name, display_name, site_permissions) VALUES ($1, 'site-reader', 'Site Reader', '[{"negate":false,"resource_type":"user","action":"read"}]')`,
      [randomUUID()],
    );
    try {
      const asOwner: Listed[] = (await api('GET', '/api/v2/users/roles', { token: owner.token })).json();
      expect(asOwner.at(-1)).toMatchObject({
        name: 'site-reader',
        display_name: 'Site Reader',
        built_in: false,
        assignable: true,
        site_permissions: [{ negate: false, resource_type: 'user', action: 'read' }],
      });
      const asMember: Listed[] = (await api('GET', '/api/v2/users/roles', { token: member.token })).json();
      expect(asMember.at(-1)).toMatchObject({ name: 'site-reader', assignable: false, built_in: false });
    } finally {
      await sql.query(`DELETE FROM custom_roles WHERE name = 'site-reader'`);
    }
  });
});

describe('GET /organizations/{org}/members/roles', () => {
  const url = (o: string) => `/api/v2/organizations/${o}/members/roles`;

  it('lists the built-in org roles that have a display name, for members of the org', async () => {
    const res = await api('GET', url(org), { token: member.token });
    expect(res.statusCode).toBe(200);
    const list: Listed[] = res.json();
    expect(list.map((r) => r.name)).toEqual(ORG_LISTED);
    expect(list.every((r) => r.built_in && !r.assignable && r.organization_id === org)).toBe(true);
    expect(list[0]!.display_name).toBe('Organization Admin');
    // `default` and the org name resolve the same org.
    expect((await api('GET', url('default'), { token: member.token })).json()).toEqual(list);
    expect((await api('GET', url('CODER'), { token: member.token })).json()).toEqual(list);
  });

  it('marks what each caller may assign', async () => {
    const all = Object.fromEntries(ORG_LISTED.map((n) => [n, true]));
    expect(byName((await api('GET', url(org), { token: owner.token })).json())).toEqual(all);
    expect(byName((await api('GET', url(org), { token: orgAdmin.token })).json())).toEqual(all);
    expect(byName((await api('GET', url(org), { token: orgUserAdmin.token })).json())).toEqual({
      ...Object.fromEntries(ORG_LISTED.map((n) => [n, false])),
      'organization-workspace-access': true,
    });
    // An org admin of the default org has no say in another org (it cannot even see it).
    expect((await api('GET', url(otherOrg), { token: orgAdmin.token })).statusCode).toBe(404);
  });

  it('appends the org custom roles and hides other orgs and system roles', async () => {
    await sql.query(
      `INSERT INTO custom_roles (id, name, display_name, organization_id, org_permissions) VALUES
         ($1, 'tmpl-reader', 'Template Reader', $3, '[{"negate":false,"resource_type":"template","action":"read"}]'),
         ($2, 'elsewhere', '', $4, '[]'),
         ($5, 'sys-role', '', $3, '[]')`,
      [randomUUID(), randomUUID(), org, otherOrg, randomUUID()],
    );
    await sql.query(`UPDATE custom_roles SET is_system = true WHERE name = 'sys-role'`);
    try {
      const asAdmin: Listed[] = (await api('GET', url(org), { token: orgAdmin.token })).json();
      expect(asAdmin.map((r) => r.name)).toEqual([...ORG_LISTED, 'tmpl-reader']);
      expect(asAdmin.at(-1)).toMatchObject({
        organization_id: org,
        built_in: false,
        assignable: true,
        organization_permissions: [{ negate: false, resource_type: 'template', action: 'read' }],
      });
      const asMember: Listed[] = (await api('GET', url(org), { token: member.token })).json();
      expect(asMember.at(-1)).toMatchObject({ name: 'tmpl-reader', assignable: false });
    } finally {
      await sql.query(`DELETE FROM custom_roles WHERE name IN ('tmpl-reader', 'elsewhere', 'sys-role')`);
    }
  });

  it('answers 404 to non-members and for unknown orgs, 401 without a session', async () => {
    expect((await api('GET', url(org), { token: outsider.token })).json()).toEqual(NOT_FOUND);
    expect((await api('GET', url(org), { token: outsider.token })).statusCode).toBe(404);
    expect((await api('GET', url(randomUUID()), { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', url('no-such-org'), { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', url(org))).statusCode).toBe(401);
    // Owners see every org.
    expect((await api('GET', url(otherOrg), { token: owner.token })).statusCode).toBe(200);
  });
});

describe('PUT /users/{user}/roles', () => {
  const put = (who: string, token: string, roles: unknown) =>
    api('PUT', `/api/v2/users/${who}/roles`, { token, body: { roles } });

  it('lets an owner replace site roles, answers the user and audits the rbac_roles change', async () => {
    const target = await makeUser(server, { orgs: { [org]: [] } });
    const res = await put(target.id, owner.token, ['auditor', 'template-admin', 'member', 'auditor']);
    expect(res.statusCode).toBe(200);
    const user = res.json();
    expect(user).toMatchObject({ id: target.id, username: target.username, organization_ids: [org] });
    expect(user.roles).toEqual([
      { name: 'auditor', display_name: 'Auditor' },
      { name: 'template-admin', display_name: 'Template Admin' },
    ]);
    const stored = await sql.query('SELECT rbac_roles FROM users WHERE id = $1', [target.id]);
    expect(stored.rows[0].rbac_roles).toEqual(['auditor', 'template-admin']);
    const audit = await sql.query(
      `SELECT action, resource_type, resource_id, resource_target, status_code, diff, user_id FROM audit_logs
        WHERE resource_id = $1 ORDER BY "time" DESC LIMIT 1`,
      [target.id],
    );
    expect(audit.rows[0]).toMatchObject({
      action: 'write',
      resource_type: 'user',
      resource_target: target.username,
      status_code: 200,
      user_id: owner.userId,
    });
    expect(audit.rows[0].diff.rbac_roles).toEqual({ old: [], new: ['auditor', 'template-admin'], secret: false });
    // The change is effective on the target's very next request.
    expect((await api('GET', '/api/v2/users/roles', { token: target.token })).statusCode).toBe(200);
    const back = await put(target.username, owner.token, []);
    expect(back.statusCode).toBe(200);
    expect(back.json().roles).toEqual([]);
  });

  it('refuses changing your own roles, and audits the attempt', async () => {
    const res = await put('me', owner.token, ['owner', 'auditor']);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'You cannot change your own roles.' });
    const audit = await sql.query(
      `SELECT status_code, diff FROM audit_logs WHERE resource_id = $1 AND action = 'write' ORDER BY "time" DESC LIMIT 1`,
      [owner.userId],
    );
    expect(audit.rows[0]).toEqual({ status_code: 400, diff: {} });
  });

  it('applies the assignment matrix: 403 for roles the caller may not give or take', async () => {
    const target = await makeUser(server, { orgs: { [org]: [] } });
    expect((await put(target.id, member.token, ['auditor'])).json()).toEqual(FORBIDDEN);
    expect((await put(target.id, member.token, ['auditor'])).statusCode).toBe(403);
    expect((await put(target.id, orgAdmin.token, ['auditor'])).statusCode).toBe(403);
    // A user admin holds assign_role but the matrix only lets it hand out `member`.
    expect((await put(target.id, userAdmin.token, ['auditor'])).statusCode).toBe(403);
    expect((await put(target.id, userAdmin.token, ['member'])).statusCode).toBe(200);
    await sql.query(`UPDATE users SET rbac_roles = '{auditor}' WHERE id = $1`, [target.id]);
    expect((await put(target.id, userAdmin.token, [])).statusCode).toBe(403);
    expect((await put(target.id, owner.token, [])).statusCode).toBe(200);
    // Nothing changed by the refused attempts.
    expect((await sql.query('SELECT rbac_roles FROM users WHERE id = $1', [target.id])).rows[0].rbac_roles).toEqual([]);
  });

  it('answers 400 with the reason for roles that are not site roles', async () => {
    const target = await makeUser(server, { orgs: { [org]: [] } });
    let res = await put(target.id, owner.token, ['no-such-role']);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: '"no-such-role" is not a supported role' });
    res = await put(target.id, owner.token, ['organization-admin']);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('"organization-admin" is not a supported role');
    res = await put(target.id, owner.token, [`organization-admin:${org}`]);
    expect(res.statusCode).toBe(400);
    // Site roles are bare names: a scoped identifier is just an unknown name here.
    expect(res.json().message).toBe(`"organization-admin:${org}" is not a supported role`);
  });

  it('assigns site custom roles (owners only)', async () => {
    await sql.query(`INSERT INTO custom_roles (id, name, display_name) VALUES ($1, 'site-custom', 'Site Custom')`, [randomUUID()]);
    try {
      const target = await makeUser(server, { orgs: { [org]: [] } });
      expect((await put(target.id, userAdmin.token, ['site-custom'])).statusCode).toBe(403);
      const res = await put(target.id, owner.token, ['site-custom']);
      expect(res.statusCode).toBe(200);
      expect(res.json().roles).toEqual([{ name: 'site-custom', display_name: '' }]);
    } finally {
      await sql.query(`DELETE FROM custom_roles WHERE name = 'site-custom'`);
    }
  });

  it('answers 404 for unknown users, 400 for bad bodies, 401 without a session', async () => {
    expect((await put(randomUUID(), owner.token, [])).statusCode).toBe(404);
    expect((await put('nobody-here', owner.token, [])).json()).toEqual(NOT_FOUND);
    const bad = await api('PUT', `/api/v2/users/${member.id}/roles`, { token: owner.token, body: '{"roles":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('Request body must be valid JSON.');
    const wrongType = await put(member.id, owner.token, 'owner');
    expect(wrongType.statusCode).toBe(400);
    expect((await api('PUT', `/api/v2/users/${member.id}/roles`, { body: { roles: [] } })).statusCode).toBe(401);
  });
});
