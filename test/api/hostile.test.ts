// Every route of the server, fed malformed JSON, empty and 2 MiB bodies, junk and overlong ids and
// junk tokens: the answers are 4xx with Coder's envelope (or a legitimate success), never a 5xx,
// and the server stays healthy. The route list is the server's own, so new routes are covered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createFirstUser, FIRST_USER, login, startTestServer, type Api, type TestServer } from '../helpers/server.js';

let server: TestServer;
let api: Api;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ listen: true });
  api = apiOf(server.app);
  token = (await createFirstUser(server.app)).token;
});
afterAll(async () => server.close());

const PARAM_VALUES = ['not-a-uuid', 'x'.repeat(5000), '00000000-0000-0000-0000-000000000000', '%00', "'; DROP TABLE users;--", 'me', 'default'];
const BODIES: (string | undefined)[] = [
  undefined,
  '',
  '{',
  '[]',
  'null',
  '"text"',
  '{"email": 5, "password": [], "name": {"$gt": ""}, "roles": "owner", "user_ids": "x", "lifetime": "long"}',
  JSON.stringify({ padding: 'a'.repeat(2 * 1024 * 1024) }),
];
const TOKENS = [undefined, 'junk', 'a'.repeat(10) + '-' + 'b'.repeat(22), 'Bearer x'];

function fill(url: string, value: string): string {
  return url.replace(/:([A-Za-z_]+)/g, () => encodeURIComponent(value));
}

function assertEnvelope(method: string, url: string, res: { statusCode: number; body: string; headers: Record<string, unknown> }): void {
  const where = `${method} ${url.slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
  expect(res.statusCode, where).toBeLessThan(500);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body);
    expect(typeof body.message, where).toBe('string');
    expect(body.message.length, where).toBeGreaterThan(0);
  }
}

describe('hostile input on every route', () => {
  it('never answers 5xx', async () => {
    const routes = server.app.orgd.routes.filter((r) => r.url.startsWith('/api/v2'));
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const isLogout = route.url === '/api/v2/users/logout';
      for (const value of PARAM_VALUES) {
        const url = fill(route.url, value);
        for (const body of BODIES) {
          const res = await server.app.inject({
            method: route.method as 'GET',
            url,
            headers: { 'coder-session-token': isLogout ? 'junk' : token, 'content-type': 'application/json' },
            payload: body,
          });
          assertEnvelope(route.method, url, res);
        }
        for (const t of TOKENS) {
          const res = await server.app.inject({
            method: route.method as 'GET',
            url,
            headers: t ? { 'coder-session-token': t } : {},
          });
          assertEnvelope(route.method, url, res);
          // Auth comes first; only an over-long URL is refused before it (414).
          if (route.config.auth === 'required') expect([401, 414]).toContain(res.statusCode);
        }
      }
    }
    // The owner's session survived and the server still answers over real HTTP.
    expect((await api('GET', '/api/v2/users/me', { token })).statusCode).toBe(200);
    const res = await fetch(`${server.url}/api/v2/buildinfo`);
    expect(res.status).toBe(200);
    expect(await login(server.app, FIRST_USER.email, FIRST_USER.password)).toMatch(/-/);
  });

  it('answers NUL characters in key, token and role paths and bodies with a 4xx, never a 5xx', async () => {
    const me = (await api('GET', '/api/v2/users/me', { token })).json();
    const org = me.organization_ids[0];
    const victim = (await api('POST', '/api/v2/users', {
      token,
      body: { email: 'nul-victim@example.com', username: 'nul-victim', login_type: 'none', organization_ids: [org] },
    })).json();
    const probes: [string, string, unknown, number][] = [
      ['GET', '/api/v2/users/me/keys/tokens/a%00b', undefined, 404],
      ['GET', '/api/v2/users/me/keys/a%00b', undefined, 404],
      ['DELETE', '/api/v2/users/me/keys/a%00b', undefined, 404],
      ['DELETE', `/api/v2/organizations/${org}/members/roles/a%00b`, undefined, 404],
      ['POST', '/api/v2/users/me/keys/tokens', { token_name: 'a\u0000b' }, 400],
      ['PUT', `/api/v2/users/${victim.id}/roles`, { roles: ['a\u0000'] }, 400],
      ['POST', `/api/v2/organizations/${org}/members/roles`, { name: 'nul-role', display_name: 'x\u0000', organization_permissions: [] }, 400],
      // No route-specific check: the app's last line of defence maps PostgreSQL's refusal to a 400.
      ['POST', '/api/v2/organizations', { name: 'nul-org', description: 'a\u0000' }, 400],
    ];
    for (const [method, url, body, status] of probes) {
      const res = await api(method, url, { token, body });
      expect(res.statusCode, `${method} ${url} -> ${res.body}`).toBe(status);
      expect(typeof res.json().message).toBe('string');
    }
  });

  it('answers bad JSON, empty bodies and oversized bodies with the envelope', async () => {
    let res = await api('POST', '/api/v2/users/login', { body: '{' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe('Request body must be valid JSON.');
    res = await server.app.inject({ method: 'POST', url: '/api/v2/users/login', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'Request body must be valid JSON.', detail: 'EOF' });
    res = await api('POST', '/api/v2/users/login', { body: { email: 'not-an-email', password: '' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      message: 'Validation failed.',
      validations: [
        { field: 'email', detail: 'Validation failed for tag "email" with value: "not-an-email"' },
        { field: 'password', detail: 'Validation failed for tag "required" with value: ""' },
      ],
    });
    res = await api('POST', '/api/v2/users/login', { body: { email: 'a@example.com', password: 'x', pad: 'a'.repeat(2 * 1024 * 1024) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toBe('Request body is too large.');
    // Unknown fields are ignored, as Go's decoder does.
    res = await api('POST', '/api/v2/users/login', { body: { email: 'a@example.com', password: 'x', extra: 1 } });
    expect(res.statusCode).toBe(401);
  });
});
