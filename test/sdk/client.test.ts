// The SDK against a real listening server: every route family through OrgdClient, errors as typed
// ApiErrors carrying the server's envelope, the session header, and a bundle that holds none of the
// server.
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Static } from '@sinclair/typebox';
import { build } from 'esbuild';
import { ApiError, ConnectionError, OrgdClient, isApiError, type User, type Organization } from '../../src/sdk/index.js';
import type { OrganizationSchema, UserSchema } from '../../src/api/schemas.js';
import { FIRST_USER, startTestServer, type TestServer } from '../helpers/server.js';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const PASSWORD = 'SomeSecurePassword!';

let server: TestServer;
let owner: OrgdClient;
let ownerId: string;

/** Runs `fn`, expecting an ApiError; answers it. */
async function apiError(fn: () => Promise<unknown>): Promise<ApiError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

async function signedIn(email: string, password = PASSWORD): Promise<OrgdClient> {
  const client = new OrgdClient(server.url);
  client.setSessionToken((await client.login({ email, password })).session_token);
  return client;
}

beforeAll(async () => {
  server = await startTestServer({ listen: true });
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});
afterAll(async () => {
  await server.close();
});

describe('OrgdClient', () => {
  it('has types derived from the server schemas', () => {
    expectTypeOf<User>().toEqualTypeOf<Static<typeof UserSchema>>();
    expectTypeOf<Organization>().toEqualTypeOf<Static<typeof OrganizationSchema>>();
    expectTypeOf<OrgdClient['organizationMembers']>().returns.resolves.items.toHaveProperty('username');
  });

  it('creates the first user, signs in and sends the session as Coder-Session-Token', async () => {
    const seen: (string | null)[] = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push(new Headers(init?.headers).get('coder-session-token'));
      return fetch(input, init);
    };
    const client = new OrgdClient(`${server.url}/`, { fetch: spy });
    expect(client.url).toBe(server.url);
    expect((await client.buildInfo()).version).toBeTruthy();
    expect(await client.hasFirstUser()).toBe(false);
    expect((await client.authMethods()).password.enabled).toBe(true);
    const first = await client.createFirstUser(FIRST_USER);
    expect(first.user_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await client.hasFirstUser()).toBe(true);

    const { session_token } = await client.login({ email: FIRST_USER.email, password: FIRST_USER.password });
    expect(client.sessionToken).toBeUndefined();
    client.setSessionToken(session_token);
    const me = await client.user();
    expect(me).toMatchObject({ id: first.user_id, username: FIRST_USER.username, organization_ids: [first.organization_id] });
    expect(me.roles.map((r) => r.name)).toEqual(['owner']);
    expect(seen.at(-1)).toBe(session_token);
    expect(seen[0]).toBeNull();
    owner = client;
    ownerId = me.id;
  });

  it('raises the server envelope as ApiError: status, message, detail, validations', async () => {
    let err = await apiError(() => new OrgdClient(server.url).login({ email: FIRST_USER.email, password: 'wrong' }));
    expect(err.status).toBe(401);
    expect(err.message).toBe('Incorrect email or password.');
    expect(isApiError(err)).toBe(true);

    err = await apiError(() => new OrgdClient(server.url).user('me'));
    expect(err.status).toBe(401);
    expect(err.message).toBe('You are signed out or your session has expired. Please sign in again to continue.');
    expect(err.detail).toMatch(/must be provided/);
    expect(err.describe().split('\n')).toHaveLength(2);

    err = await apiError(() => owner.createFirstUser(FIRST_USER));
    expect(err.status).toBe(409);
    expect(err.message).toBe('The initial user has already been created.');

    err = await apiError(() => owner.createUser({ email: 'not-an-email', username: 'x', organization_ids: [NIL_UUID] }));
    expect(err.status).toBe(400);
    expect(err.message).toBe('Validation failed.');
    expect(err.validations).toContainEqual({ field: 'email', detail: expect.stringContaining('email') });
    expect(err.describe()).toContain('email: ');

    err = await apiError(() => owner.user('no-such-user'));
    expect(err.status).toBe(404);
    expect(err.method).toBe('GET');
    expect(err.url).toContain('/api/v2/users/no-such-user');
  });

  it('reports a server that does not answer, and a URL that is not orgd', async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await expect(new OrgdClient(`http://127.0.0.1:${port}`).buildInfo()).rejects.toBeInstanceOf(ConnectionError);

    const other = http.createServer((_req, res) => res.writeHead(404).end('nope'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
      const err = await apiError(() => new OrgdClient(url).hasFirstUser());
      expect(err.message).toMatch(/does not look like an orgd server/);
      const plain = await apiError(() => new OrgdClient(url).buildInfo());
      expect(plain.status).toBe(404);
      expect(plain.detail).toBe('nope');
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
    expect(() => new OrgdClient('ftp://example.com')).toThrow(/http/);
  });

  it('users: create, list, show, profile, status, roles, password, appearance, delete', async () => {
    const created = await owner.createUser({
      email: 'alice@example.com',
      username: 'alice',
      name: 'Alice',
      password: PASSWORD,
      user_status: 'active',
      organization_ids: [NIL_UUID],
    });
    expect(created).toMatchObject({ username: 'alice', email: 'alice@example.com', status: 'active', login_type: 'password' });
    expect((await owner.user('alice')).id).toBe(created.id);

    const page = await owner.users({ search: 'alic' });
    expect(page.users.map((u) => u.username)).toEqual(['alice']);
    expect(page.count).toBe(1);
    expect((await owner.users({ status: 'active', limit: 1 })).users).toHaveLength(1);
    expect((await owner.users({ role: 'owner' })).users.map((u) => u.username)).toEqual(['admin']);

    expect((await owner.updateUserProfile('alice', { username: 'alice', name: 'Alice A' })).name).toBe('Alice A');
    expect((await owner.suspendUser('alice')).status).toBe('suspended');
    expect((await owner.activateUser('alice')).status).toBe('active');
    expect((await owner.updateUserRoles('alice', { roles: ['auditor'] })).roles.map((r) => r.name)).toEqual(['auditor']);
    expect((await owner.userRoles('alice')).roles).toEqual(['auditor']);
    expect((await owner.validateUserPassword('password')).valid).toBe(false);
    expect((await owner.validateUserPassword(PASSWORD)).valid).toBe(true);

    const alice = await signedIn('alice@example.com');
    expect((await alice.userLoginType()).login_type).toBe('password');
    // Only for oneself: the server's message comes through.
    expect((await apiError(() => owner.userLoginType('alice'))).message).toBe("You are not authorized to view this user's login type.");
    const appearance = await alice.updateUserAppearanceSettings('me', { theme_preference: 'dark' });
    expect(appearance.theme_preference).toBe('dark');
    expect((await alice.userAppearanceSettings()).theme_preference).toBe('dark');
    // Users cannot change their own roles: the server's message comes through.
    const err = await apiError(() => alice.updateUserRoles('me', { roles: [] }));
    expect(err.status).toBe(400);
    expect(err.message).toBe('You cannot change your own roles.');

    await owner.updateUserPassword('alice', { password: 'AnotherSecurePassword!2' });
    // A password change signs the user out everywhere.
    expect((await apiError(() => alice.user())).status).toBe(401);
    expect((await signedIn('alice@example.com', 'AnotherSecurePassword!2')).sessionToken).toBeTruthy();

    expect((await owner.deleteUser('alice')).message).toBe('User has been deleted!');
    expect((await apiError(() => owner.user('alice'))).status).toBe(404);
  });

  it('tokens and API keys: create, list, find by name and id, delete', async () => {
    const { key } = await owner.createToken('me', { token_name: 'ci', lifetime: 3600 * 1e9 });
    expect(key).toMatch(/^[0-9A-Za-z]{10}-[0-9A-Za-z]{22}$/);
    const viaToken = new OrgdClient(server.url, { token: key });
    expect((await viaToken.user()).id).toBe(ownerId);

    const tokens = await owner.tokens('me');
    expect(tokens.map((t) => t.token_name)).toEqual(['ci']);
    expect(tokens[0].username).toBe(FIRST_USER.username);
    const byName = await owner.apiKeyByName('me', 'ci');
    expect(byName.id).toBe(key.slice(0, 10));
    expect((await owner.apiKeyByID('me', byName.id)).token_name).toBe('ci');
    expect((await owner.tokens('me', { includeAll: true, includeExpired: true })).length).toBeGreaterThanOrEqual(1);
    expect((await owner.tokenConfig()).max_token_lifetime).toBeGreaterThan(0);

    const dup = await apiError(() => owner.createToken('me', { token_name: 'ci' }));
    expect(dup.status).toBe(409);
    expect(dup.message).toBe('A token with name "ci" already exists.');
    expect(dup.validations).toEqual([{ field: 'name', detail: 'This value is already in use and should be unique.' }]);

    const session = await owner.createAPIKey('me');
    expect(session.key).toMatch(/^[0-9A-Za-z]{10}-/);

    await owner.deleteAPIKey('me', byName.id);
    expect(await owner.tokens('me')).toEqual([]);
    expect((await apiError(() => owner.apiKeyByID('me', byName.id))).status).toBe(404);
    expect((await apiError(() => viaToken.user())).status).toBe(401);
  });

  it('organizations: create, list, read, update, by user, delete', async () => {
    const org = await owner.createOrganization({ name: 'acme', display_name: 'Acme Inc' });
    expect(org).toMatchObject({ name: 'acme', display_name: 'Acme Inc', is_default: false });
    expect((await owner.organizations()).map((o) => o.name).sort()).toEqual(['acme', 'coder']);
    expect((await owner.organization('acme')).id).toBe(org.id);
    expect((await owner.organization('default')).is_default).toBe(true);
    expect((await owner.updateOrganization('acme', { description: 'Rockets' })).description).toBe('Rockets');
    expect((await owner.organizationsByUser('me')).map((o) => o.name).sort()).toEqual(['acme', 'coder']);
    expect((await owner.organizationByUserAndName('me', 'acme')).id).toBe(org.id);

    const dup = await apiError(() => owner.createOrganization({ name: 'acme' }));
    expect(dup.status).toBe(409);
    const reserved = await apiError(() => owner.createOrganization({ name: 'default' }));
    expect(reserved.message).toBe('Organization name "default" is reserved.');

    const doomed = await owner.createOrganization({ name: 'doomed' });
    expect((await owner.deleteOrganization(doomed.name)).message).toBe('Organization has been deleted.');
    expect((await apiError(() => owner.organization('doomed'))).status).toBe(404);
    const keep = await apiError(() => owner.deleteOrganization('default'));
    expect(keep.message).toBe('Default organization cannot be deleted.');
  });

  it('members and roles: add one and many, list, paginate, read, custom roles, edit roles, remove', async () => {
    const users = [];
    for (const name of ['bob', 'carol', 'dave']) {
      users.push(await owner.createUser({ email: `${name}@example.com`, username: name, password: PASSWORD, organization_ids: [NIL_UUID] }));
    }
    const added = await owner.postOrganizationMember('acme', 'bob');
    expect(added.user_id).toBe(users[0].id);
    expect(added.roles).toEqual([]);
    const batch = await owner.addOrganizationMembers('acme', { user_ids: [users[1].id, users[2].id] });
    expect(batch.map((m) => m.user_id).sort()).toEqual([users[1].id, users[2].id].sort());
    const again = await apiError(() => owner.postOrganizationMember('acme', 'bob'));
    expect(again.status).toBe(400);
    expect(again.message).toBe('User is already an organization member');
    expect(again.detail).toBe('bob is already a member of Acme Inc');

    const members = await owner.organizationMembers('acme');
    expect(members.map((m) => m.username).sort()).toEqual(['admin', 'bob', 'carol', 'dave']);
    const page = await owner.paginatedMembers('acme', { limit: 2 });
    expect(page.count).toBe(4);
    expect(page.members).toHaveLength(2);
    const rest = await owner.paginatedMembers('acme', { limit: 2, offset: 2 });
    expect([...page.members, ...rest.members].map((m) => m.username).sort()).toEqual(['admin', 'bob', 'carol', 'dave']);
    expect((await owner.organizationMember('acme', 'bob')).email).toBe('bob@example.com');

    const siteRoles = await owner.listSiteRoles();
    expect(siteRoles.map((r) => r.name)).toContain('auditor');
    expect(siteRoles.every((r) => r.built_in)).toBe(true);
    const role = await owner.createOrganizationRole('acme', {
      name: 'viewer',
      display_name: 'Viewer',
      organization_permissions: [{ negate: false, resource_type: 'organization_member', action: 'read' }],
    });
    expect(role).toMatchObject({ name: 'viewer', display_name: 'Viewer', organization_id: (await owner.organization('acme')).id });
    const updated = await owner.updateOrganizationRole('acme', { name: 'viewer', display_name: 'Member viewer', organization_permissions: role.organization_permissions });
    expect(updated.display_name).toBe('Member viewer');
    const orgRoles = await owner.listOrganizationRoles('acme');
    expect(orgRoles.find((r) => r.name === 'viewer')).toMatchObject({ built_in: false, assignable: true });
    expect(orgRoles.find((r) => r.name === 'organization-admin')).toMatchObject({ built_in: true });
    const reserved = await apiError(() => owner.createOrganizationRole('acme', { name: 'organization-admin' }));
    expect(reserved.message).toBe('Reserved role name');

    const edited = await owner.updateOrganizationMemberRoles('acme', 'bob', { roles: ['organization-admin', 'viewer'] });
    expect(edited.roles.map((r) => r.name).sort()).toEqual(['organization-admin', 'viewer']);
    expect(edited.roles.find((r) => r.name === 'viewer')?.display_name).toBe('Member viewer');
    const self = await apiError(() => owner.updateOrganizationMemberRoles('acme', 'me', { roles: [] }));
    expect(self.message).toBe('You cannot change your own organization roles.');

    await owner.updateOrganizationMemberRoles('acme', 'bob', { roles: [] });
    await owner.deleteOrganizationRole('acme', 'viewer');
    expect((await owner.listOrganizationRoles('acme')).map((r) => r.name)).not.toContain('viewer');

    await owner.deleteOrganizationMember('acme', 'dave');
    expect((await apiError(() => owner.organizationMember('acme', 'dave'))).status).toBe(404);
    const removeSelf = await apiError(() => owner.deleteOrganizationMember('acme', 'me'));
    expect(removeSelf.message).toBe('cannot remove self from an organization');
  });

  it('authorization checks answer per check for the caller', async () => {
    const checks = {
      createOrg: { object: { resource_type: 'organization' }, action: 'create' },
      readSelf: { object: { resource_type: 'user', owner_id: 'me' }, action: 'read' },
    };
    expect(await owner.authCheck({ checks })).toEqual({ createOrg: true, readSelf: true });
    const bob = await signedIn('bob@example.com');
    expect(await bob.authCheck({ checks })).toEqual({ createOrg: false, readSelf: true });
    const err = await apiError(() => bob.authCheck({ checks: { bad: { object: {}, action: 'read' } } }));
    expect(err.status).toBe(400);
    expect(err.message).toBe('Object\'s "resource_type" field must be defined for key "bad".');
  });

  it('audit log: reads what the calls above recorded, and refuses a plain member', async () => {
    const res = await owner.auditLogs({ q: 'resource_type:organization action:create', limit: 10 });
    expect(res.audit_logs.map((a) => a.resource_target).sort()).toEqual(['acme', 'doomed']);
    expect(res.count).toBe(2);
    expect(res.audit_logs[0].user?.username).toBe(FIRST_USER.username);
    const bad = await apiError(() => owner.auditLogs({ q: 'nonsense:1' }));
    expect(bad.message).toBe('Invalid audit search query.');
    const carol = await signedIn('carol@example.com');
    expect((await apiError(() => carol.auditLogs())).status).toBe(403);
  });

  it('IdP sync settings: organization sync and per-organization role sync', async () => {
    expect((await owner.organizationIDPSyncSettings()).field).toBe('');
    const acme = await owner.organization('acme');
    const orgSync = await owner.patchOrganizationIDPSyncSettings({ field: 'groups', mapping: { engineers: [acme.id] } });
    expect(orgSync).toEqual({ field: 'groups', mapping: { engineers: [acme.id] }, organization_assign_default: false });
    expect((await owner.organizationIDPSyncSettings()).mapping).toEqual({ engineers: [acme.id] });
    const roleSync = await owner.patchRoleIDPSyncSettings('acme', { field: 'roles', mapping: { admins: ['organization-admin'] } });
    expect(roleSync).toEqual({ field: 'roles', mapping: { admins: ['organization-admin'] } });
    expect((await owner.roleIDPSyncSettings('acme')).field).toBe('roles');
    const bob = await signedIn('bob@example.com');
    expect((await apiError(() => bob.organizationIDPSyncSettings())).status).toBe(403);
  });

  it('logout ends the session on the server and in the client', async () => {
    const client = await signedIn(FIRST_USER.email, FIRST_USER.password);
    const token = client.sessionToken;
    expect((await client.logout()).message).toBe('Logged out!');
    expect(client.sessionToken).toBeUndefined();
    const err = await apiError(() => new OrgdClient(server.url, { token }).user());
    expect(err.status).toBe(401);
    expect(err.detail).toBe('API key is invalid.');
  });
});

describe('orgd/sdk bundle', () => {
  it('imports nothing of the server at run time', () => {
    const dir = path.resolve('src/sdk');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
        if (m[2]) continue; // type-only: erased
        expect(m[3], `${file}: ${m[0]}`).toMatch(/^\.\/[a-z]+\.js$/);
      }
    }
  });

  it('bundles for a browser without Node built-ins or server code', async () => {
    const out = await build({
      entryPoints: [path.resolve('src/sdk/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      minify: true,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    expect(code).toContain('Coder-Session-Token');
    expect(code).not.toMatch(/fastify|kysely|node:|typebox/i);
    expect(code.length).toBeLessThan(20_000);
  });
});
