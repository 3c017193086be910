// The users routes as owner, user-admin, auditor and member (on themselves and on others): every
// status and message, case-insensitive uniqueness settled by the database, and the session effects
// of suspend, delete and password changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, FIRST_USER, startTestServer, type Api, type TestServer, NOT_FOUND } from '../helpers/server.js';
import { defaultOrgId, makeUser, TEST_PASSWORD, type TestUser } from '../helpers/users.js';

const NIL = '00000000-0000-0000-0000-000000000000';
const FORBIDDEN = {
  message: 'Forbidden.',
  detail:
    "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.",
};
const STRONG = 'An0ther-Str0ng-Passw0rd!';

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: { token: string; userId: string };
let orgId: string;
let userAdmin: TestUser;
let auditor: TestUser;
let member: TestUser;

let seq = 0;
const fresh = (prefix = 'n') => `${prefix}${Date.now().toString(36)}${(seq++).toString(36)}`;

async function lastAudit(): Promise<{ action: string; resource_type: string; resource_target: string; status_code: number; diff: Record<string, unknown> }> {
  const { rows } = await sql.query('SELECT action, resource_type, resource_target, status_code, diff FROM audit_logs ORDER BY time DESC, id DESC LIMIT 1');
  return rows[0];
}

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  orgId = await defaultOrgId(server);
  userAdmin = await makeUser(server, { siteRoles: ['user-admin'], orgs: { [orgId]: [] } });
  auditor = await makeUser(server, { siteRoles: ['auditor'], orgs: { [orgId]: [] } });
  member = await makeUser(server, { orgs: { [orgId]: [] } });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

