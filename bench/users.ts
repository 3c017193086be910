// bench/users: GET /api/v2/users over 1,000,000 users. Seeds the users with one SQL statement
// (generate_series; 80% active, 15% dormant, 5% suspended; 0.1% owners, 1% user admins; one
// precomputed password hash), starts the real server, and measures p50/p99 over sequential requests
// (after a warm-up) for indexed filters, keyset paging deep in the list, and for comparison the
// costs the indexes cannot remove (a count over 80% of the table, free-text substring search, deep
// OFFSET). It also checks with EXPLAIN that the filtered and keyset queries are index-backed.
// Target: p99 < 30 ms for the indexed filters and for keyset paging at depth.
// Run: npm run build && npm run bench:users   (ORGD_BENCH_PG_URL=postgres://... to use your own server)
import os from 'node:os';
import pg from 'pg';
import { freePort, scratchPostgres } from '../src/db/embedded.js';
import { withDatabase } from '../src/db/index.js';
import { hashPassword } from '../src/http/password.js';
import { exited, fmt, get, percentile, spawnServer, waitFor200 } from './lib.js';

const USERS = Number(process.env.USERS ?? 1_000_000);
const REQUESTS = Math.max(200, Number(process.env.REQUESTS ?? 300));
const WARMUP = 20;
/** Scenarios outside the target (counts over most of the table) run fewer times: each costs ~0.1-0.5 s. */
const REFERENCE_REQUESTS = Number(process.env.REFERENCE_REQUESTS ?? 30);
const TARGET_MS = 30;
const PASSWORD = 'SomeSecurePassword!';


async function seed(pool: pg.Pool): Promise<void> {
  const hash = await hashPassword(PASSWORD, 1);
  const t = performance.now();
  await pool.query(
    `INSERT INTO users (id, email, username, name, hashed_password, status, rbac_roles, login_type, created_at, updated_at, last_seen_at)
     SELECT gen_random_uuid(), 'user' || i || '@example.com', 'user' || i, 'User ' || i, $1,
            (CASE WHEN i % 20 = 0 THEN 'suspended' WHEN i % 5 = 0 THEN 'dormant' ELSE 'active' END)::user_status,
            CASE WHEN i % 1000 = 0 THEN ARRAY['owner'] WHEN i % 100 = 0 THEN ARRAY['user-admin'] ELSE '{}'::text[] END,
            (CASE WHEN i % 50 = 0 THEN 'github' ELSE 'password' END)::login_type,
            now() - make_interval(secs => i), now(), now() - make_interval(mins => i)
       FROM generate_series(1, $2::int) i`,
    [hash, USERS],
  );
  await pool.query(
    `INSERT INTO organization_members (organization_id, user_id)
     SELECT o.id, u.id FROM users u CROSS JOIN organizations o WHERE o.is_default AND u.username LIKE 'user%'`,
  );
  await pool.query('VACUUM ANALYZE users');
  await pool.query('VACUUM ANALYZE organization_members');
  console.log(`seeded ${USERS.toLocaleString()} users and their memberships in ${fmt((performance.now() - t) / 1000)} s`);
}

