// The audit log at a million entries, measured in one run:
//   1. seeding: 1,000,000 entries built in SQL as real hash chains, spread evenly over the 16 lanes
//      and linked to the lanes' current heads. Two connections work side by side, each on half of
//      the lanes: the entries' canonical content is computed set-based into a temp table, a
//      PL/pgSQL pass links each lane (one sha256 per entry over the previous hash and the content),
//      and the rows go in while audit_logs has no index; the indexes are built afterwards, two at
//      a time (a sorted build is far cheaper than a million index insertions);
//   2. reads through the real HTTP stack (GET /api/v2/audit as the owner, and as an org auditor):
//      the first page, filtered pages (action:, resource_type:, username:, a date range) and a deep
//      keyset page (after_id ~95% down the log): p50/p99 per scenario, target p99 < 50 ms;
//   3. the write cost of the chain: transactions each doing a representative mutation (rename a
//      user) plus its audit entry, appended to a lane (appendAuditEntry) or inserted plainly into
//      a copy of the table without the chain (same rows, same indexes, same size), alternated in
//      rounds, with 16 concurrent writers and with one; ratio chained/plain, target >= 0.8 at 16;
//   4. verify: every lane is walked and must be intact.
// Database: ORGD_BENCH_PG_URL (a server; a scratch database is created and dropped) or an embedded
// PostgreSQL in a temp dir. ORGD_BENCH_ROWS overrides the 1,000,000 (e.g. 100000 for a quick run).
// Run: npm run bench:audit   (tsx, in process: no build needed)
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, withDatabase, type DatabaseHandle } from '../src/db/index.js';
import { migrate } from '../src/db/migrate.js';
import { scratchPostgres } from '../src/db/embedded.js';
import { buildApp, type OrgdApp } from '../src/http/app.js';
import { defaultConfig } from '../src/server/config.js';
import { appendAuditEntry, AUDIT_LANES, type AuditEntry } from '../src/audit/recorder.js';
import { verifyAuditChain, type VerifyResult } from '../src/audit/verify.js';
import { fmt, get, percentile } from './lib.js';

const ROWS = Number(process.env.ORGD_BENCH_ROWS ?? 1_000_000);
const SEED_WORKERS = 2;
const USERS = 1000;
const ORGS = 10;
const READ_REQUESTS = 200;
const WARMUP = 20;
const WRITE_CONCURRENCY = 16;
const WRITE_ROUND_MS = 4000;
const WRITE_ROUNDS = 3;
const SERIAL_ROUND_MS = 2500;
const SERIAL_ROUNDS = 2;

const log = (m: string) => process.stdout.write(`${m}\n`);


/** Runs `fn`, prints how long it took and answers the seconds. */
async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  const seconds = (performance.now() - t) / 1000;
  log(`${label}: ${fmt(seconds, 1)} s`);
  return seconds;
}

