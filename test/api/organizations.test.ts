// Organizations through real HTTP (inject): create with its creator and "Everyone" group, list
// and read as each kind of caller, update, the default-org and deletion rules, and the audit
// entries each change leaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer, NOT_FOUND } from '../helpers/server.js';
import { defaultOrgId, makeUser, type TestUser } from '../helpers/users.js';


let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: Session;
let defaultOrg: string;
let orgId: string;
let admin: TestUser;
let auditor: TestUser;
let member: TestUser;
let outsider: TestUser;

async function orgAudit(orgIdOrNull: string) {
  const { rows } = await sql.query(
    `SELECT action, resource_target, status_code, organization_id, diff FROM audit_logs
      WHERE resource_type = 'organization' AND resource_id = $1 ORDER BY time, id`,
    [orgIdOrNull],
  );
  return rows;
}

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  defaultOrg = await defaultOrgId(server);
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

describe('create', () => {
  it('creates with the creator as plain member, the Everyone group and default member roles; audited', async () => {
    const res = await api('POST', '/api/v2/organizations', {
      token: owner.token,
      body: { name: 'acme', description: 'Rockets', icon: '/icon/rocket.svg' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const org = res.json();
    expect(org).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'acme',
      display_name: 'acme',
      icon: '/icon/rocket.svg',
      description: 'Rockets',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      is_default: false,
      default_org_member_roles: ['organization-workspace-access'],
    });
    orgId = org.id;
    const members = await sql.query('SELECT user_id, roles FROM organization_members WHERE organization_id = $1', [orgId]);
    expect(members.rows).toEqual([{ user_id: owner.userId, roles: [] }]);
    const groups = await sql.query('SELECT id, name FROM groups WHERE organization_id = $1', [orgId]);
    expect(groups.rows).toEqual([{ id: orgId, name: 'Everyone' }]);

    const audit = await orgAudit(orgId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'create', resource_target: 'acme', status_code: 201, organization_id: orgId });
    expect(audit[0].diff.name).toEqual({ old: '', new: 'acme', secret: false });

    admin = await makeUser(server, { username: 'org-admin', orgs: { [orgId]: ['organization-admin'] } });
    auditor = await makeUser(server, { username: 'org-auditor', orgs: { [orgId]: ['organization-auditor'] } });
    member = await makeUser(server, { username: 'plain', orgs: { [orgId]: [] } });
    outsider = await makeUser(server, { username: 'outsider', orgs: { [defaultOrg]: [] } });
  });

  it('refuses the reserved name, a taken name (any case), bad names and non-owners', async () => {
    let res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'default' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Organization name "default" is reserved.' });
    res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'ACME' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ message: 'Organization already exists with that name.' });
    res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'bad name!' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Validation failed.',
      validations: [{ field: 'name', detail: 'Validation failed for tag "organization_name" with value: "bad name!"' }],
    });
    res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'ok', display_name: ' padded ' } });
    expect(res.json().validations[0].field).toBe('display_name');
    for (const actor of [admin, auditor, member, outsider]) {
      res = await api('POST', '/api/v2/organizations', { token: actor.token, body: { name: 'mine' } });
      expect(res.statusCode).toBe(403);
    }
    expect((await sql.query(`SELECT 1 FROM organizations WHERE name IN ('mine', 'ok')`)).rows).toHaveLength(0);
  });
});