describe('POST /users', () => {
  const body = (over: Record<string, unknown> = {}) => {
    const name = fresh('c');
    return { email: `${name}@example.com`, username: name, password: STRONG, organization_ids: [NIL], ...over };
  };

  it('creates a dormant password user in the default organization, audited', async () => {
    const b = body({ name: 'Jane Doe' });
    const res = await api('POST', '/api/v2/users', { token: owner.token, body: b });
    expect(res.statusCode).toBe(201);
    const u = res.json();
    expect(u).toMatchObject({
      username: b.username,
      email: b.email,
      name: 'Jane Doe',
      status: 'dormant',
      login_type: 'password',
      organization_ids: [orgId],
      roles: [],
      last_seen_at: '0001-01-01T00:00:00Z',
    });
    const audit = await lastAudit();
    expect(audit).toMatchObject({ action: 'create', resource_type: 'user', resource_target: b.username, status_code: 201 });
    expect(audit.diff.username).toEqual({ old: '', new: b.username, secret: false });
    expect(audit.diff.hashed_password).toEqual({ old: null, new: null, secret: true });

    // Dormant until the first sign-in, which activates the account.
    const login = await api('POST', '/api/v2/users/login', { body: { email: b.email, password: STRONG } });
    expect(login.statusCode).toBe(201);
    const me = await api('GET', '/api/v2/users/me', { token: login.json().session_token });
    expect(me.json().status).toBe('active');
  });

  it('honours user_status and explicit organization ids', async () => {
    const res = await api('POST', '/api/v2/users', { token: owner.token, body: body({ user_status: 'active', organization_ids: [orgId, NIL] }) });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'active', organization_ids: [orgId] });
  });

  it('creates users of the none and github login types without a password', async () => {
    for (const login_type of ['none', 'github']) {
      const res = await api('POST', '/api/v2/users', { token: owner.token, body: body({ login_type, password: undefined }) });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().login_type).toBe(login_type);
    }
  });

  const refusals: [string, () => Record<string, unknown>, number, Record<string, unknown>][] = [
    ['a password for a non-password user', () => body({ login_type: 'none' }), 400, { message: 'Password cannot be set for non-password ("none") authentication.' }],
    [
      'no organization',
      () => body({ organization_ids: [] }),
      400,
      {
        message:
          'No organization specified to place the user as a member of. It is required to specify at least one organization id to place the user in.',
        detail: "required at least 1 value for the array 'organization_ids'",
        validations: [{ field: 'organization_ids', detail: 'Missing values, this cannot be empty' }],
      },
    ],
    [
      'an unknown organization',
      () => body({ organization_ids: ['11111111-2222-3333-4444-555555555555'] }),
      404,
      { message: 'Organization does not exist with the provided id "11111111-2222-3333-4444-555555555555".' },
    ],
    ['a weak password', () => body({ password: 'password' }), 400, { message: 'Password not strong enough!' }],
    ['OIDC without OIDC configured', () => body({ login_type: 'oidc', password: undefined }), 400, { message: 'You must configure OIDC before creating OIDC users.' }],
    ['an unknown login type', () => body({ login_type: 'saml', password: undefined }), 400, { message: 'Unsupported login type "saml" for manually creating new users.' }],
    [
      'an invalid username',
      () => body({ username: 'not valid!' }),
      400,
      { message: 'Validation failed.', validations: [{ field: 'username', detail: 'Validation failed for tag "username" with value: "not valid!"' }] },
    ],
    [
      'an invalid e-mail',
      () => body({ email: 'nope' }),
      400,
      { message: 'Validation failed.', validations: [{ field: 'email', detail: 'Validation failed for tag "email" with value: "nope"' }] },
    ],
  ];
  for (const [what, make, status, expected] of refusals) {
    it(`refuses ${what}`, async () => {
      const res = await api('POST', '/api/v2/users', { token: owner.token, body: make() });
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject(expected);
    });
  }

  it('refuses a username or e-mail already taken, whatever its case', async () => {
    const b = body();
    expect((await api('POST', '/api/v2/users', { token: owner.token, body: b })).statusCode).toBe(201);
    for (const clash of [
      { ...body(), username: b.username.toUpperCase() },
      { ...body(), email: b.email.toUpperCase() },
    ]) {
      const res = await api('POST', '/api/v2/users', { token: owner.token, body: clash });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ message: 'User already exists.' });
    }
  });

  it('lets the database settle concurrent creations of one username', async () => {
    const name = fresh('race');
    const results = await Promise.all(
      [name, name.toUpperCase(), name, name.toUpperCase()].map((username, i) =>
        api('POST', '/api/v2/users', {
          token: owner.token,
          body: { email: `${name}-${i}@example.com`, username, password: STRONG, organization_ids: [NIL] },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json()).toEqual({ message: 'User already exists.' });
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM users WHERE lower(username) = $1', [name]);
    expect(rows[0].n).toBe(1);
  });

  it('is for owners and user admins only', async () => {
    expect((await api('POST', '/api/v2/users', { token: userAdmin.token, body: body() })).statusCode).toBe(201);
    for (const caller of [auditor, member]) {
      const res = await api('POST', '/api/v2/users', { token: caller.token, body: body() });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ message: 'You are not authorized to create users.' });
    }
    expect((await api('POST', '/api/v2/users', { body: body() })).statusCode).toBe(401);
  });
});

