// Organization members through real HTTP (inject): add, batch add, read, list, paginate, change
// roles, remove; as owner, org admin, org user admin, org auditor, plain member and a user of
// another org; with the audit entries each change leaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer, NOT_FOUND } from '../helpers/server.js';
import { makeUser, type TestUser } from '../helpers/users.js';

const FORBIDDEN = 'Forbidden.';

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: Session;
let orgId: string;
let otherOrgId: string;
let admin: TestUser;
let userAdmin: TestUser;
let auditor: TestUser;
let member: TestUser;
let outsider: TestUser;

const M = (user: string, org = orgId) => `/api/v2/organizations/${org}/members/${user}`;

async function createOrg(name: string): Promise<string> {
  const res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function auditRows(resourceId: string, action?: string) {
  const { rows } = await sql.query(
    `SELECT action, resource_type, resource_target, status_code, organization_id, diff, user_id
       FROM audit_logs WHERE resource_id = $1 AND resource_type = 'organization_member' ${action ? 'AND action = $2' : ''}
      ORDER BY time, id`,
    action ? [resourceId, action] : [resourceId],
  );
  return rows;
}

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  orgId = await createOrg('acme');
  otherOrgId = await createOrg('other');
  admin = await makeUser(server, { username: 'org-admin', orgs: { [orgId]: ['organization-admin'] } });
  userAdmin = await makeUser(server, { username: 'org-user-admin', orgs: { [orgId]: ['organization-user-admin'] } });
  auditor = await makeUser(server, { username: 'org-auditor', orgs: { [orgId]: ['organization-auditor'] } });
  member = await makeUser(server, { username: 'plain', orgs: { [orgId]: [] } });
  outsider = await makeUser(server, { username: 'outsider', orgs: { [otherOrgId]: [] } });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

describe('add member', () => {
  it('adds once, answers 200 OrganizationMember, refuses a second add and audits the one success', async () => {
    const target = await makeUser(server, { username: 'target-one' });
    let res = await api('POST', M(target.username), { token: owner.token });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      user_id: target.id,
      organization_id: orgId,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      roles: [],
    });
    res = await api('POST', M(target.id), { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'User is already an organization member', detail: 'target-one is already a member of acme' });

    const rows = await auditRows(target.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'create', resource_target: 'target-one', status_code: 200, organization_id: orgId, user_id: owner.userId });
    expect(rows[0].diff).toMatchObject({ user_id: { old: '', new: target.id, secret: false }, username: { old: '', new: 'target-one' } });
  });

  it('lets org admins and org user admins add, and hides the route from others', async () => {
    for (const actor of [admin, userAdmin]) {
      const target = await makeUser(server);
      const res = await api('POST', M(target.id), { token: actor.token });
      expect(res.statusCode, res.body).toBe(200);
    }
    const target = await makeUser(server);
    for (const actor of [auditor, member, outsider]) {
      const res = await api('POST', M(target.id), { token: actor.token });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
    expect(await auditRows(target.id)).toHaveLength(0);
  });

  it('answers 404 for unknown users and organizations', async () => {
    expect((await api('POST', M('nobody-here'), { token: owner.token })).statusCode).toBe(404);
    expect((await api('POST', M('00000000-0000-4000-8000-000000000001'), { token: owner.token })).statusCode).toBe(404);
    const res = await api('POST', `/api/v2/organizations/no-such-org/members/${member.id}`, { token: owner.token });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(NOT_FOUND);
  });

  it('refuses OIDC users while organization sync is on', async () => {
    const oidc = await makeUser(server, { username: 'oidc-person', loginType: 'oidc' });
    // Only site-level idpsync readers see the settings.
    expect((await api('GET', '/api/v2/settings/idpsync/organization', { token: admin.token })).statusCode).toBe(403);
    let res = await api('GET', '/api/v2/settings/idpsync/organization', { token: owner.token });
    expect(res.json()).toEqual({ field: '', mapping: {}, organization_assign_default: true });
    res = await api('PATCH', '/api/v2/settings/idpsync/organization', { token: owner.token, body: { field: 'groups', mapping: { eng: [orgId] } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ field: 'groups', mapping: { eng: [orgId] }, organization_assign_default: false });

    res = await api('POST', M(oidc.id), { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message:
        'Organization sync is enabled for OIDC users, meaning manual organization assignment is not allowed for this user. Have the user re-login to refresh their organizations.',
      detail: 'User oidc-person is an OIDC user and organization sync is enabled. Ask an administrator to resolve the membership in your external IDP.',
    });
    // Password users are still added by hand.
    const local = await makeUser(server);
    expect((await api('POST', M(local.id), { token: owner.token })).statusCode).toBe(200);

    await api('PATCH', '/api/v2/settings/idpsync/organization', { token: owner.token, body: { field: '' } });
    expect((await api('POST', M(oidc.id), { token: owner.token })).statusCode).toBe(200);
  });
});