/** The plan's node types, to show that a query is served by an index. */
async function planOf(pool: pg.Pool, query: string, params: unknown[]): Promise<string[]> {
  const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${query}`, params);
  const nodes: string[] = [];
  const walk = (n: { 'Node Type': string; 'Index Name'?: string; Plans?: unknown[] }) => {
    nodes.push(n['Index Name'] ? `${n['Node Type']} (${n['Index Name']})` : n['Node Type']);
    for (const c of n.Plans ?? []) walk(c as typeof n);
  };
  walk(rows[0]['QUERY PLAN'][0].Plan);
  return nodes;
}

async function measure(
  url: string,
  headers: Record<string, string>,
  requests: number,
): Promise<{ p50: number; p99: number; max: number; errors: number }> {
  for (let i = 0; i < Math.min(WARMUP, requests); i++) await get(url, headers);
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < requests; i++) {
    const t = performance.now();
    const status = await get(url, headers);
    latencies.push(performance.now() - t);
    if (status !== 200) errors++;
  }
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)!, errors };
}

async function main(): Promise<void> {
  const scratch = await scratchPostgres('orgd-bench-users-', process.env.ORGD_BENCH_PG_URL);
  const adminUrl = scratch.adminUrl;
  const dbName = `orgd_bench_users_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = withDatabase(adminUrl, dbName);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnServer(['--postgres-url', dbUrl, '--http-address', `127.0.0.1:${port}`]);
  // Interrupted runs still stop the server and the embedded PostgreSQL they started.
  const stop = () => {
    child.kill('SIGTERM');
    void scratch.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let failed = false;
  try {
    await waitFor200(`${base}/api/v2/buildinfo`, 120_000);
    const first = await fetch(`${base}/api/v2/users/first`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', username: 'bench', password: PASSWORD }),
    });
    if (first.status !== 201) throw new Error(`first user: ${first.status} ${await first.text()}`);
    await seed(pool);
    const login = await fetch(`${base}/api/v2/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: PASSWORD }),
    });
    const { session_token } = (await login.json()) as { session_token: string };
    const headers = { 'Coder-Session-Token': session_token };

    // Cursors 90% of the way down the list (Coder counts what follows the cursor: ~10% of rows).
    const depth = Math.floor(USERS * 0.9);
    const { rows: deep } = await pool.query<{ id: string }>(
      `SELECT id FROM users WHERE deleted = false ORDER BY lower(username) OFFSET $1 LIMIT 1`,
      [depth],
    );
    const cursor = deep[0]!.id;

    // EXPLAIN: the count and the page of each indexed scenario, as listUsers writes them.
    const base_ = `users.deleted = false AND users.is_system = false`;
    const checks: [string, string, unknown[]][] = [
      ['count status:suspended', `SELECT count(*) FROM users WHERE ${base_} AND users.status = ANY($1::user_status[])`, [['suspended']]],
      ['page status:suspended', `SELECT * FROM users WHERE ${base_} AND users.status = ANY($1::user_status[]) ORDER BY lower(username) LIMIT 50`, [['suspended']]],
      ['count role:owner', `SELECT count(*) FROM users WHERE ${base_} AND users.rbac_roles && $1::text[]`, [['owner']]],
      [
        'count after_id (deep)',
        `SELECT count(*) FROM users WHERE ${base_} AND lower(users.username) > (SELECT lower(c.username) FROM users c WHERE c.id = $1::uuid)`,
        [cursor],
      ],
      [
        'page after_id (deep)',
        `SELECT * FROM users WHERE ${base_} AND lower(users.username) > (SELECT lower(c.username) FROM users c WHERE c.id = $1::uuid) ORDER BY lower(users.username) LIMIT 50`,
        [cursor],
      ],
    ];
    console.log('\nEXPLAIN (plan nodes):');
    for (const [name, query, params] of checks) {
      const nodes = await planOf(pool, query, params);
      const seq = nodes.some((n) => n.startsWith('Seq Scan'));
      if (seq) failed = true;
      console.log(`  ${seq ? 'SEQ ' : 'ok  '} ${name.padEnd(24)} ${nodes.join(' > ')}`);
    }

    const q = (text: string) => `q=${encodeURIComponent(text)}`;
    // `target: false` rows are references: the baseline route, and what indexes cannot make cheap.
    const scenarios: { name: string; path: string; target: boolean }[] = [
      { name: 'baseline GET /users/me', path: '/api/v2/users/me', target: false },
      { name: 'status:suspended (5%)', path: `/api/v2/users?${q('status:suspended')}&limit=50`, target: true },
      { name: 'status:dormant (15%)', path: `/api/v2/users?${q('status:dormant')}&limit=50`, target: true },
      { name: 'role:owner (0.1%)', path: `/api/v2/users?${q('role:owner')}&limit=50`, target: true },
      { name: 'role:user-admin (1%)', path: `/api/v2/users?${q('role:user-admin')}&limit=50`, target: true },
      { name: 'login_type:github (2%)', path: `/api/v2/users?${q('login_type:github')}&limit=50`, target: true },
      { name: 'after_id at 90% depth', path: `/api/v2/users?after_id=${cursor}&limit=50`, target: true },
      { name: 'status:suspended + after_id', path: `/api/v2/users?${q('status:suspended')}&after_id=${cursor}&limit=50`, target: true },
      { name: 'status:active (80%)', path: `/api/v2/users?${q('status:active')}&limit=50`, target: false },
      { name: 'no filter (count 1M)', path: `/api/v2/users?limit=50`, target: false },
      { name: 'free text "user4242"', path: `/api/v2/users?${q('user4242')}&limit=50`, target: false },
      { name: 'offset=900000', path: `/api/v2/users?offset=${depth}&limit=50`, target: false },
    ];
    console.log(
      `\nGET latency, sequential requests after a warm-up (${REQUESTS} per target row, ${REFERENCE_REQUESTS} per reference row), ${USERS.toLocaleString()} users, load average ${os.loadavg()[0]!.toFixed(1)}:`,
    );
    console.log(`  ${'scenario'.padEnd(30)} ${'n'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}  target`);
    for (const s of scenarios) {
      const n = s.target || s.path === '/api/v2/users/me' ? REQUESTS : REFERENCE_REQUESTS;
      const r = await measure(`${base}${s.path}`, headers, n);
      const verdict = !s.target ? '(reference)' : r.p99 < TARGET_MS ? `< ${TARGET_MS} ok` : `>= ${TARGET_MS} MISSED`;
      if (s.target && r.p99 >= TARGET_MS) failed = true;
      if (r.errors) failed = true;
      console.log(
        `  ${s.name.padEnd(30)} ${String(n).padStart(5)} ${fmt(r.p50, 2).padStart(8)} ${fmt(r.p99, 2).padStart(8)} ${fmt(r.max, 2).padStart(8)}  ${verdict}${r.errors ? ` ${r.errors} non-200` : ''}`,
      );
    }
    console.log(`load average at the end: ${os.loadavg()[0]!.toFixed(1)} (figures on a busy machine are not comparable)`);
    console.log(failed ? '\nRESULT: some target missed (see above)' : '\nRESULT: all targets met');
  } finally {
    child.kill('SIGTERM');
    await exited(child);
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await scratch.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
