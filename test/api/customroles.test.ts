// Custom organization roles: every validation of POST/PUT, the escalation check, 404/403 rules,
// delete (taking the role away from its holders), audit entries, and the role taking effect.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer, NOT_FOUND } from '../helpers/server.js';
import { defaultOrgId, makeUser, type TestUser } from '../helpers/users.js';


let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: Session;
let org: string;
let otherOrg: string;
let member: TestUser;
let orgAdmin: TestUser;
let outsider: TestUser;

const url = (o = org) => `/api/v2/organizations/${o}/members/roles`;
const perm = (resource_type: string, action: string, negate = false) => ({ negate, resource_type, action });
const roleBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  display_name: 'Template Reader',
  site_permissions: [],
  organization_permissions: [perm('template', 'read'), perm('template', 'create')],
  user_permissions: [],
  ...extra,
});

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  org = await defaultOrgId(server);
  otherOrg = randomUUID();
  await sql.query(`INSERT INTO organizations (id, name, display_name) VALUES ($1, 'other', 'Other')`, [otherOrg]);
  member = await makeUser(server, { orgs: { [org]: [] } });
  orgAdmin = await makeUser(server, { orgs: { [org]: ['organization-admin'] } });
  outsider = await makeUser(server, { orgs: { [otherOrg]: ['organization-admin'] } });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

async function lastAudit(resourceType: string) {
  const { rows } = await sql.query(
    `SELECT action, resource_id, resource_target, organization_id, status_code, diff, user_id
       FROM audit_logs WHERE resource_type = $1 ORDER BY time DESC, id DESC LIMIT 1`,
    [resourceType],
  );
  return rows[0];
}

