// Hostile input on the organization, member, audit and IdP sync routes: NUL characters (which
// PostgreSQL text and jsonb cannot hold) in paths, searches and bodies answer 4xx, never 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer, NOT_FOUND } from '../helpers/server.js';
import { makeUser, type TestUser } from '../helpers/users.js';


let server: TestServer;
let api: Api;
let owner: Session;
let orgId: string;
let bob: TestUser;

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  owner = await createFirstUser(server.app);
  const res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'acme' } });
  orgId = res.json().id;
  bob = await makeUser(server, { username: 'bob', orgs: { [orgId]: [] } });
});
afterAll(async () => {
  await server.close();
});

describe('NUL in paths', () => {
  it('GET one member: 404 for a user or organization name holding NUL', async () => {
    for (const url of ['/api/v2/organizations/acme/members/b%00b', '/api/v2/organizations/ac%00me/members/bob']) {
      const res = await api('GET', url, { token: owner.token });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
    // The same member by plain names still reads.
    expect((await api('GET', '/api/v2/organizations/acme/members/bob', { token: owner.token })).statusCode).toBe(200);
  });

  it('organization of a user by name: 404 for a name holding NUL', async () => {
    const res = await api('GET', `/api/v2/users/${bob.id}/organizations/ac%00me`, { token: owner.token });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json()).toEqual(NOT_FOUND);
  });
});

describe('NUL in searches', () => {
  it('paginated members: a NUL in any text term matches nobody', async () => {
    for (const q of ['b\0b', 'search:b\0', 'name:x\0', 'username:bob\0', 'email:\0', 'role:owner\0']) {
      const res = await api('GET', `/api/v2/organizations/${orgId}/paginated-members?q=${encodeURIComponent(q)}`, { token: owner.token });
      expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
      expect(res.json()).toEqual({ members: [], count: 0 });
    }
  });

  it('audit: a NUL in a text term matches nothing; an organization name with NUL does not exist', async () => {
    for (const q of ['resource_target:x\0', 'username:a\0', 'email:a\0']) {
      const res = await api('GET', `/api/v2/audit?q=${encodeURIComponent(q)}`, { token: owner.token });
      expect(res.statusCode, `${q}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ audit_logs: [], count: 0 });
    }
    const res = await api('GET', `/api/v2/audit?q=${encodeURIComponent('organization:ac\0me')}`, { token: owner.token });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Invalid audit search query.', validations: [{ field: 'organization' }] });
    expect(res.json().validations[0].detail).toContain('either does not exist, or you are unauthorized to view it');
  });
});

describe('NUL in bodies', () => {
  it('organization description and icon: 400 Validation failed, nothing stored', async () => {
    let res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'nul-org', description: 'a\0b' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Validation failed.', validations: [{ field: 'description' }] });
    expect((await api('GET', '/api/v2/organizations/nul-org', { token: owner.token })).statusCode).toBe(404);

    res = await api('PATCH', `/api/v2/organizations/${orgId}`, { token: owner.token, body: { description: 'x', icon: '\0' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Validation failed.', validations: [{ field: 'icon' }] });
    expect((await api('GET', `/api/v2/organizations/${orgId}`, { token: owner.token })).json()).toMatchObject({ description: '', icon: '' });
  });

  it('IdP sync settings: 400 Validation failed for a NUL in the field or the mapping', async () => {
    let res = await api('PATCH', '/api/v2/settings/idpsync/organization', { token: owner.token, body: { field: 'a\0' } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Validation failed.', validations: [{ field: 'field' }] });
    res = await api('PATCH', `/api/v2/organizations/${orgId}/settings/idpsync/roles`, {
      token: owner.token,
      body: { field: 'roles', mapping: { admins: ['organization-admin\0'] } },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Validation failed.', validations: [{ field: 'mapping' }] });
    res = await api('GET', `/api/v2/organizations/${orgId}/settings/idpsync/roles`, { token: owner.token });
    expect(res.json()).toEqual({ field: '', mapping: {} });
  });
});
