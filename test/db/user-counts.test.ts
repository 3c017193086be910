// The user counters (0006_user_counts) stay equal to a recount whatever writes the users table,
// and GET /users answers the same count from them as from counting rows.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOf, createFirstUser, startTestServer, type Api, type TestServer } from '../helpers/server.js';
import { makeUser } from '../helpers/users.js';

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: string;

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 4 });
  owner = (await createFirstUser(server.app)).token;
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

async function recount(): Promise<Record<string, number>> {
  const { rows } = await sql.query(`
    SELECT r.role, u.status::text, u.login_type::text, count(*)::int AS n
      FROM users u CROSS JOIN LATERAL (SELECT DISTINCT role FROM unnest(array_prepend('', u.rbac_roles)) role) r
     WHERE NOT u.deleted AND NOT u.is_system GROUP BY 1, 2, 3`);
  return Object.fromEntries(rows.map((r) => [`${r.role}|${r.status}|${r.login_type}`, r.n]));
}

async function counters(): Promise<Record<string, number>> {
  const { rows } = await sql.query('SELECT role, status::text, login_type::text, n::int FROM user_counts WHERE n <> 0');
  return Object.fromEntries(rows.map((r) => [`${r.role}|${r.status}|${r.login_type}`, r.n]));
}

describe('user counters', () => {
  it('match a recount after inserts, updates, soft and hard deletes, in bulk and concurrently', async () => {
    for (let i = 0; i < 6; i++) {
      await makeUser(server, { siteRoles: i % 2 ? ['auditor'] : ['user-admin', 'auditor'], status: i % 3 === 0 ? 'dormant' : 'active', login: false });
    }
    await makeUser(server, { loginType: 'github', login: false });
    await sql.query(
      `INSERT INTO users (id, email, username, status, rbac_roles)
       SELECT gen_random_uuid(), 'bulk' || g || '@example.com', 'bulk' || g, 'suspended', CASE WHEN g % 2 = 0 THEN '{template-admin}'::text[] ELSE '{}' END
         FROM generate_series(1, 50) g`,
    );
    expect(await counters()).toEqual(await recount());
    await sql.query(`UPDATE users SET status = 'active' WHERE username LIKE 'bulk1%'`);
    await sql.query(`UPDATE users SET rbac_roles = '{owner,owner}' WHERE username = 'bulk2'`);
    await sql.query(`UPDATE users SET deleted = true WHERE username LIKE 'bulk3%'`);
    await sql.query(`UPDATE users SET last_seen_at = now()`);
    await sql.query(`DELETE FROM users WHERE username LIKE 'bulk4%'`);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sql.query(`UPDATE users SET status = $2::user_status WHERE username = $1`, [`bulk${i + 5}`, i % 2 ? 'dormant' : 'active']),
      ),
    );
    expect(await counters()).toEqual(await recount());
  });

  it('give GET /users the same count as counting rows', async () => {
    const cases = ['', 'status:active', 'status:suspended,dormant', 'role:auditor', 'role:member', 'role:owner status:active', 'login_type:github', 'login_type:password status:suspended'];
    for (const q of cases) {
      const fromCounters = (await api('GET', `/api/v2/users?q=${encodeURIComponent(q)}&limit=1`, { token: owner })).json();
      // The same search with a term that forces counting rows (every username contains a letter
      // or digit: `name:` of '' would not; created_after of the epoch matches every user).
      const counted = (await api('GET', `/api/v2/users?q=${encodeURIComponent(`${q} created_after:"1970-01-01T00:00:00Z"`)}&limit=1`, { token: owner })).json();
      expect(fromCounters.count, q).toBe(counted.count);
      expect(fromCounters.count, q).toBeGreaterThan(0);
    }
  });
});