/** Bench users and organizations, made in SQL (names bench0000..., org0...). */
async function seedPeople(pool: pg.Pool): Promise<{ orgIds: string[] }> {
  await pool.query(
    `INSERT INTO users (id, email, username, name, status, login_type, created_at, updated_at)
     SELECT gen_random_uuid(), 'bench' || lpad(g::text, 4, '0') || '@example.com', 'bench' || lpad(g::text, 4, '0'),
            'Bench ' || g, 'active', 'password', now(), now()
       FROM generate_series(0, $1::int - 1) g`,
    [USERS],
  );
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO organizations (id, name, display_name)
     SELECT gen_random_uuid(), 'org' || g, 'Org ' || g FROM generate_series(0, $1::int - 1) g RETURNING id`,
    [ORGS],
  );
  return { orgIds: rows.map((r) => r.id) };
}

/** The indexes of a table as (name, definition, backing constraint), to drop and rebuild around a bulk load. */
interface IndexDef {
  name: string;
  def: string;
  constraint: string | null;
  kind: 'p' | 'u' | null;
}

async function indexesOf(pool: pg.Pool, table: string): Promise<IndexDef[]> {
  const { rows } = await pool.query<IndexDef>(
    `SELECT ci.relname AS name, pg_get_indexdef(i.indexrelid) AS def, c.conname AS constraint, c.contype AS kind
       FROM pg_index i
       JOIN pg_class ci ON ci.oid = i.indexrelid
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u')
      WHERE i.indrelid = $1::regclass
      ORDER BY ci.relname`,
    [table],
  );
  return rows;
}

async function dropIndexes(pool: pg.Pool, table: string, defs: IndexDef[]): Promise<void> {
  for (const d of defs) {
    await pool.query(d.constraint ? `ALTER TABLE ${table} DROP CONSTRAINT ${d.constraint}` : `DROP INDEX ${d.name}`);
  }
}

/**
 * Builds `defs` on `table` (renamed with `suffix` for a copy), SEED_WORKERS at a time; a
 * constraint's index is built first, then attached (ADD CONSTRAINT ... USING INDEX is instant).
 */
async function buildIndexes(pool: pg.Pool, table: string, defs: IndexDef[], suffix = ''): Promise<void> {
  const queue = [...defs];
  await Promise.all(
    Array.from({ length: SEED_WORKERS }, async () => {
      const client = await pool.connect();
      try {
        await client.query(`SET maintenance_work_mem = '512MB'; SET max_parallel_maintenance_workers = 0`);
        for (let d = queue.shift(); d; d = queue.shift()) {
          const name = `${d.name}${suffix}`;
          const def = d.def
            .replace(/^(CREATE (?:UNIQUE )?INDEX )(\S+)/, `$1${name}`)
            .replace(/ ON (\S+\.)?audit_logs /, ` ON ${table} `);
          await client.query(def);
          if (d.constraint) {
            await client.query(
              `ALTER TABLE ${table} ADD CONSTRAINT ${d.constraint}${suffix} ${d.kind === 'p' ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${name}`,
            );
          }
        }
      } finally {
        client.release();
      }
    }),
  );
}

/**
 * One worker's share of the seed: the entries of the lanes `1 + (g % 16)` for g = worker,
 * worker + SEED_WORKERS, ... (entry g is the g-th of the year, so each lane runs in time order),
 * each lane continuing from its current head.
 */
async function seedLanes(pool: pg.Pool, orgIds: string[], worker: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`SET work_mem = '256MB'`);
    await client.query(
      `CREATE TEMP TABLE audit_seed AS
       WITH u AS (SELECT array_agg(id ORDER BY username) AS ids FROM users WHERE username LIKE 'bench%'),
            kinds AS (SELECT ARRAY['login','login','login','login','login','login','logout','write','write','write','write',
                                   'create','create','delete','write','write','create','write','create','create'] AS actions,
                             ARRAY['api_key','api_key','api_key','api_key','api_key','api_key','api_key','user','user','user','user',
                                   'organization_member','organization_member','organization_member','organization_member',
                                   'organization_member','group','group','custom_role','api_key'] AS types),
            e AS (
              SELECT g::bigint AS g, h.id AS chain, h.seq + 1 + g / ${AUDIT_LANES} AS seq, gen_random_uuid() AS id,
                     timestamptz '2025-01-01 00:00:00+00' + g * (interval '365 days' / $2::int) AS time,
                     u.ids[1 + (g::bigint * 7919 % ${USERS})::int] AS user_id,
                     CASE WHEN k.types[1 + g % 20] IN ('api_key', 'user') THEN '00000000-0000-0000-0000-000000000000'::uuid
                          ELSE ($3::uuid[])[1 + (g / 20) % ${ORGS}] END AS organization_id,
                     ('10.' || (g % 250) || '.' || ((g / 250) % 250) || '.7')::inet AS ip,
                     'Mozilla/5.0 (bench)'::text AS user_agent,
                     k.types[1 + g % 20] AS resource_type,
                     u.ids[1 + (g::bigint * 104729 % ${USERS})::int] AS resource_id,
                     'target-' || (g % 5000) AS resource_target,
                     ''::text AS resource_icon,
                     k.actions[1 + g % 20] AS action,
                     CASE WHEN k.actions[1 + g % 20] IN ('login', 'logout') OR g % 50 = 0 THEN '{}'::jsonb
                          ELSE jsonb_build_object('name', jsonb_build_object('old', 'a' || g, 'new', 'b' || g, 'secret', false)) END AS diff,
                     CASE WHEN g % 50 = 0 THEN 403 ELSE 200 END AS status_code,
                     '{}'::jsonb AS additional_fields,
                     gen_random_uuid() AS request_id
                FROM generate_series($1::int, $2::int - 1, ${SEED_WORKERS}) g
                JOIN audit_chain_head h ON h.id = 1 + g % ${AUDIT_LANES}, u, kinds k
            )
       SELECT e.*, audit_log_content(chain, seq, id, time, user_id, organization_id, ip, user_agent, resource_type,
                                     resource_id, resource_target, resource_icon, action, diff, status_code,
                                     additional_fields, request_id) AS content
         FROM e`,
      [worker, ROWS, orgIds],
    );
    // The link: lane by lane in seq order, each hash over the previous one (the head's at first).
    // The link: each lane in seq order, each hash over the previous one (the head's at first); the
    // heads move to the lanes' last entries at the end.
    await client.query(
      `CREATE FUNCTION pg_temp.audit_seed_link() RETURNS TABLE (g bigint, prev_hash bytea, hash bytea) LANGUAGE plpgsql AS $$
       DECLARE
         last bytea[] := ARRAY(SELECT h.hash FROM audit_chain_head h ORDER BY h.id);
         last_seq bigint[] := array_fill(NULL::bigint, ARRAY[${AUDIT_LANES}]);
         r record;
       BEGIN
         FOR r IN SELECT s.g, s.chain, s.seq, s.content FROM audit_seed s ORDER BY s.g LOOP
           g := r.g;
           prev_hash := last[r.chain];
           hash := sha256(prev_hash || r.content);
           last[r.chain] := hash;
           last_seq[r.chain] := r.seq;
           RETURN NEXT;
         END LOOP;
         UPDATE audit_chain_head h SET seq = last_seq[h.id], hash = last[h.id] WHERE last_seq[h.id] IS NOT NULL;
       END $$`,
    );
    await client.query(
      `INSERT INTO audit_logs (chain, seq, id, time, user_id, organization_id, ip, user_agent, resource_type, resource_id,
                               resource_target, resource_icon, action, diff, status_code, additional_fields, request_id,
                               prev_hash, hash)
       SELECT s.chain, s.seq, s.id, s.time, s.user_id, s.organization_id, s.ip, s.user_agent, s.resource_type, s.resource_id,
              s.resource_target, s.resource_icon, s.action, s.diff, s.status_code, s.additional_fields, s.request_id,
              l.prev_hash, l.hash
         FROM pg_temp.audit_seed_link() l JOIN audit_seed s USING (g)`,
    );
    await client.query('DROP TABLE audit_seed');
  } finally {
    client.release();
  }
}

/** ROWS entries over the 16 lanes, linked to the lanes' heads, with every index rebuilt. */
async function seedLog(pool: pg.Pool, orgIds: string[]): Promise<void> {
  const indexes = await indexesOf(pool, 'audit_logs');
  await dropIndexes(pool, 'audit_logs', indexes);
  const t = performance.now();
  await Promise.all(Array.from({ length: SEED_WORKERS }, (_, w) => seedLanes(pool, orgIds, w)));
  log(`  content, links and rows: ${fmt((performance.now() - t) / 1000, 1)} s`);
  const t2 = performance.now();
  await buildIndexes(pool, 'audit_logs', indexes);
  log(`  ${indexes.length} indexes rebuilt: ${fmt((performance.now() - t2) / 1000, 1)} s`);
  const t3 = performance.now();
  await pool.query('VACUUM ANALYZE audit_logs');
  await pool.query('ANALYZE users');
  log(`  vacuum analyze: ${fmt((performance.now() - t3) / 1000, 1)} s`);
}

async function startApp(db: DatabaseHandle): Promise<{ app: OrgdApp; base: string }> {
  const config = { ...defaultConfig(), httpAddress: '127.0.0.1:0', loginRateLimit: 0 };
  const app = await buildApp({ db: db.db, pool: db.pool, config });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  return { app, base: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
}

async function session(base: string, body: object, first: boolean): Promise<string> {
  if (first) {
    const res = await fetch(`${base}/api/v2/users/first`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    if (res.status !== 201) throw new Error(`first user: ${res.status} ${await res.text()}`);
  }
  const b = body as { email: string; password: string };
  const res = await fetch(`${base}/api/v2/users/login`, { method: 'POST', body: JSON.stringify({ email: b.email, password: b.password }), headers: { 'content-type': 'application/json' } });
  if (res.status !== 201) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { session_token: string }).session_token;
}

async function readScenario(name: string, url: string, token: string): Promise<boolean> {
  const headers = { 'Coder-Session-Token': token };
  for (let i = 0; i < WARMUP; i++) {
    const status = await get(url, headers);
    if (status !== 200) throw new Error(`${name}: HTTP ${status} for ${url}`);
  }
  const latencies: number[] = [];
  for (let i = 0; i < READ_REQUESTS; i++) {
    const t = performance.now();
    await get(url, headers);
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  const ok = p99 < 50;
  log(`  ${name.padEnd(47)} p50 ${fmt(percentile(latencies, 50), 2).padStart(7)} ms   p99 ${fmt(p99, 2).padStart(7)} ms   ${ok ? 'ok' : 'OVER 50 ms'}`);
  return ok;
}

function benchEntry(userId: string, targetName: string): AuditEntry {
  return {
    action: 'write',
    resourceType: 'user',
    resourceId: userId,
    resourceTarget: targetName,
    userId,
    requestId: randomUUID(),
    statusCode: 200,
    ip: '10.9.8.7',
    userAgent: 'Mozilla/5.0 (bench)',
    diff: { name: { old: 'x', new: 'y', secret: false } },
  };
}

/** Transactions per second of rename + audit entry, `concurrency` at a time, for `ms`. */
async function writeRound(
  db: DatabaseHandle,
  users: { id: string; username: string }[],
  chained: boolean,
  ms: number,
  concurrency = WRITE_CONCURRENCY,
): Promise<number> {
  let done = 0;
  const end = Date.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = w;
      while (Date.now() < end) {
        const u = users[(i += concurrency) % users.length];
        await db.db.transaction().execute(async (tx) => {
          await tx.updateTable('users').set({ name: `Bench ${i}`, updated_at: new Date() }).where('id', '=', u.id).execute();
          const e = benchEntry(u.id, u.username);
          if (chained) {
            await appendAuditEntry(tx, e);
          } else {
            await sql`
              INSERT INTO audit_logs_plain (chain, seq, id, time, user_id, organization_id, ip, user_agent, resource_type, resource_id,
                                            resource_target, resource_icon, action, diff, status_code, additional_fields, request_id)
              VALUES (0, nextval('audit_logs_plain_seq'), ${randomUUID()}::uuid, clock_timestamp(), ${e.userId}::uuid,
                      '00000000-0000-0000-0000-000000000000'::uuid, ${e.ip}::inet, ${e.userAgent}, ${e.resourceType},
                      ${e.resourceId}::uuid, ${e.resourceTarget}, '', ${e.action}, ${JSON.stringify(e.diff)}::jsonb, ${e.statusCode},
                      '{}'::jsonb, ${e.requestId}::uuid)`.execute(tx);
          }
        });
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const scratch = await scratchPostgres('orgd-bench-audit-', process.env.ORGD_BENCH_PG_URL);
  const adminUrl = scratch.adminUrl;
  const dbName = `orgd_bench_audit_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const db = openDatabase(withDatabase(adminUrl, dbName), { max: WRITE_CONCURRENCY + 4, applicationName: 'orgd bench' });
  let app: OrgdApp | undefined;
  try {
    await migrate(db.pool);
    const { base, app: started } = await startApp(db);
    app = started;
    const ownerToken = await session(base, { email: 'owner@example.com', username: 'owner', name: 'Owner', password: 'SomeSecurePassword!' }, true);
    const { orgIds } = await seedPeople(db.pool);

    log(`# audit log bench: ${ROWS.toLocaleString('en-US')} entries, ${USERS} users, ${ORGS} orgs`);
    const seedSeconds = await timed(`seed ${ROWS.toLocaleString('en-US')} chained entries in SQL (${AUDIT_LANES} lanes)`, () => seedLog(db.pool, orgIds));

    // An org auditor of one org, to read through the authorization filter.
    const auditorEmail = 'org-auditor@example.com';
    await db.pool.query(
      `WITH u AS (INSERT INTO users (id, email, username, hashed_password, status, login_type)
                  SELECT gen_random_uuid(), $1, 'org-auditor', hashed_password, 'active', 'password' FROM users WHERE username = 'owner'
                  RETURNING id)
       INSERT INTO organization_members (organization_id, user_id, roles) SELECT $2, id, '{organization-auditor}' FROM u`,
      [auditorEmail, orgIds[3]],
    );
    const auditorToken = await session(base, { email: auditorEmail, password: 'SomeSecurePassword!' }, false);

    const deep = (
      await db.pool.query<{ id: string }>('SELECT id FROM audit_logs ORDER BY time, id OFFSET $1 LIMIT 1', [Math.floor(ROWS * 0.05)])
    ).rows[0].id;
    const url = (query: string) => `${base}/api/v2/audit?${query}`;
    const enc = encodeURIComponent;
    log(`\n## reads (GET /api/v2/audit, limit 25, ${READ_REQUESTS} sequential requests each after ${WARMUP} warm-up)`);
    const results = [
      await readScenario('first page (owner)', url('limit=25'), ownerToken),
      await readScenario('action:delete', url(`limit=25&q=${enc('action:delete')}`), ownerToken),
      await readScenario('resource_type:group', url(`limit=25&q=${enc('resource_type:group')}`), ownerToken),
      await readScenario('username:bench0042', url(`limit=25&q=${enc('username:bench0042')}`), ownerToken),
      await readScenario('date_from:2025-06-01 date_to:2025-06-07', url(`limit=25&q=${enc('date_from:2025-06-01 date_to:2025-06-07')}`), ownerToken),
      await readScenario('action:write resource_type:organization_member', url(`limit=25&q=${enc('action:write resource_type:organization_member')}`), ownerToken),
      await readScenario('deep keyset page (after_id at 95% depth)', url(`limit=25&after_id=${deep}`), ownerToken),
      await readScenario('org auditor first page (one org visible)', url('limit=25'), auditorToken),
      await readScenario('org auditor, username:bench0007', url(`limit=25&q=${enc('username:bench0007')}`), auditorToken),
    ];

    log(`\n## write cost of the chain (a transaction: rename a user + its audit entry; chained = appended to a lane)`);
    await timed('copy the log into audit_logs_plain (same rows, same indexes, no chain)', async () => {
      const indexes = await indexesOf(db.pool, 'audit_logs');
      await db.pool.query('CREATE TABLE audit_logs_plain (LIKE audit_logs INCLUDING DEFAULTS)');
      await db.pool.query('ALTER TABLE audit_logs_plain ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL');
      await db.pool.query('INSERT INTO audit_logs_plain SELECT * FROM audit_logs');
      await buildIndexes(db.pool, 'audit_logs_plain', indexes, '_plain');
      await db.pool.query(`CREATE SEQUENCE audit_logs_plain_seq START ${ROWS + 1_000_000}`);
      await db.pool.query('VACUUM ANALYZE audit_logs_plain');
      // Flush the bulk loads now rather than in the middle of a measured round (needs superuser or
      // pg_checkpoint; without it the rounds just run with the checkpoint wherever it falls).
      await db.pool.query('CHECKPOINT').catch(() => undefined);
    });
    const users = (await db.pool.query<{ id: string; username: string }>(`SELECT id, username FROM users WHERE username LIKE 'bench%'`)).rows;
    await writeRound(db, users, true, 1000); // warm-up
    await writeRound(db, users, false, 1000);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    /** Alternating rounds of chained and plain transactions; the ratio of their sums. */
    const measure = async (label: string, concurrency: number, rounds: number, ms: number): Promise<number> => {
      log(`  ${label}:`);
      const chained: number[] = [];
      const plain: number[] = [];
      for (let r = 0; r < rounds; r++) {
        // Alternate which kind goes first, so that neither always meets a checkpoint or autovacuum.
        if (r % 2 === 0) {
          chained.push(await writeRound(db, users, true, ms, concurrency));
          plain.push(await writeRound(db, users, false, ms, concurrency));
        } else {
          plain.push(await writeRound(db, users, false, ms, concurrency));
          chained.push(await writeRound(db, users, true, ms, concurrency));
        }
        log(`    round ${r + 1}: chained ${fmt(chained[r], 0).padStart(6)} tx/s   plain ${fmt(plain[r], 0).padStart(6)} tx/s`);
      }
      const ratio = sum(chained) / sum(plain);
      log(`    ratio chained/plain: ${fmt(ratio, 3)}`);
      return ratio;
    };
    const ratio = await measure(`${WRITE_CONCURRENCY} concurrent writers`, WRITE_CONCURRENCY, WRITE_ROUNDS, WRITE_ROUND_MS);
    log(`    ${ratio >= 0.8 ? 'ok' : 'BELOW'} (target >= 0.8)`);
    // One writer shows the chain's own cost per transaction (the head row update, the hash) with no
    // queueing at all: there is no commit to share a WAL flush with either way.
    const serialRatio = await measure('1 writer', 1, SERIAL_ROUNDS, SERIAL_ROUND_MS);

    log('\n## verify');
    let verified!: VerifyResult;
    await timed('verify every lane', async () => (verified = await verifyAuditChain(db.db)));
    const lanes = verified.heads.filter((x) => x.seq > 0).length;
    log(`  ${verified.ok ? 'intact' : `BROKEN: ${JSON.stringify(verified.broken)}`}: ${verified.checked.toLocaleString('en-US')} entries in ${lanes} lanes`);

    const readsOk = results.every(Boolean);
    log(
      `\nsummary: seed ${fmt(seedSeconds, 1)} s for ${ROWS.toLocaleString('en-US')} entries; reads ${readsOk ? 'all p99 < 50 ms' : 'some p99 >= 50 ms'}; ` +
        `write ratio ${fmt(ratio, 3)} at ${WRITE_CONCURRENCY} writers (${ratio >= 0.8 ? 'ok' : 'below'} target 0.8), ${fmt(serialRatio, 3)} at 1 writer; ` +
        `chain ${verified.ok ? 'verified' : 'BROKEN'}`,
    );
    if (!verified.ok) process.exitCode = 1;
  } finally {
    await app?.close();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await scratch.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
