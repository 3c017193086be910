// POST /authcheck (api.md §2.9): limits and messages, `owner_id: "me"`, objects by id (users and
// groups exist in orgd; workspace and template ids never match), `any_org`, token scopes.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer } from '../helpers/server.js';
import { defaultOrgId, makeUser, type TestUser } from '../helpers/users.js';

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: Session;
let org: string;
let otherOrg: string;
let member: TestUser;
let templateAdmin: TestUser;
let other: TestUser;
let otherGroup: string;

type Obj = { resource_type?: string; owner_id?: string; organization_id?: string; resource_id?: string; any_org?: boolean };
const check = (object: Obj, action: string) => ({ object, action });
const ask = (token: string, checks: Record<string, unknown>) => api('POST', '/api/v2/authcheck', { token, body: { checks } });

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  org = await defaultOrgId(server);
  otherOrg = randomUUID();
  otherGroup = randomUUID();
  await sql.query(`INSERT INTO organizations (id, name, display_name) VALUES ($1, 'other', 'Other')`, [otherOrg]);
  await sql.query(`INSERT INTO groups (id, name, organization_id) VALUES ($1, 'Everyone', $1), ($2, 'devs', $1)`, [otherOrg, otherGroup]);
  member = await makeUser(server, { orgs: { [org]: [] } });
  templateAdmin = await makeUser(server, { orgs: { [otherOrg]: ['organization-template-admin'] } });
  other = await makeUser(server, { orgs: { [otherOrg]: [] } });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

