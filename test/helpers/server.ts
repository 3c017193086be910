// One real orgd server per test file (fresh database, real HTTP on a loopback port), and small
// helpers to walk Coder's flows against it.
import type { LightMyRequestResponse } from 'fastify';
import { openDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { buildApp, type OrgdApp } from '../../src/http/app.js';
import { assertAuditPoliciesComplete } from '../../src/audit/index.js';
import { defaultConfig, type ServerConfig } from '../../src/server/config.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestServer {
  app: OrgdApp;
  url: string;
  dbUrl: string;
  database: DatabaseHandle;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    ...defaultConfig(),
    httpAddress: '127.0.0.1:0',
    // Tests hash with 1 iteration as Coder's test binaries do; the format is unchanged.
    passwordIterations: 1,
    loginRateLimit: 0,
    ...overrides,
  };
}

export async function startTestServer(
  opts: { config?: Partial<ServerConfig>; database?: TestDatabase; listen?: boolean } = {},
): Promise<TestServer & { testDb: TestDatabase }> {
  const testDb = opts.database ?? (await createTestDatabase());
  const database = openDatabase(testDb.url, { max: 10 });
  const config = testConfig(opts.config);
  await assertAuditPoliciesComplete(database.db);
  const app = await buildApp({ db: database.db, pool: database.pool, config, listenUrl: testDb.url });
  let url = '';
  if (opts.listen !== false) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  } else {
    await app.ready();
  }
  return {
    app,
    url,
    dbUrl: testDb.url,
    database,
    testDb,
    async close() {
      await app.close();
      await database.close();
      if (!opts.database) await testDb.drop();
    },
  };
}

/** Coder's standard 404 body. */
export const NOT_FOUND = { message: 'Resource not found or you do not have access to this resource' };

export interface Session {
  token: string;
  userId: string;
}

export const FIRST_USER = {
  email: 'admin@example.com',
  username: 'admin',
  password: 'SomeSecurePassword!',
  name: 'Admin',
};

export type Api = (
  method: string,
  url: string,
  opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<LightMyRequestResponse>;

/** Fastify inject with JSON and a session token. */
export function apiOf(app: OrgdApp): Api {
  return (method, url, opts = {}) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(opts.token ? { 'coder-session-token': opts.token } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      payload: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
}

export async function createFirstUser(app: OrgdApp, user = FIRST_USER): Promise<Session> {
  const api = apiOf(app);
  const res = await api('POST', '/api/v2/users/first', { body: user });
  if (res.statusCode !== 201) throw new Error(`first user: ${res.statusCode} ${res.body}`);
  const login = await api('POST', '/api/v2/users/login', { body: { email: user.email, password: user.password } });
  if (login.statusCode !== 201) throw new Error(`login: ${login.statusCode} ${login.body}`);
  return { token: login.json().session_token, userId: res.json().user_id };
}

export async function login(app: OrgdApp, email: string, password: string): Promise<string> {
  const res = await apiOf(app)('POST', '/api/v2/users/login', { body: { email, password } });
  if (res.statusCode !== 201) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
  return res.json().session_token;
}