describe('PUT /users/{user}/profile', () => {
  it('lets a member rename themselves, audited', async () => {
    const u = await makeUser(server, { orgs: { [orgId]: [] } });
    const username = fresh('renamed');
    const res = await api('PUT', '/api/v2/users/me/profile', { token: u.token, body: { username, name: 'New Name' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: u.id, username, name: 'New Name', organization_ids: [orgId] });
    const audit = await lastAudit();
    expect(audit).toMatchObject({ action: 'write', resource_type: 'user', resource_target: username, status_code: 200 });
    expect(audit.diff.username).toEqual({ old: u.username, new: username, secret: false });
    // Case changes of one's own name are no clash.
    const again = await api('PUT', `/api/v2/users/${u.id}/profile`, { token: u.token, body: { username: username.toUpperCase() } });
    expect(again.statusCode).toBe(200);
    expect(again.json().name).toBe('');
  });

  it('answers 409 for a username held by someone else, in any case', async () => {
    const u = await makeUser(server, { orgs: { [orgId]: [] } });
    const res = await api('PUT', '/api/v2/users/me/profile', { token: u.token, body: { username: member.username.toUpperCase() } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      message: 'A user with this username already exists.',
      validations: [{ field: 'username', detail: 'This username is already in use.' }],
    });
  });

  it('validates the name', async () => {
    const res = await api('PUT', '/api/v2/users/me/profile', { token: member.token, body: { username: member.username, name: ' padded ' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Validation failed.',
      validations: [{ field: 'name', detail: 'Validation failed for tag "user_real_name" with value: " padded "' }],
    });
  });

  it('lets owners and user admins edit others; not auditors or members', async () => {
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    for (const caller of [owner, userAdmin]) {
      const res = await api('PUT', `/api/v2/users/${target.id}/profile`, { token: caller.token, body: { username: target.username, name: 'Edited' } });
      expect(res.statusCode).toBe(200);
    }
    for (const caller of [auditor, member]) {
      const res = await api('PUT', `/api/v2/users/${target.id}/profile`, { token: caller.token, body: { username: target.username } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(FORBIDDEN);
    }
  });
});

describe('PUT /users/{user}/status/{suspend,activate}', () => {
  it('suspends a member, whose very next request is a 401, and activates them again', async () => {
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    expect((await api('GET', '/api/v2/users/me', { token: target.token })).statusCode).toBe(200);
    let res = await api('PUT', `/api/v2/users/${target.id}/status/suspend`, { token: owner.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: target.id, status: 'suspended' });
    expect(await lastAudit()).toMatchObject({ action: 'write', diff: { status: { old: 'active', new: 'suspended', secret: false } } });

    res = await api('GET', '/api/v2/users/me', { token: target.token });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: 'User is not active (status = "suspended"). Contact an admin to reactivate your account.' });
    res = await api('POST', '/api/v2/users/login', { body: { email: target.email, password: TEST_PASSWORD } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: 'Your account is suspended. Contact an admin to reactivate your account.' });

    res = await api('PUT', `/api/v2/users/${target.username}/status/activate`, { token: userAdmin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('active');
    expect((await api('GET', '/api/v2/users/me', { token: target.token })).statusCode).toBe(200);
  });

  it('refuses to suspend oneself or an owner', async () => {
    let res = await api('PUT', '/api/v2/users/me/status/suspend', { token: userAdmin.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'You cannot suspend yourself.' });
    res = await api('PUT', `/api/v2/users/${owner.userId}/status/suspend`, { token: userAdmin.token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'You cannot suspend a user with the "owner" role. You must remove the role first.' });
  });

  it('is forbidden to auditors and members', async () => {
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    for (const caller of [auditor, member]) {
      for (const action of ['suspend', 'activate']) {
        const res = await api('PUT', `/api/v2/users/${target.id}/status/${action}`, { token: caller.token });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toEqual(FORBIDDEN);
      }
    }
    expect((await api('GET', `/api/v2/users/${target.id}`, { token: owner.token })).json().status).toBe('active');
  });
});

describe('DELETE /users/{user}', () => {
  it('soft-deletes: sessions die, login is refused, the username and e-mail are freed', async () => {
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    const res = await api('DELETE', `/api/v2/users/${target.id}`, { token: owner.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'User has been deleted!' });
    expect(await lastAudit()).toMatchObject({
      action: 'delete',
      resource_type: 'user',
      resource_target: target.username,
      status_code: 200,
      diff: { deleted: { old: false, new: true, secret: false } },
    });

    expect((await api('GET', '/api/v2/users/me', { token: target.token })).statusCode).toBe(401);
    const login = await api('POST', '/api/v2/users/login', { body: { email: target.email, password: TEST_PASSWORD } });
    expect(login.statusCode).toBe(401);
    expect(login.json()).toEqual({ message: 'Incorrect email or password.' });
    expect((await api('GET', `/api/v2/users/${target.id}`, { token: owner.token })).statusCode).toBe(404);
    const { rows } = await sql.query('SELECT deleted, (SELECT count(*)::int FROM api_keys WHERE user_id = $1) AS keys FROM users WHERE id = $1', [target.id]);
    expect(rows[0]).toEqual({ deleted: true, keys: 0 });

    const again = await api('POST', '/api/v2/users', {
      token: owner.token,
      body: { email: target.email.toUpperCase(), username: target.username, password: STRONG, organization_ids: [NIL] },
    });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(target.id);
  });

  it('refuses to delete oneself, and is forbidden to auditors and members', async () => {
    let res = await api('DELETE', '/api/v2/users/me', { token: userAdmin.token });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ message: 'You cannot delete yourself!' });
    res = await api('DELETE', '/api/v2/users/me', { token: member.token });
    expect(res.json()).toEqual({ message: 'You cannot delete yourself!' });
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    for (const caller of [auditor, member]) {
      res = await api('DELETE', `/api/v2/users/${target.id}`, { token: caller.token });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(FORBIDDEN);
    }
    expect(await lastAudit()).toMatchObject({ action: 'delete', status_code: 403, diff: {} });
    expect((await api('DELETE', `/api/v2/users/${target.id}`, { token: userAdmin.token })).statusCode).toBe(200);
    expect((await api('DELETE', `/api/v2/users/${target.id}`, { token: userAdmin.token })).statusCode).toBe(404);
  });
});

describe('PUT /users/{user}/password', () => {
  it('checks in order, then signs the user out everywhere', async () => {
    const u = await makeUser(server, { orgs: { [orgId]: [] } });
    const second = (await api('POST', '/api/v2/users/login', { body: { email: u.email, password: TEST_PASSWORD } })).json().session_token;
    const put = (body: unknown) => api('PUT', '/api/v2/users/me/password', { token: u.token, body });

    let res = await put({});
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Validation failed.', validations: [{ field: 'password', detail: 'Validation failed for tag "required" with value: ""' }] });
    res = await put({ password: STRONG });
    expect(res.json()).toEqual({ message: 'Old password is required.' });
    res = await put({ old_password: TEST_PASSWORD, password: 'weak' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ message: 'Invalid password.', validations: [{ field: 'password' }] });
    res = await put({ old_password: 'Wr0ng-Passw0rd!!', password: STRONG });
    expect(res.json()).toEqual({ message: 'Old password is incorrect.', validations: [{ field: 'old_password', detail: 'Old password is incorrect.' }] });
    res = await put({ old_password: TEST_PASSWORD, password: TEST_PASSWORD });
    expect(res.json()).toEqual({ message: 'New password cannot match old password.' });

    res = await put({ old_password: TEST_PASSWORD, password: STRONG });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const audit = await lastAudit();
    expect(audit).toMatchObject({ action: 'write', resource_type: 'user', status_code: 204 });
    expect(audit.diff).toEqual({ hashed_password: { old: null, new: null, secret: true } });

    for (const token of [u.token, second]) expect((await api('GET', '/api/v2/users/me', { token })).statusCode).toBe(401);
    expect((await api('POST', '/api/v2/users/login', { body: { email: u.email, password: TEST_PASSWORD } })).statusCode).toBe(401);
    expect((await api('POST', '/api/v2/users/login', { body: { email: u.email, password: STRONG } })).statusCode).toBe(201);
  });

  it('lets owners and user admins reset others without the old password; others get 404', async () => {
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    for (const [caller, password] of [
      [owner, STRONG],
      [userAdmin, 'Y3t-An0ther-Passw0rd!'],
    ] as const) {
      const res = await api('PUT', `/api/v2/users/${target.id}/password`, { token: caller.token, body: { password } });
      expect(res.statusCode).toBe(204);
    }
    for (const caller of [auditor, member]) {
      const res = await api('PUT', `/api/v2/users/${target.id}/password`, { token: caller.token, body: { password: STRONG } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
  });

  it('refuses a user admin the password of someone holding a role it cannot assign (an owner)', async () => {
    const anotherOwner = await makeUser(server, { siteRoles: ['owner'], orgs: { [orgId]: [] } });
    const otherAdmin = await makeUser(server, { siteRoles: ['user-admin'], orgs: { [orgId]: [] } });
    let res = await api('PUT', `/api/v2/users/${anotherOwner.id}/password`, { token: userAdmin.token, body: { password: STRONG } });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toBe('Forbidden.');
    res = await api('PUT', `/api/v2/users/${otherAdmin.id}/password`, { token: userAdmin.token, body: { password: STRONG } });
    expect(res.statusCode).toBe(403);
    // The owner's password is unchanged; an owner may still reset both.
    expect((await api('POST', '/api/v2/users/login', { body: { email: anotherOwner.email, password: TEST_PASSWORD } })).statusCode).toBe(201);
    for (const target of [anotherOwner, otherAdmin]) {
      res = await api('PUT', `/api/v2/users/${target.id}/password`, { token: owner.token, body: { password: STRONG } });
      expect(res.statusCode).toBe(204);
    }
  });

  it('refuses users without a password login', async () => {
    const u = await makeUser(server, { loginType: 'github', orgs: { [orgId]: [] } });
    const res = await api('PUT', `/api/v2/users/${u.id}/password`, { token: owner.token, body: { password: STRONG } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Users without password login type cannot change their password.' });
  });
});

describe('GET /users/{user}/roles, /login-type, /appearance and POST /users/validate-password', () => {
  it('shows site and organization roles to oneself, owners and user admins; 404 otherwise', async () => {
    const target = await makeUser(server, { siteRoles: ['template-admin'], orgs: { [orgId]: ['organization-admin'] } });
    const expected = { roles: ['template-admin'], organization_roles: { [orgId]: ['organization-admin'] } };
    for (const caller of [target, owner, userAdmin]) {
      const res = await api('GET', `/api/v2/users/${target.id}/roles`, { token: caller.token });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(expected);
    }
    for (const caller of [auditor, member]) {
      const res = await api('GET', `/api/v2/users/${target.id}/roles`, { token: caller.token });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
  });

  it('answers the login type to oneself only', async () => {
    expect((await api('GET', '/api/v2/users/me/login-type', { token: member.token })).json()).toEqual({ login_type: 'password' });
    const res = await api('GET', `/api/v2/users/${member.id}/login-type`, { token: owner.token });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ message: "You are not authorized to view this user's login type." });
  });

  it('reads and writes appearance settings', async () => {
    const u = await makeUser(server, { orgs: { [orgId]: [] } });
    let res = await api('GET', '/api/v2/users/me/appearance', { token: u.token });
    expect(res.json()).toEqual({ theme_preference: '', terminal_font: '' });
    res = await api('PUT', '/api/v2/users/me/appearance', { token: u.token, body: { theme_preference: 'dark', terminal_font: 'fira-code' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ theme_preference: 'dark', terminal_font: 'fira-code' });
    res = await api('PUT', '/api/v2/users/me/appearance', { token: u.token, body: { theme_preference: 'light' } });
    expect(res.json()).toEqual({ theme_preference: 'light', terminal_font: 'fira-code' });
    res = await api('PUT', '/api/v2/users/me/appearance', { token: u.token, body: { theme_preference: 'light', terminal_font: 'comic-sans' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Unsupported font family.' });
    res = await api('PUT', '/api/v2/users/me/appearance', { token: u.token, body: { terminal_font: 'fira-code' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().validations).toEqual([{ field: 'theme_preference', detail: 'Validation failed for tag "required" with value: ""' }]);
    expect((await api('GET', `/api/v2/users/${u.id}/appearance`, { token: member.token })).statusCode).toBe(404);
    expect((await api('PUT', `/api/v2/users/${u.id}/appearance`, { token: member.token, body: { theme_preference: 'x' } })).statusCode).toBe(404);
  });

  it('judges password strength without a session', async () => {
    let res = await api('POST', '/api/v2/users/validate-password', { body: { password: 'password' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      valid: false,
      details: 'insecure password, try including more special characters, using uppercase letters, using numbers or using a longer password',
    });
    res = await api('POST', '/api/v2/users/validate-password', { body: { password: STRONG } });
    expect(res.json()).toEqual({ valid: true, details: '' });
    expect(server.app.orgd.routes.find((r) => r.url === '/api/v2/users/validate-password')).toBeTruthy();
  });

  it('keeps the first user an owner able to read everyone', async () => {
    const res = await api('GET', `/api/v2/users/${FIRST_USER.username}`, { token: member.token });
    expect(res.statusCode).toBe(200);
    expect(res.json().roles).toEqual([{ name: 'owner', display_name: 'Owner' }]);
  });
});