describe('read', () => {
  it('lists what each caller may read', async () => {
    const ids = async (token: string) =>
      (await api('GET', '/api/v2/organizations', { token })).json().map((o: { id: string }) => o.id);
    expect(await ids(owner.token)).toEqual([defaultOrg, orgId]);
    expect(await ids(member.token)).toEqual([orgId]);
    expect(await ids(auditor.token)).toEqual([orgId]);
    expect(await ids(outsider.token)).toEqual([defaultOrg]);
    const lonely = await makeUser(server);
    expect(await ids(lonely.token)).toEqual([]);
  });

  it('reads by id, name (any case) or default; 404 to those outside', async () => {
    for (const ref of [orgId, 'acme', 'ACME']) {
      const res = await api('GET', `/api/v2/organizations/${ref}`, { token: member.token });
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(orgId);
    }
    let res = await api('GET', '/api/v2/organizations/default', { token: outsider.token });
    expect(res.json()).toMatchObject({ id: defaultOrg, name: 'coder', display_name: 'Coder', is_default: true });
    res = await api('GET', `/api/v2/organizations/${orgId}`, { token: outsider.token });
    expect(res.statusCode).toBe(404);
    expect(res.body).toBe(JSON.stringify(NOT_FOUND)); // one body
    expect((await api('GET', '/api/v2/organizations/default', { token: member.token })).statusCode).toBe(404);
    expect((await api('GET', '/api/v2/organizations/nowhere', { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', '/api/v2/organizations/nowhere')).statusCode).toBe(401);
  });
});

describe('update', () => {
  it('renames (owner, org admin); empty fields keep values, "" clears pointers; audited', async () => {
    let res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: owner.token, body: { display_name: 'Acme Inc', description: '' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'acme', display_name: 'Acme Inc', description: '', icon: '/icon/rocket.svg' });
    res = await api('PATCH', `/api/v2/organizations/acme`, { token: admin.token, body: { name: 'acme-corp', display_name: '' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'acme-corp', display_name: 'Acme Inc' });

    const writes = (await orgAudit(orgId)).filter((r) => r.action === 'write');
    expect(writes).toHaveLength(2);
    expect(writes[0].diff.display_name).toEqual({ old: 'acme', new: 'Acme Inc', secret: false });
    expect(writes[1].diff.name).toEqual({ old: 'acme', new: 'acme-corp', secret: false });
    expect(writes[1].resource_target).toBe('acme-corp');
  });

  it('refuses reserved and taken names, and callers without update', async () => {
    let res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: owner.token, body: { name: 'default' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Organization name "default" is reserved.');
    res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: owner.token, body: { name: 'Coder' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      message: 'Organization already exists with the name "Coder".',
      validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
    });
    for (const actor of [auditor, member, outsider]) {
      res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: actor.token, body: { display_name: 'Mine' } });
      expect(res.statusCode).toBe(404);
    }
  });

  it('changes default member roles within the assignment rules', async () => {
    let res = await api('PATCH', `/api/v2/organizations/${orgId}`, {
      token: owner.token,
      body: { default_org_member_roles: ['organization-workspace-access', 'organization-auditor'] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().default_org_member_roles).toEqual(['organization-workspace-access', 'organization-auditor']);
    res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: owner.token, body: { default_org_member_roles: ['nope'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(`"nope:${orgId}" is not a supported role`);
    // Only org roles qualify: a site role name is no role of the org.
    res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: admin.token, body: { default_org_member_roles: ['owner'] } });
    expect(res.statusCode).toBe(400);
    res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: owner.token, body: { default_org_member_roles: [] } });
    expect(res.json().default_org_member_roles).toEqual([]);
  });
});

describe('delete', () => {
  it('never deletes the default organization', async () => {
    const res = await api('DELETE', '/api/v2/organizations/default', { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Default organization cannot be deleted.' });
    const audit = await orgAudit(defaultOrg);
    expect(audit.map((r) => [r.action, r.status_code])).toEqual([['delete', 400]]);
  });

  it('refuses while members remain, then soft-deletes; the name is free again', async () => {
    for (const actor of [auditor, member, outsider]) {
      expect((await api('DELETE', `/api/v2/organizations/${orgId}`, { token: actor.token })).statusCode).toBe(404);
    }
    let res = await api('DELETE', `/api/v2/organizations/${orgId}`, { token: owner.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Internal error deleting organization.',
      detail: 'cannot delete organization: organization has 3 members that must be deleted first',
    });
    for (const u of [admin, auditor, member]) {
      expect((await api('DELETE', `/api/v2/organizations/${orgId}/members/${u.id}`, { token: owner.token })).statusCode).toBe(204);
    }
    res = await api('DELETE', `/api/v2/organizations/${orgId}`, { token: owner.token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ message: 'Organization has been deleted.' });

    expect((await api('GET', `/api/v2/organizations/${orgId}`, { token: owner.token })).statusCode).toBe(404);
    expect((await api('GET', `/api/v2/organizations/${orgId}/paginated-members`, { token: owner.token })).statusCode).toBe(404);
    expect((await api('POST', `/api/v2/organizations/${orgId}/members/${member.id}`, { token: owner.token })).statusCode).toBe(404);
    const row = await sql.query('SELECT deleted FROM organizations WHERE id = $1', [orgId]);
    expect(row.rows[0].deleted).toBe(true);
    const list = (await api('GET', '/api/v2/organizations', { token: owner.token })).json();
    expect(list.map((o: { id: string }) => o.id)).not.toContain(orgId);

    const deletes = (await orgAudit(orgId)).filter((r) => r.action === 'delete');
    // The outsider never saw the org (404 from the path), so only the two readers' attempts are recorded.
    expect(deletes.map((r) => r.status_code)).toEqual([404, 404, 400, 200]);
    expect(deletes[3].diff.name).toEqual({ old: 'acme-corp', new: '', secret: false });

    res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'acme-corp' } });
    expect(res.statusCode).toBe(201);
    expect(res.json().id).not.toBe(orgId);
  });
});
