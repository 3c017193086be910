// Hostile input on the users routes: SQL-looking and unicode strings in `q`, names and paths, odd
// limits and repeated parameters. Every answer is a 4xx with the error envelope or a correct result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type TestServer } from '../helpers/server.js';

const NIL = '00000000-0000-0000-0000-000000000000';
const STRONG = 'An0ther-Str0ng-Passw0rd!';
const HOSTILE = [
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  "admin'--",
  '%',
  '_',
  '\\',
  '%_\\%',
  '$1',
  '名前 ユーザー',
  'zoë',
  '🦄🦄',
  '\u0000',
  'a\u0000b',
  '\u202e\u200b',
  'x'.repeat(10_000),
  '"unterminated',
  '""',
  'status:"active',
  'role:\'owner\'',
  'name:%',
  'created_after:"9999-99-99T99:99:99Z"',
  'email:\u0000@x',
  ':::',
  ',,,',
  'status:,',
];

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  token = (await createFirstUser(server.app)).token;
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

function expectEnvelopeOrList(what: string, res: { statusCode: number; body: string }): void {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
  const body = JSON.parse(res.body);
  if (res.statusCode >= 400) {
    expect(typeof body.message, what).toBe('string');
  } else {
    expect(Array.isArray(body.users), what).toBe(true);
    expect(Number.isInteger(body.count), what).toBe(true);
  }
}

describe('GET /users with hostile q', () => {
  for (const text of HOSTILE) {
    it(`survives ${JSON.stringify(text.slice(0, 40))}`, async () => {
      const res = await api('GET', `/api/v2/users?q=${encodeURIComponent(text)}`, { token });
      expectEnvelopeOrList(text.slice(0, 40), res);
      if (res.statusCode === 200) {
        // Nothing matches these literally but the admin's own strings.
        for (const u of res.json().users) expect(u.username).toBe('admin');
      }
    });
  }

  it('still holds every user afterwards', async () => {
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM users');
    expect(rows[0].n).toBe(1);
  });
});

describe('pagination limits', () => {
  const cases: [string, number][] = [
    ['limit=-1', 400],
    ['limit=0', 200],
    ['limit=2147483647', 200],
    ['limit=2147483648', 400],
    ['limit=99999999999999999999', 400],
    ['limit=1.5', 400],
    ['limit=0x10', 400],
    ['limit=', 200],
    ['offset=-1', 400],
    ['offset=2147483647', 200],
    ['offset=2147483648', 400],
    ['limit=1&limit=1', 400],
    ['offset=1&offset=2&offset=3', 400],
    ['after_id=1&after_id=2', 400],
    [`after_id=${NIL}`, 200],
    ['after_id=%27%20OR%201%3D1', 400],
    ['q=admin&q=nobody', 200],
    ['q[]=x', 200],
    ['q[a]=x&limit[b]=1', 200],
  ];
  for (const [query, status] of cases) {
    it(`${query} -> ${status}`, async () => {
      const res = await api('GET', `/api/v2/users?${query}`, { token });
      expectEnvelopeOrList(query, res);
      expect(res.statusCode, res.body).toBe(status);
    });
  }

  it('takes the first q when q is repeated, as Go does', async () => {
    const res = await api('GET', '/api/v2/users?q=admin&q=nobody', { token });
    expect(res.json().count).toBe(1);
  });
});

describe('hostile names', () => {
  it('stores SQL-looking and unicode real names literally', async () => {
    for (const [i, name] of ["Robert'); DROP TABLE users;--", 'Zoë 名前 🦄', '%_\\'].entries()) {
      const res = await api('POST', '/api/v2/users', {
        token,
        body: { email: `h${i}@example.com`, username: `hostile-${i}`, name, password: STRONG, organization_ids: [NIL] },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().name).toBe(name);
      const found = await api('GET', `/api/v2/users?q=${encodeURIComponent(`name:"${name.replaceAll('"', '')}"`)}`, { token });
      expect(found.json().users.map((u: { username: string }) => u.username)).toEqual([`hostile-${i}`]);
    }
  });

  it('refuses unusable usernames, e-mails and names with a 400', async () => {
    const bad: Record<string, unknown>[] = [
      { username: "x'; DROP TABLE users;--" },
      { username: 'ユーザー' },
      { username: 'a'.repeat(33) },
      { username: 'new' },
      { email: "x@example.com' OR '1'='1" },
      { email: 'a\u0000b@example.com' },
      { name: 'nul\u0000byte' },
      { name: 'x'.repeat(200) },
      { username: 123 },
      { organization_ids: ["' OR 1=1 --"] },
      { organization_ids: 'not-a-list' },
      { user_status: 'root' },
      { login_type: '\u0000' },
    ];
    for (const [i, over] of bad.entries()) {
      const res = await api('POST', '/api/v2/users', {
        token,
        body: { email: `bad${i}@example.com`, username: `bad-${i}`, password: STRONG, organization_ids: [NIL], ...over },
      });
      expect(res.statusCode, `${JSON.stringify(over)} -> ${res.body}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${JSON.stringify(over)} -> ${res.body}`).toBeLessThan(500);
      expect(typeof res.json().message).toBe('string');
    }
    const { rows } = await sql.query("SELECT count(*)::int AS n FROM users WHERE username LIKE 'bad-%'");
    expect(rows[0].n).toBe(0);
  });

  it('answers 404 or 400 for hostile {user} paths and profile bodies, never a 5xx', async () => {
    for (const raw of ["' OR 1=1 --", '%00', 'ユーザー', 'a'.repeat(3000), NIL, 'me%00', '..%2F..%2Fetc']) {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['GET', '/roles', undefined],
        ['PUT', '/profile', { username: 'ok-name' }],
        ['PUT', '/status/suspend', undefined],
        ['DELETE', '', undefined],
        ['PUT', '/password', { password: STRONG }],
      ] as const) {
        const res = await api(method, `/api/v2/users/${raw}${suffix}`, { token, body });
        expect(res.statusCode, `${method} ${raw.slice(0, 20)}${suffix} -> ${res.body.slice(0, 120)}`).toBeLessThan(500);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
      }
    }
    const res = await api('PUT', '/api/v2/users/me/profile', { token, body: { username: 'admin', name: 'a\u0000b' } });
    expect(res.statusCode).toBe(400);
    const theme = await api('PUT', '/api/v2/users/me/appearance', { token, body: { theme_preference: 'dark\u0000' } });
    expect(theme.statusCode).toBe(400);
  });
});
