// The foundation flows: first user -> login -> me -> tokens -> logout, and every 401 of Coder's
// session middleware, against a real server on a fresh database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, FIRST_USER, startTestServer, type Api, type TestServer } from '../helpers/server.js';

const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';
const TOKEN_RE = /^[0-9A-Za-z]{10}-[0-9A-Za-z]{22}$/;

let server: TestServer;
let api: Api;
let sql: pg.Pool;

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

describe('first user', () => {
  it('walks first user -> login -> me -> tokens -> logout', async () => {
    let res = await api('GET', '/api/v2/users/first');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: 'The initial user has not been created!' });
    expect(res.headers['x-coder-build-version']).toBeTruthy();

    res = await api('POST', '/api/v2/users/first', { body: { ...FIRST_USER, password: 'password' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Password not strong enough!');
    expect(res.json().validations[0].field).toBe('password');

    res = await api('POST', '/api/v2/users/first', { body: FIRST_USER });
    expect(res.statusCode).toBe(201);
    const { user_id, organization_id } = res.json();
    expect(user_id).toMatch(/^[0-9a-f-]{36}$/);
    const org = await sql.query('SELECT name, display_name, is_default FROM organizations WHERE id = $1', [organization_id]);
    expect(org.rows[0]).toEqual({ name: 'coder', display_name: 'Coder', is_default: true });

    res = await api('POST', '/api/v2/users/first', { body: { ...FIRST_USER, email: 'other@example.com', username: 'other' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toBe('The initial user has already been created.');

    res = await api('GET', '/api/v2/users/first');
    expect(res.statusCode).toBe(200);
    expect(res.json().message).toBe('The initial user has already been created!');

    // Creating the first user is not audited.
    expect((await sql.query('SELECT count(*)::int AS n FROM audit_logs')).rows[0].n).toBe(0);

    res = await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: 'wrong-password' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: 'Incorrect email or password.' });

    res = await api('POST', '/api/v2/users/login', { body: { email: 'ADMIN@example.com', password: FIRST_USER.password } });
    expect(res.statusCode).toBe(201);
    const token: string = res.json().session_token;
    expect(token).toMatch(TOKEN_RE);
    expect(String(res.headers['set-cookie'])).toMatch(/^coder_session_token=[^;]+; Path=\/;.*HttpOnly; SameSite=Lax/);

    res = await api('GET', '/api/v2/users/me', { token });
    expect(res.statusCode).toBe(200);
    const me = res.json();
    expect(me).toMatchObject({
      id: user_id,
      username: 'admin',
      email: 'admin@example.com',
      name: 'Admin',
      status: 'active',
      login_type: 'password',
      organization_ids: [organization_id],
      roles: [{ name: 'owner', display_name: 'Owner' }],
    });
    expect(new Date(me.created_at).getTime()).toBeGreaterThan(0);

    // The same user by username (any case) and by id.
    expect((await api('GET', '/api/v2/users/ADMIN', { token })).json().id).toBe(user_id);
    expect((await api('GET', `/api/v2/users/${user_id}`, { token })).json().username).toBe('admin');

    // Tokens: create, list, read by name and id, delete.
    res = await api('POST', '/api/v2/users/me/keys/tokens', { token, body: { token_name: 'ci', lifetime: 3600 * 1e9 } });
    expect(res.statusCode).toBe(201);
    const apiToken: string = res.json().key;
    expect(apiToken).toMatch(TOKEN_RE);
    const keyId = apiToken.split('-')[0];

    res = await api('POST', '/api/v2/users/me/keys/tokens', { token, body: { token_name: 'ci' } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      message: 'A token with name "ci" already exists.',
      validations: [{ field: 'name', detail: 'This value is already in use and should be unique.' }],
    });

    res = await api('GET', '/api/v2/users/me/keys/tokens', { token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(1);
    expect(res.json()[0]).toMatchObject({ id: keyId, token_name: 'ci', login_type: 'token', username: 'admin', lifetime_seconds: 3600, scope: 'all' });

    res = await api('GET', '/api/v2/users/me/keys/tokens/ci', { token });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(keyId);
    res = await api('GET', `/api/v2/users/me/keys/${keyId}`, { token });
    expect(res.json().token_name).toBe('ci');

    // The token works as a credential.
    expect((await api('GET', '/api/v2/users/me', { token: apiToken })).statusCode).toBe(200);

    res = await api('GET', '/api/v2/users/me/keys/tokens/tokenconfig', { token });
    expect(res.json()).toEqual({ max_token_lifetime: 876600 * 3600 * 1e9 });

    res = await api('DELETE', `/api/v2/users/me/keys/${keyId}`, { token });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    res = await api('GET', '/api/v2/users/me', { token: apiToken });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe('API key is invalid.');
    expect((await api('GET', `/api/v2/users/me/keys/${keyId}`, { token })).statusCode).toBe(404);

    // Audit: login, token create, token delete; not the first user.
    const audit = await sql.query('SELECT action, resource_type, resource_target, status_code FROM audit_logs ORDER BY time, id');
    expect(audit.rows).toEqual([
      { action: 'login', resource_type: 'api_key', resource_target: '', status_code: 401 },
      { action: 'login', resource_type: 'api_key', resource_target: '', status_code: 201 },
      { action: 'create', resource_type: 'api_key', resource_target: 'ci', status_code: 201 },
      { action: 'delete', resource_type: 'api_key', resource_target: 'ci', status_code: 204 },
    ]);

    res = await api('POST', '/api/v2/users/logout', { token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Logged out!' });
    expect(String(res.headers['set-cookie'])).toMatch(/coder_session_token=; Path=\/; Max-Age=0/);
    res = await api('GET', '/api/v2/users/me', { token });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: SIGNED_OUT, detail: 'API key is invalid.' });
  });

  it('stores passwords as PBKDF2-SHA256 in Coder\'s format', async () => {
    const { rows } = await sql.query("SELECT hashed_password FROM users WHERE username = 'admin'");
    // 16-byte salt and 64-byte key in unpadded standard base64; tests hash with 1 iteration.
    expect(rows[0].hashed_password).toMatch(/^\$pbkdf2-sha256\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/);
  });

  it('stores only the SHA-256 of token secrets', async () => {
    const token = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
    const [id, secret] = token.split('-');
    const { rows } = await sql.query("SELECT encode(hashed_secret, 'hex') AS h, lifetime_seconds::int AS l, login_type FROM api_keys WHERE id = $1", [id]);
    const { createHash } = await import('node:crypto');
    expect(rows[0]).toEqual({ h: createHash('sha256').update(secret).digest('hex'), l: 86400, login_type: 'password' });
  });
});

describe('session middleware', () => {
  let token: string;
  beforeAll(async () => {
    token = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
  });

  it('reads the token from the cookie, query, Coder-Session-Token and Authorization: Bearer', async () => {
    const ok = (r: { statusCode: number }) => expect(r.statusCode).toBe(200);
    ok(await server.app.inject({ url: '/api/v2/users/me', headers: { cookie: `coder_session_token=${token}` } }));
    ok(await server.app.inject({ url: `/api/v2/users/me?coder_session_token=${token}` }));
    ok(await server.app.inject({ url: '/api/v2/users/me', headers: { 'coder-session-token': token } }));
    ok(await server.app.inject({ url: '/api/v2/users/me', headers: { authorization: `Bearer ${token}` } }));
  });

  const cases: [string, Record<string, string>, number, Record<string, string>][] = [
    ['no token', {}, 401, { message: SIGNED_OUT, detail: 'Cookie "coder_session_token" or query parameter must be provided.' }],
    ['three parts', { 'coder-session-token': 'a-b-c' }, 401, { message: SIGNED_OUT, detail: 'Invalid API key format: incorrect amount of API key parts, expected 2 got 3' }],
    ['short id', { 'coder-session-token': 'abc-0123456789012345678901' }, 401, { message: SIGNED_OUT, detail: 'Invalid API key format: invalid API key ID length, expected 10 got 3' }],
    ['short secret', { 'coder-session-token': '0123456789-abc' }, 401, { message: SIGNED_OUT, detail: 'Invalid API key format: invalid API key secret length, expected 22 got 3' }],
    ['unknown id', { 'coder-session-token': '0123456789-0123456789012345678901' }, 401, { message: SIGNED_OUT, detail: 'API key is invalid.' }],
  ];
  for (const [name, headers, status, body] of cases) {
    it(`401 for ${name}`, async () => {
      const res = await server.app.inject({ url: '/api/v2/users/me', headers });
      expect(res.statusCode).toBe(status);
      expect(res.json()).toEqual(body);
    });
  }

  it('401 for a wrong secret', async () => {
    const [id] = token.split('-');
    const res = await api('GET', '/api/v2/users/me', { token: `${id}-${'x'.repeat(22)}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: SIGNED_OUT, detail: 'API key secret is invalid.' });
  });

  it('401 for an expired key, with its expiry in the detail', async () => {
    const t = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
    const expiry = new Date(Date.now() - 60_000);
    await sql.query('UPDATE api_keys SET expires_at = $2 WHERE id = $1', [t.split('-')[0], expiry]);
    await new Promise((r) => setTimeout(r, 50)); // the NOTIFY from another writer
    const res = await api('GET', '/api/v2/users/me', { token: t });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: SIGNED_OUT, detail: `API key expired at "${expiry.toISOString()}".` });
  });

  it('an expired key does not wake a dormant user (no status change, no audit entry)', async () => {
    const t = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
    const expiry = new Date(Date.now() - 60_000);
    await sql.query('UPDATE api_keys SET expires_at = $2 WHERE id = $1', [t.split('-')[0], expiry]);
    await sql.query("UPDATE users SET status = 'dormant' WHERE username = 'admin'");
    await new Promise((r) => setTimeout(r, 50));
    const before = Number((await sql.query('SELECT count(*) AS n FROM audit_logs')).rows[0].n);
    const res = await api('GET', '/api/v2/users/me', { token: t });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: SIGNED_OUT, detail: `API key expired at "${expiry.toISOString()}".` });
    expect((await sql.query("SELECT status FROM users WHERE username = 'admin'")).rows[0].status).toBe('dormant');
    expect(Number((await sql.query('SELECT count(*) AS n FROM audit_logs')).rows[0].n)).toBe(before);
    await sql.query("UPDATE users SET status = 'active' WHERE username = 'admin'");
  });

  it('401 for a suspended user at once, and login refused', async () => {
    // A second user, suspended directly in the database (the users API arrives with its issue).
    const t = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
    expect((await api('GET', '/api/v2/users/me', { token: t })).statusCode).toBe(200);
    await sql.query("UPDATE users SET status = 'suspended' WHERE username = 'admin'");
    await new Promise((r) => setTimeout(r, 50));
    let res = await api('GET', '/api/v2/users/me', { token: t });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: 'User is not active (status = "suspended"). Contact an admin to reactivate your account.' });
    res = await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ message: 'Your account is suspended. Contact an admin to reactivate your account.' });
    await sql.query("UPDATE users SET status = 'active' WHERE username = 'admin'");
  });

  it('refreshes last_used at most hourly and slides the expiry', async () => {
    const t = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
    const id = t.split('-')[0];
    await api('GET', '/api/v2/users/me', { token: t });
    const first = (await sql.query('SELECT last_used, expires_at FROM api_keys WHERE id = $1', [id])).rows[0];
    expect(Date.now() - first.last_used.getTime()).toBeLessThan(60_000);
    await api('GET', '/api/v2/users/me', { token: t });
    const second = (await sql.query('SELECT last_used FROM api_keys WHERE id = $1', [id])).rows[0];
    expect(second.last_used.getTime()).toBe(first.last_used.getTime());
    // Two hours later (moved back in the database), the next request extends the session.
    await sql.query("UPDATE api_keys SET last_used = now() - interval '2 hours', expires_at = now() + interval '20 hours' WHERE id = $1", [id]);
    await new Promise((r) => setTimeout(r, 50));
    await api('GET', '/api/v2/users/me', { token: t });
    const third = (await sql.query('SELECT last_used, expires_at FROM api_keys WHERE id = $1', [id])).rows[0];
    expect(Date.now() - third.last_used.getTime()).toBeLessThan(60_000);
    expect(third.expires_at.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
  });
});

describe('meta', () => {
  it('answers the root, buildinfo, authmethods and unknown routes', async () => {
    expect((await api('GET', '/api/v2')).json()).toEqual({ message: '👋' });
    const info = await api('GET', '/api/v2/buildinfo');
    expect(info.statusCode).toBe(200);
    expect(info.json().version).toBe(info.headers['x-coder-build-version']);
    expect(info.json().deployment_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api('GET', '/api/v2/buildinfo')).json().deployment_id).toBe(info.json().deployment_id);
    expect((await api('GET', '/api/v2/users/authmethods')).json()).toMatchObject({ password: { enabled: true } });
    const nf = await api('GET', '/api/v2/nope');
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toEqual({ message: 'Route not found.' });
    expect(nf.headers['x-coder-build-version']).toBeTruthy();
    expect(nf.headers['x-request-id']).toBeTruthy();
  });

  it('exposes Prometheus metrics', async () => {
    const res = await api('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('orgd_http_requests_total{method="GET",route="/api/v2/buildinfo",status="200"}');
    expect(res.body).toContain('orgd_db_pool_connections');
    expect(res.body).toContain('orgd_process_resident_memory_bytes');
  });
});

describe('login rate limit', () => {
  it('answers 429 past the limit', async () => {
    const limited = await startTestServer({ listen: false, config: { loginRateLimit: 3 } });
    try {
      const a = apiOf(limited.app);
      for (let i = 0; i < 3; i++) {
        expect((await a('POST', '/api/v2/users/login', { body: { email: 'x@example.com', password: 'nope' } })).statusCode).toBe(401);
      }
      const res = await a('POST', '/api/v2/users/login', { body: { email: 'x@example.com', password: 'nope' } });
      expect(res.statusCode).toBe(429);
      expect(res.json()).toEqual({ message: "You've been rate limited for sending more than 3 requests in 1m0s." });
    } finally {
      await limited.close();
    }
  });
});

describe('first user races', () => {
  it('creates exactly one first user among parallel requests', async () => {
    const s = await startTestServer({ listen: false });
    try {
      const a = apiOf(s.app);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          a('POST', '/api/v2/users/first', { body: { ...FIRST_USER, email: `u${i}@example.com`, username: `u${i}` } }),
        ),
      );
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 409)).toHaveLength(7);
    } finally {
      await s.close();
    }
  });
});


describe('token lists', () => {
  it('include_all lists every token the caller may read, and only those', async () => {
    const { makeUser } = await import('../helpers/users.js');
    const ownerToken = (await api('POST', '/api/v2/users/login', { body: { email: FIRST_USER.email, password: FIRST_USER.password } })).json().session_token;
    const member = await makeUser(server);
    expect((await api('POST', '/api/v2/users/me/keys/tokens', { token: ownerToken, body: { token_name: 'owner-ci' } })).statusCode).toBe(201);
    expect((await api('POST', '/api/v2/users/me/keys/tokens', { token: member.token, body: { token_name: 'member-ci' } })).statusCode).toBe(201);
    const names = async (token: string) =>
      ((await api('GET', '/api/v2/users/me/keys/tokens?include_all=true', { token })).json() as { token_name: string }[]).map((k) => k.token_name).sort();
    expect(await names(member.token)).toEqual(['member-ci']);
    const all = await names(ownerToken);
    expect(all).toContain('owner-ci');
    expect(all).toContain('member-ci');
    // Without include_all, only the {user}'s own tokens.
    const mine = (await api('GET', '/api/v2/users/me/keys/tokens', { token: member.token })).json();
    expect(mine.map((k: { username: string }) => k.username)).toEqual([member.username]);
  });
});