describe('POST /organizations/{org}/members/roles', () => {
  it('creates an org role (owner), answers the Role and audits it', async () => {
    const res = await api('POST', url(), { token: owner.token, body: roleBody('tmpl-reader') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'tmpl-reader',
      organization_id: org,
      display_name: 'Template Reader',
      site_permissions: [],
      organization_permissions: [perm('template', 'read'), perm('template', 'create')],
      user_permissions: [],
      organization_member_permissions: [],
    });
    const audit = await lastAudit('custom_role');
    expect(audit).toMatchObject({ action: 'create', resource_target: 'tmpl-reader', organization_id: org, status_code: 200, user_id: owner.userId });
    expect(audit.diff.name).toEqual({ old: '', new: 'tmpl-reader', secret: false });
    expect(audit.diff.org_permissions.new).toEqual(['template.read', 'template.create']);
    // Listed with the org's roles.
    const list = (await api('GET', url(), { token: member.token })).json();
    expect(list.at(-1)).toMatchObject({ name: 'tmpl-reader', built_in: false, assignable: false });
  });

  it('refuses a duplicate name (any case) with 400 Failed to update role permissions', async () => {
    const res = await api('POST', url(), { token: owner.token, body: roleBody('TMPL-Reader') });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Failed to update role permissions');
    expect(res.json().detail).toMatch(/duplicate key value violates unique constraint/);
    // The same name in another org is another role.
    expect((await api('POST', url(otherOrg), { token: owner.token, body: roleBody('tmpl-reader') })).statusCode).toBe(200);
  });

  it('validates the request as Coder does', async () => {
    const cases: [Record<string, unknown>, number, Record<string, unknown>][] = [
      [roleBody('owner'), 400, { message: 'Reserved role name', detail: '"owner" is a reserved role name, and not allowed to be used' }],
      [
        roleBody('organization-member'),
        400,
        { message: 'Reserved role name', detail: '"organization-member" is a reserved role name, and not allowed to be used' },
      ],
      [
        roleBody('Bad_Name'),
        400,
        { message: 'Validation failed.', validations: [{ field: 'name', detail: 'Validation failed for tag "username" with value: "Bad_Name"' }] },
      ],
      [
        { display_name: 'x' },
        400,
        { message: 'Validation failed.', validations: [{ field: 'name', detail: 'Validation failed for tag "username" with value: ""' }] },
      ],
      [
        roleBody('with-site', { site_permissions: [perm('workspace', 'read')] }),
        400,
        {
          message: 'Invalid request, not allowed to assign site wide permissions for an organization role.',
          detail: 'organization scoped roles may not contain site wide permissions',
        },
      ],
      [
        roleBody('with-user', { user_permissions: [perm('workspace', 'read')] }),
        400,
        {
          message: 'Invalid request, not allowed to assign user permissions for an organization role.',
          detail: 'organization scoped roles may not contain user permissions',
        },
      ],
      [
        roleBody('with-member', { organization_member_permissions: [perm('workspace', 'read')] }),
        400,
        {
          message: 'Invalid request, not allowed to assign organization member permissions for an organization role.',
          detail: 'organization scoped roles may not contain organization member permissions',
        },
      ],
      [
        roleBody('negated', { organization_permissions: [perm('template', 'read', true)] }),
        400,
        {
          message: 'Failed to update role permissions',
          detail: `org="${org}": invalid permission for action="read" type="template", no negative permissions`,
        },
      ],
      [
        roleBody('wild', { organization_permissions: [perm('*', 'read')] }),
        400,
        { message: 'Failed to update role permissions', detail: `org="${org}": invalid permission for action="read" type="*", no wildcard symbols` },
      ],
      [
        roleBody('unknown-action', { organization_permissions: [perm('template', 'fly')] }),
        400,
        { message: 'Failed to update role permissions', detail: `invalid role: org="${org}": org invalid action "fly" for resource "template"` },
      ],
    ];
    for (const [body, status, expected] of cases) {
      const res = await api('POST', url(), { token: owner.token, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json(), JSON.stringify(body)).toEqual(expected);
    }
    const empty = await api('POST', url(), { token: owner.token });
    expect(empty.json()).toEqual({ message: 'Request body must be valid JSON.', detail: 'EOF' });
  });

  it('hides the org from outsiders (404 before the body is read) and refuses plain members with 404', async () => {
    const res = await api('POST', url(), { token: outsider.token, body: { name: 'Bad_Name' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(NOT_FOUND);
    const byMember = await api('POST', url(), { token: member.token, body: roleBody('member-made') });
    expect(byMember.statusCode).toBe(404);
    expect(byMember.json()).toEqual(NOT_FOUND);
    expect((await api('POST', url(randomUUID()), { token: owner.token, body: roleBody('x') })).statusCode).toBe(404);
    expect((await api('POST', url(), { body: roleBody('x') })).statusCode).toBe(401);
  });

  it('lets an org admin create roles with what it holds, never more (escalation check)', async () => {
    const ok = await api('POST', url(), { token: orgAdmin.token, body: roleBody('admin-made') });
    expect(ok.statusCode).toBe(200);
    // organization-admin holds no workspace ssh: it cannot grant it.
    const ssh = await api('POST', url(), {
      token: orgAdmin.token,
      body: roleBody('ssh-granter', { organization_permissions: [perm('workspace', 'ssh')] }),
    });
    expect(ssh.statusCode).toBe(400);
    expect(ssh.json()).toEqual({
      message: 'Failed to update role permissions',
      detail: `org="${org}": invalid permission for action="ssh" type="workspace", not allowed to grant this permission`,
    });
    // Nor can it grant assign_role (a site resource it has no part of).
    const assign = await api('POST', url(), {
      token: orgAdmin.token,
      body: roleBody('role-granter', { organization_permissions: [perm('assign_role', 'assign')] }),
    });
    expect(assign.statusCode).toBe(400);
    // An owner can.
    expect(
      (await api('POST', url(), { token: owner.token, body: roleBody('ssh-granter', { organization_permissions: [perm('workspace', 'ssh')] }) }))
        .statusCode,
    ).toBe(200);
    // The org admin of another org cannot write roles here.
    expect((await api('POST', url(), { token: outsider.token, body: roleBody('foreign') })).statusCode).toBe(404);
  });
});

describe('PUT /organizations/{org}/members/roles', () => {
  it('replaces display name and permissions, audits old and new', async () => {
    await api('POST', url(), { token: owner.token, body: roleBody('editable') });
    const res = await api('PUT', url(), {
      token: orgAdmin.token,
      body: roleBody('EDITABLE', { display_name: 'Edited', organization_permissions: [perm('template', 'read')] }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'editable', display_name: 'Edited', organization_permissions: [perm('template', 'read')] });
    const audit = await lastAudit('custom_role');
    expect(audit).toMatchObject({ action: 'write', resource_target: 'editable', status_code: 200, organization_id: org });
    expect(audit.diff.display_name).toEqual({ old: 'Template Reader', new: 'Edited', secret: false });
    expect(audit.diff.org_permissions).toEqual({ old: ['template.read', 'template.create'], new: ['template.read'], secret: false });
    expect(audit.diff.name).toBeUndefined();
  });

  it('drops invalid permissions silently instead of refusing them', async () => {
    const res = await api('PUT', url(), {
      token: owner.token,
      body: roleBody('editable', { organization_permissions: [perm('template', 'read'), perm('template', 'fly'), perm('nothing', 'read')] }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().organization_permissions).toEqual([perm('template', 'read')]);
  });

  it('answers 404 for unknown roles and unauthorized callers, 400 for request problems', async () => {
    expect((await api('PUT', url(), { token: owner.token, body: roleBody('never-made') })).json()).toEqual(NOT_FOUND);
    expect((await api('PUT', url(), { token: member.token, body: roleBody('editable') })).statusCode).toBe(404);
    expect((await api('PUT', url(), { token: outsider.token, body: roleBody('editable') })).statusCode).toBe(404);
    const reserved = await api('PUT', url(), { token: owner.token, body: roleBody('organization-admin') });
    expect(reserved.json()).toEqual({
      message: 'Reserved role name',
      detail: '"organization-admin" is a reserved role name, and not allowed to be used',
    });
    const escalation = await api('PUT', url(), {
      token: orgAdmin.token,
      body: roleBody('editable', { organization_permissions: [perm('workspace', 'ssh')] }),
    });
    expect(escalation.statusCode).toBe(400);
    expect(escalation.json().message).toBe('Failed to update role permissions');
  });
});

describe('DELETE /organizations/{org}/members/roles/{roleName}', () => {
  it('deletes the role, takes it from every holder, and audits', async () => {
    await api('POST', url(), { token: owner.token, body: roleBody('doomed') });
    const holder = await makeUser(server, { orgs: { [org]: ['doomed', 'organization-auditor'] } });
    await sql.query(`UPDATE organizations SET default_org_member_roles = '{doomed}' WHERE id = $1`, [org]);

    const forbidden = await api('DELETE', `${url()}/doomed`, { token: member.token });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().message).toBe('Forbidden.');
    const denied = await lastAudit('custom_role');
    expect(denied).toMatchObject({ action: 'delete', resource_target: 'doomed', status_code: 403 });

    const res = await api('DELETE', `${url()}/DOOMED`, { token: orgAdmin.token });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const audit = await lastAudit('custom_role');
    expect(audit).toMatchObject({ action: 'delete', resource_target: 'doomed', status_code: 204, user_id: orgAdmin.id });
    const roles = await sql.query('SELECT roles FROM organization_members WHERE user_id = $1', [holder.id]);
    expect(roles.rows[0].roles).toEqual(['organization-auditor']);
    const defaults = await sql.query('SELECT default_org_member_roles FROM organizations WHERE id = $1', [org]);
    expect(defaults.rows[0].default_org_member_roles).toEqual([]);
    expect((await api('GET', url(), { token: owner.token })).json().map((r: { name: string }) => r.name)).not.toContain('doomed');
  });

  it('answers 404 with Coder’s message for unknown and system roles, 404 to outsiders', async () => {
    const res = await api('DELETE', `${url()}/nope`, { token: owner.token });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: 'No custom role with the name nope found', detail: 'no role found' });
    expect((await api('DELETE', `${url()}/organization-member`, { token: owner.token })).statusCode).toBe(404);
    expect((await api('DELETE', `${url()}/tmpl-reader`, { token: outsider.token })).json()).toEqual(NOT_FOUND);
    expect((await api('DELETE', `${url()}/tmpl-reader`)).statusCode).toBe(401);
  });
});

describe('a custom role in use', () => {
  it('grants its permissions to holders on their next request, and stops when edited', async () => {
    const creator = 'template-creator';
    const check = { checks: { create: { object: { resource_type: 'template', organization_id: org }, action: 'create' } } };
    await api('POST', url(), { token: owner.token, body: roleBody(creator, { organization_permissions: [perm('template', 'create')] }) });
    const holder = await makeUser(server, { orgs: { [org]: [creator] } });
    const plain = await makeUser(server, { orgs: { [org]: [] } });
    expect((await api('POST', '/api/v2/authcheck', { token: plain.token, body: check })).json()).toEqual({ create: false });
    expect((await api('POST', '/api/v2/authcheck', { token: holder.token, body: check })).json()).toEqual({ create: true });
    await api('PUT', url(), { token: owner.token, body: roleBody(creator, { organization_permissions: [perm('template', 'read')] }) });
    expect((await api('POST', '/api/v2/authcheck', { token: holder.token, body: check })).json()).toEqual({ create: false });
  });
});