describe('POST /authcheck', () => {
  it('answers each check for the caller, keys sorted as Go encodes a map', async () => {
    const checks = {
      zeta_read_me: check({ resource_type: 'user', owner_id: 'me' }, 'read'),
      alpha_update_other: check({ resource_type: 'user', owner_id: owner.userId }, 'update'),
      org_read: check({ resource_type: 'organization', organization_id: org }, 'read'),
      other_org_read: check({ resource_type: 'organization', organization_id: otherOrg }, 'read'),
      template_create: check({ resource_type: 'template', organization_id: org }, 'create'),
      assign_role_read: check({ resource_type: 'assign_role' }, 'read'),
      unknown_action: check({ resource_type: 'user', owner_id: 'me' }, 'fly'),
    };
    const res = await ask(member.token, checks);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(
      JSON.stringify({
        alpha_update_other: false,
        assign_role_read: true,
        org_read: true,
        other_org_read: false,
        template_create: false,
        unknown_action: false,
        zeta_read_me: true,
      }),
    );
    const asOwner = (await ask(owner.token, checks)).json();
    expect(asOwner).toMatchObject({ alpha_update_other: true, other_org_read: true, template_create: true });
  });

  it('answers any_org questions over the caller’s orgs', async () => {
    const checks = { anywhere: check({ resource_type: 'template', any_org: true }, 'create') };
    expect((await ask(templateAdmin.token, checks)).json()).toEqual({ anywhere: true });
    expect((await ask(member.token, checks)).json()).toEqual({ anywhere: false });
    // any_org together with an org is a contradiction Coder's authorizer refuses.
    const both = { both: check({ resource_type: 'template', any_org: true, organization_id: otherOrg }, 'create') };
    expect((await ask(templateAdmin.token, both)).json()).toEqual({ both: false });
  });

  it('looks objects up by resource_id: missing or unreadable is false', async () => {
    const checks = {
      self: check({ resource_type: 'user', resource_id: member.id }, 'read'),
      other_user: check({ resource_type: 'user', resource_id: other.id }, 'read'),
      missing_user: check({ resource_type: 'user', resource_id: randomUUID() }, 'read'),
      own_group: check({ resource_type: 'group', resource_id: org }, 'read'),
      foreign_group: check({ resource_type: 'group', resource_id: otherGroup }, 'read'),
      workspace: check({ resource_type: 'workspace', resource_id: randomUUID() }, 'read'),
      template: check({ resource_type: 'template', resource_id: randomUUID().toUpperCase() }, 'read'),
      // The object found replaces what the request said about owner and org.
      self_claimed_other: check({ resource_type: 'user', resource_id: other.id, owner_id: 'me' }, 'read'),
    };
    expect((await ask(member.token, checks)).json()).toEqual({
      foreign_group: false,
      missing_user: false,
      other_user: false,
      own_group: true,
      self: true,
      self_claimed_other: false,
      template: false,
      workspace: false,
    });
    expect((await ask(owner.token, checks)).json()).toMatchObject({ other_user: true, foreign_group: true, workspace: false, template: false });
    // Go's uuid.Parse forms are accepted.
    const braces = { b: check({ resource_type: 'user', resource_id: `{${member.id}}` }, 'read') };
    expect((await ask(member.token, braces)).json()).toEqual({ b: true });
    const bare = { b: check({ resource_type: 'user', resource_id: member.id.replaceAll('-', '') }, 'read') };
    expect((await ask(member.token, bare)).json()).toEqual({ b: true });
  });

  it('refuses more than 10 resource_id lookups', async () => {
    const checks = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`k${i}`, check({ resource_type: 'user', resource_id: randomUUID() }, 'read')]),
    );
    const res = await ask(member.token, checks);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Endpoint only supports using "resource_id" field 10 times, found 12 usages. Remove 2 objects with this field set.',
    });
    const ten = Object.fromEntries(Object.entries(checks).slice(0, 10));
    expect((await ask(member.token, ten)).statusCode).toBe(200);
  });

  it('answers Coder’s messages for bad checks', async () => {
    let res = await ask(member.token, { a: check({ resource_type: 'user' }, 'read'), 'my key': check({ owner_id: 'me' }, 'read') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Object\'s "resource_type" field must be defined for key "my key".' });
    res = await ask(member.token, { a: { action: 'read' } });
    expect(res.json()).toEqual({ message: 'Object\'s "resource_type" field must be defined for key "a".' });
    res = await ask(member.token, { a: check({ resource_type: 'user', resource_id: 'abc' }, 'read') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Object "abc" id is not a valid uuid.',
      validations: [{ field: 'resource_id', detail: 'invalid UUID length: 3' }],
    });
    res = await ask(member.token, { a: check({ resource_type: 'user', resource_id: 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' }, 'read') });
    expect(res.json().validations).toEqual([{ field: 'resource_id', detail: 'invalid UUID format' }]);
    res = await ask(member.token, { a: check({ resource_type: 'organization', resource_id: org }, 'read') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Object type "organization" does not support "resource_id" field.',
      validations: [{ field: 'resource_type', detail: 'Object type "organization" does not support "resource_id" field.' }],
    });
  });

  it('answers {} for no checks, 400 for a bad body, 401 without a session', async () => {
    expect((await ask(member.token, {})).json()).toEqual({});
    expect((await api('POST', '/api/v2/authcheck', { token: member.token, body: {} })).json()).toEqual({});
    const bad = await api('POST', '/api/v2/authcheck', { token: member.token, body: '{"checks": [' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('Request body must be valid JSON.');
    expect((await api('POST', '/api/v2/authcheck', { body: { checks: {} } })).statusCode).toBe(401);
  });

  it('honours the token scope: an application_connect token may not read users', async () => {
    const res = await api('POST', '/api/v2/users/me/keys/tokens', {
      token: owner.token,
      body: { token_name: 'appconnect', scope: 'application_connect' },
    });
    expect(res.statusCode).toBe(201);
    const scoped = res.json().key as string;
    const checks = {
      user_read: check({ resource_type: 'user', owner_id: 'me' }, 'read'),
      connect: check({ resource_type: 'workspace', owner_id: 'me', organization_id: org }, 'application_connect'),
    };
    expect((await ask(scoped, checks)).json()).toEqual({ connect: true, user_read: false });
    expect((await ask(owner.token, checks)).json()).toEqual({ connect: true, user_read: true });
  });
});