describe('batch add', () => {
  it('adds every listed user in one transaction with one audit entry each', async () => {
    const a = await makeUser(server);
    const b = await makeUser(server);
    const res = await api('POST', `/api/v2/organizations/${orgId}/members`, { token: owner.token, body: { user_ids: [a.id, b.id, a.id] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().map((m: { user_id: string }) => m.user_id)).toEqual([a.id, b.id]);
    expect(await auditRows(a.id, 'create')).toHaveLength(1);
    expect(await auditRows(b.id, 'create')).toHaveLength(1);
  });

  it('is all or nothing', async () => {
    const fresh = await makeUser(server);
    const res = await api('POST', `/api/v2/organizations/${orgId}/members`, { token: owner.token, body: { user_ids: [fresh.id, member.id] } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'User is already an organization member', detail: 'plain is already a member of acme' });
    const { rows } = await sql.query('SELECT 1 FROM organization_members WHERE user_id = $1 AND organization_id = $2', [fresh.id, orgId]);
    expect(rows).toHaveLength(0);
    expect(await auditRows(fresh.id)).toHaveLength(0);
  });

  it('reads targets as the caller: creating members without reading users is 403', async () => {
    await sql.query(
      `INSERT INTO custom_roles (id, name, display_name, organization_id, org_permissions)
       VALUES (gen_random_uuid(), 'member-adder', 'Member Adder', $1, $2)`,
      [
        orgId,
        JSON.stringify([
          { negate: false, resource_type: 'organization_member', action: 'create' },
          { negate: false, resource_type: 'organization_member', action: 'read' },
          { negate: false, resource_type: 'organization', action: 'read' },
        ]),
      ],
    );
    const adder = await makeUser(server, { orgs: { [orgId]: ['member-adder'] } });
    const target = await makeUser(server);
    let res = await api('POST', `/api/v2/organizations/${orgId}/members`, { token: adder.token, body: { user_ids: [target.id] } });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toBe(FORBIDDEN);
    // Without create rights at all: 403 as well; outside the org: 404.
    res = await api('POST', `/api/v2/organizations/${orgId}/members`, { token: member.token, body: { user_ids: [target.id] } });
    expect(res.statusCode).toBe(403);
    res = await api('POST', `/api/v2/organizations/${orgId}/members`, { token: outsider.token, body: { user_ids: [target.id] } });
    expect(res.statusCode).toBe(404);
  });

  it('validates the list: 1 to 100 uuids of existing users', async () => {
    const url = `/api/v2/organizations/${orgId}/members`;
    let res = await api('POST', url, { token: owner.token, body: { user_ids: [] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Validation failed.');
    expect(res.json().validations[0].field).toBe('user_ids');
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    res = await api('POST', url, { token: owner.token, body: { user_ids: many } });
    expect(res.statusCode).toBe(400);
    res = await api('POST', url, { token: owner.token, body: { user_ids: ['00000000-0000-4000-8000-000000000999'] } });
    expect(res.statusCode).toBe(404);
    res = await api('POST', url, { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Request body must be valid JSON.', detail: 'EOF' });
  });
});

describe('read members', () => {
  it('GET one member with user data, for everyone in the org; 404 outside', async () => {
    for (const actor of [owner, admin, userAdmin, auditor, member]) {
      const res = await api('GET', M('plain'), { token: actor.token });
      expect(res.statusCode, res.body).toBe(200);
      const m = res.json();
      expect(m).toMatchObject({
        username: 'plain',
        email: 'plain@example.com',
        status: 'active',
        login_type: 'password',
        global_roles: [],
        has_ai_seat: false,
        user_id: member.id,
        organization_id: orgId,
        roles: [],
      });
      expect(m).not.toHaveProperty('name');
      expect(m).not.toHaveProperty('avatar_url');
      expect(Object.keys(m).slice(0, 4)).toEqual(['username', 'email', 'status', 'login_type']);
    }
    expect((await api('GET', M('me'), { token: member.token })).json().user_id).toBe(member.id);
    expect((await api('GET', M('plain'), { token: outsider.token })).statusCode).toBe(404);
    // Not a member, unknown user, unknown org.
    expect((await api('GET', M('outsider'), { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', M('ghost'), { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', `/api/v2/organizations/nope/members/plain`, { token: owner.token })).statusCode).toBe(404);
  });

  it('deprecated list: all members to readers, q grammar, 404 outside', async () => {
    let res = await api('GET', `/api/v2/organizations/${orgId}/members`, { token: member.token });
    expect(res.statusCode).toBe(200);
    const names = res.json().map((m: { username: string }) => m.username);
    expect(names).toContain('admin');
    expect(names).toContain('plain');
    expect(names).toEqual([...names].sort((a: string, b: string) => a.localeCompare(b)));
    res = await api('GET', `/api/v2/organizations/${orgId}/members?q=user_id:${member.id}`, { token: auditor.token });
    expect(res.json().map((m: { user_id: string }) => m.user_id)).toEqual([member.id]);
    res = await api('GET', `/api/v2/organizations/${orgId}/members?q=bogus`, { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Invalid organization member search query.' });
    expect((await api('GET', `/api/v2/organizations/${orgId}/members`, { token: outsider.token })).statusCode).toBe(404);
    // An org with only its creator.
    res = await api('GET', `/api/v2/organizations/${otherOrgId}/members?q=user_id:${member.id}`, { token: owner.token });
    expect(res.json()).toEqual([]);
  });

  it('paginated members: keyset by after_id, offset, count, empty pages, filters, errors', async () => {
    const url = `/api/v2/organizations/${orgId}/paginated-members`;
    let res = await api('GET', url, { token: owner.token });
    expect(res.statusCode).toBe(200);
    const all = res.json();
    expect(all.count).toBe(all.members.length);
    const names = all.members.map((m: { username: string }) => m.username);
    expect(names).toEqual([...names].sort());

    // Walk the whole list two at a time by cursor.
    const walked: string[] = [];
    let after = '';
    for (;;) {
      res = await api('GET', `${url}?limit=2${after ? `&after_id=${after}` : ''}`, { token: member.token });
      const page = res.json();
      expect(page.count).toBe(all.count);
      if (page.members.length === 0) break;
      walked.push(...page.members.map((m: { username: string }) => m.username));
      after = page.members[page.members.length - 1].user_id;
    }
    expect(walked).toEqual(names);

    res = await api('GET', `${url}?limit=2&offset=2`, { token: auditor.token });
    expect(res.json().members.map((m: { username: string }) => m.username)).toEqual(names.slice(2, 4));
    res = await api('GET', `${url}?offset=100000`, { token: owner.token });
    expect(res.json()).toEqual({ members: [], count: all.count });

    res = await api('GET', `${url}?q=${encodeURIComponent('plain')}`, { token: owner.token });
    expect(res.json()).toMatchObject({ count: 1, members: [{ username: 'plain' }] });
    res = await api('GET', `${url}?q=status:suspended`, { token: owner.token });
    expect(res.json()).toEqual({ members: [], count: 0 });

    res = await api('GET', `${url}?limit=-1`, { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Query parameters have invalid values.');
    res = await api('GET', `${url}?after_id=nope`, { token: owner.token });
    expect(res.json().validations).toEqual([{ field: 'after_id', detail: 'Query param "after_id" must be a valid uuid' }]);
    res = await api('GET', `${url}?q=status:bogus`, { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Invalid user search query.');
    expect((await api('GET', url, { token: outsider.token })).statusCode).toBe(404);
  });

  it('lists the organizations of a user as the caller may see them', async () => {
    let res = await api('GET', `/api/v2/users/${member.id}/organizations`, { token: owner.token });
    expect(res.json().map((o: { id: string }) => o.id)).toEqual([orgId]);
    res = await api('GET', `/api/v2/users/${member.id}/organizations`, { token: outsider.token });
    expect(res.json()).toEqual([]);
    res = await api('GET', `/api/v2/users/${member.id}/organizations/ACME`, { token: member.token });
    expect(res.json().id).toBe(orgId);
    expect((await api('GET', `/api/v2/users/${member.id}/organizations/acme`, { token: outsider.token })).statusCode).toBe(404);
    expect((await api('GET', `/api/v2/users/${member.id}/organizations/missing`, { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', `/api/v2/users/ghost/organizations`, { token: owner.token })).statusCode).toBe(404);
  });
});

describe('member roles', () => {
  it('owner and org admin assign; self, lesser roles and outsiders are refused', async () => {
    const target = await makeUser(server, { username: 'role-target', orgs: { [orgId]: [] } });
    const url = `${M(target.id)}/roles`;
    let res = await api('PUT', url, { token: owner.token, body: { roles: ['organization-admin'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().roles).toEqual([{ name: 'organization-admin', display_name: 'Organization Admin', organization_id: orgId }]);

    res = await api('PUT', url, { token: admin.token, body: { roles: ['organization-auditor', 'organization-auditor'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().roles.map((r: { name: string }) => r.name)).toEqual(['organization-auditor']);

    res = await api('PUT', `${M('me')}/roles`, { token: admin.token, body: { roles: [] } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'You cannot change your own organization roles.',
      detail: 'Another user with the appropriate permissions must change your roles.',
    });

    // Org user admins may not hand out admin; readers may not change anything.
    for (const actor of [userAdmin, auditor, member]) {
      res = await api('PUT', url, { token: actor.token, body: { roles: ['organization-admin'] } });
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().message).toBe(FORBIDDEN);
    }
    res = await api('PUT', url, { token: outsider.token, body: { roles: [] } });
    expect(res.statusCode).toBe(404);

    res = await api('PUT', url, { token: owner.token, body: { roles: ['no-such-role'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(`"no-such-role:${orgId}" is not a supported role`);

    const writes = await auditRows(target.id, 'write');
    expect(writes.map((r) => r.status_code)).toEqual([200, 200, 403, 403, 403, 400]);
    expect(writes[0].diff.roles).toEqual({ old: [], new: ['organization-admin'], secret: false });
    expect(writes[1].diff.roles).toEqual({ old: ['organization-admin'], new: ['organization-auditor'], secret: false });
    expect(writes[2].diff).toEqual({});
  });

  it('shows custom roles with their display names', async () => {
    await sql.query(
      `INSERT INTO custom_roles (id, name, display_name, organization_id) VALUES (gen_random_uuid(), 'reviewer', 'Code Reviewer', $1)`,
      [orgId],
    );
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    const res = await api('PUT', `${M(target.id)}/roles`, { token: owner.token, body: { roles: ['reviewer'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().roles).toEqual([{ name: 'reviewer', display_name: 'Code Reviewer', organization_id: orgId }]);
    const page = await api('GET', `/api/v2/organizations/${orgId}/paginated-members?q=username:${target.username}`, { token: owner.token });
    expect(page.json().members[0].roles).toEqual([{ name: 'reviewer', display_name: 'Code Reviewer', organization_id: orgId }]);
  });

  it('refuses role edits of OIDC members while role sync is on for the org', async () => {
    const oidc = await makeUser(server, { loginType: 'oidc', orgs: { [orgId]: [] } });
    expect((await api('PATCH', `/api/v2/organizations/${orgId}/settings/idpsync/roles`, { token: member.token, body: { field: 'r' } })).statusCode).toBe(403);
    let res = await api('PATCH', `/api/v2/organizations/${orgId}/settings/idpsync/roles`, { token: userAdmin.token, body: { field: 'roles' } });
    expect(res.json()).toEqual({ field: 'roles', mapping: {} });
    res = await api('PUT', `${M(oidc.id)}/roles`, { token: owner.token, body: { roles: ['organization-auditor'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe("'User Role Field' is set in the organization settings. Ask an administrator to adjust or disable these settings.");
    await api('PATCH', `/api/v2/organizations/${orgId}/settings/idpsync/roles`, { token: owner.token, body: { field: '' } });
    res = await api('PUT', `${M(oidc.id)}/roles`, { token: owner.token, body: { roles: ['organization-auditor'] } });
    expect(res.statusCode).toBe(200);
  });
});

describe('remove member', () => {
  it('removes with an audit entry in the same transaction, and leaves the org groups too', async () => {
    const target = await makeUser(server, { username: 'leaver', orgs: { [orgId]: ['organization-auditor'] } });
    const group = await sql.query(
      `INSERT INTO groups (id, name, organization_id) VALUES (gen_random_uuid(), 'team', $1) RETURNING id`,
      [orgId],
    );
    await sql.query('INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)', [group.rows[0].id, target.id]);

    // Readers cannot remove; outsiders do not see the member.
    expect((await api('DELETE', M(target.id), { token: auditor.token })).statusCode).toBe(404);
    expect((await api('DELETE', M(target.id), { token: member.token })).statusCode).toBe(404);
    expect((await api('DELETE', M(target.id), { token: outsider.token })).statusCode).toBe(404);

    let res = await api('DELETE', M(target.id), { token: userAdmin.token });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const left = await sql.query('SELECT 1 FROM group_members WHERE user_id = $1', [target.id]);
    expect(left.rows).toHaveLength(0);
    expect((await api('GET', M(target.id), { token: owner.token })).statusCode).toBe(404);
    expect((await api('DELETE', M(target.id), { token: owner.token })).statusCode).toBe(404);

    const deletes = await auditRows(target.id, 'delete');
    const ok = deletes.filter((r) => r.status_code === 204);
    expect(ok).toHaveLength(1);
    expect(ok[0]).toMatchObject({ resource_target: 'leaver', organization_id: orgId });
    // The removed side is Go's zero value of a list (null), as Coder's diff shows it.
    expect(ok[0].diff.roles).toEqual({ old: ['organization-auditor'], new: null, secret: false });
    expect(ok[0].diff.username).toEqual({ old: 'leaver', new: '', secret: false });

    // Removed, then re-added: a fresh membership with no roles.
    res = await api('POST', M(target.id), { token: owner.token });
    expect(res.statusCode).toBe(200);
    expect(res.json().roles).toEqual([]);
  });

  it('refuses self-removal', async () => {
    const res = await api('DELETE', M('me'), { token: admin.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'cannot remove self from an organization' });
    const { rows } = await sql.query('SELECT 1 FROM organization_members WHERE user_id = $1 AND organization_id = $2', [admin.id, orgId]);
    expect(rows).toHaveLength(1);
  });
});

describe('member count', () => {
  it('follows soft-deleted, system and hard-deleted users, whoever changes them', async () => {
    const url = `/api/v2/organizations/${orgId}/paginated-members?limit=1`;
    const count = async () => (await api('GET', url, { token: owner.token })).json().count;
    const counted = async () =>
      Number((await sql.query(`SELECT count(*) FROM organization_members om JOIN users u ON u.id = om.user_id
                                WHERE om.organization_id = $1 AND NOT u.deleted AND NOT u.is_system`, [orgId])).rows[0].count);
    const start = await count();
    expect(start).toBe(await counted());
    const a = await makeUser(server, { orgs: { [orgId]: [], [otherOrgId]: [] } });
    const b = await makeUser(server, { orgs: { [orgId]: [] } });
    expect(await count()).toBe(start + 2);
    await sql.query('UPDATE users SET deleted = true WHERE id = $1', [a.id]);
    expect(await count()).toBe(start + 1);
    await sql.query('UPDATE users SET is_system = true WHERE id = $1', [b.id]);
    expect(await count()).toBe(start);
    await sql.query('UPDATE users SET is_system = false WHERE id = $1', [b.id]);
    await sql.query('DELETE FROM users WHERE id = ANY($1)', [[a.id, b.id]]);
    expect(await count()).toBe(start);
    expect(await count()).toBe(await counted());
  });
});
