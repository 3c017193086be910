// The hash chains (one per lane): verify passes on a clean log (across batch boundaries, with
// concurrent writers, with every lane busy) and names the first broken entry, with its lane, after
// direct SQL edits, deletions (first, middle, last of a lane), moves between lanes and forged
// heads; the CLI prints the lane heads and the break, and exits non-zero.
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { appendAuditEntry, AUDIT_LANES } from '../../src/audit/recorder.js';
import { auditCommand } from '../../src/cli/audit.js';
import { appendEntries, appendInOneTransaction, entry, placesOf, resetAuditLog } from './helpers.js';

let testDb: TestDatabase;
let h: DatabaseHandle;

const sqlOf = (q: string, params: unknown[] = []) => h.pool.query(q, params);
const entries = (n: number, prefix = 't') => Array.from({ length: n }, (_, i) => entry({ resourceTarget: `${prefix}-${i + 1}` }));

/**
 * A fresh log: one lane holding exactly `n` entries appended in one transaction (answered), plus
 * `others` entries appended one by one while that transaction holds its lane, so on other lanes.
 */
async function freshLog(n: number, others = 5): Promise<{ ids: string[]; lane: number }> {
  await resetAuditLog(h.pool);
  if (n === 0) {
    await appendEntries(h.db, entries(others, 'other'));
    return { ids: [], lane: 0 };
  }
  const ids = await h.db.transaction().execute(async (tx) => {
    const mine = await appendEntries(tx, entries(n));
    await appendEntries(h.db, entries(others, 'other'));
    return mine;
  });
  const places = await placesOf(h.pool);
  const lane = places.get(ids[0])!.lane;
  expect(ids.map((id) => places.get(id))).toEqual(ids.map((_, i) => ({ lane, seq: i + 1 })));
  expect([...places.values()].filter((p) => p.lane === lane)).toHaveLength(n);
  return { ids, lane };
}

/** A lane other than `lane` that holds no entry (there are 16 lanes and few entries). */
async function emptyLaneOtherThan(lane: number): Promise<number> {
  const { rows } = await sqlOf('SELECT min(id) AS id FROM audit_chain_head WHERE seq = 0 AND id <> $1', [lane]);
  return rows[0].id;
}

async function headOf(lane: number): Promise<{ seq: number; hash: string }> {
  const { rows } = await sqlOf(`SELECT seq, encode(hash, 'hex') AS hash FROM audit_chain_head WHERE id = $1`, [lane]);
  return { seq: Number(rows[0].seq), hash: rows[0].hash };
}

const brokenOf = async (batchSize?: number) => {
  const r = await verifyAuditChain(h.db, { batchSize });
  return r.ok ? null : r.broken;
};

beforeAll(async () => {
  testDb = await createTestDatabase();
  h = openDatabase(testDb.url, { max: AUDIT_LANES + 4 });
});
afterAll(async () => {
  await h.close();
  await testDb.drop();
});

describe('verifyAuditChain', () => {
  it('passes on an empty log and on a clean log, across batch boundaries', async () => {
    await freshLog(0, 0);
    const genesis = Array.from({ length: AUDIT_LANES }, (_, i) => ({ lane: i + 1, seq: 0, hash: '00'.repeat(32) }));
    expect(await verifyAuditChain(h.db)).toEqual({ ok: true, checked: 0, heads: genesis });

    const { lane } = await freshLog(10, 13);
    const heads = (await sqlOf(`SELECT id AS lane, seq::int AS seq, encode(hash, 'hex') AS hash FROM audit_chain_head ORDER BY id`)).rows;
    expect(heads.find((x) => x.lane === lane).seq).toBeGreaterThanOrEqual(10);
    for (const batchSize of [1, 5, 23, 1000]) {
      const progress: number[] = [];
      const r = await verifyAuditChain(h.db, { batchSize, onProgress: (done) => progress.push(done) });
      expect(r).toEqual({ ok: true, checked: 23, heads });
      expect(progress.at(-1)).toBe(23);
    }
  });

  it('keeps the entries of one transaction consecutive in one lane', async () => {
    await resetAuditLog(h.pool);
    const { ids, lane } = await appendInOneTransaction(h.db, entries(4));
    const places = await placesOf(h.pool);
    expect(ids.map((id) => places.get(id))).toEqual([1, 2, 3, 4].map((seq) => ({ lane, seq })));
  });

  it('stays intact under 40 concurrent writers, spread over lanes', async () => {
    await resetAuditLog(h.pool);
    const txIds = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        h.db.transaction().execute(async (tx) => {
          const first = await appendAuditEntry(tx, entry({ resourceTarget: `w-${i}-a` }));
          const second = await appendAuditEntry(tx, entry({ resourceTarget: `w-${i}-b` }));
          return [first, second];
        }),
      ),
    );
    const r = await verifyAuditChain(h.db, { batchSize: 7 });
    expect(r).toMatchObject({ ok: true, checked: 80 });
    const places = await placesOf(h.pool);
    for (const [first, second] of txIds) {
      // A transaction's two entries sit in the same lane, one after the other.
      expect(places.get(second)).toEqual({ lane: places.get(first)!.lane, seq: places.get(first)!.seq + 1 });
    }
    expect(new Set([...places.values()].map((p) => p.lane)).size).toBeGreaterThan(1);
  });

  it('waits for a lane when all of them are held, and the chain stays intact', async () => {
    await resetAuditLog(h.pool);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = 0;
    let allHeld!: () => void;
    const allLanesHeld = new Promise<void>((r) => (allHeld = r));
    const holders = Array.from({ length: AUDIT_LANES }, (_, i) =>
      h.db.transaction().execute(async (tx) => {
        const id = await appendAuditEntry(tx, entry({ resourceTarget: `holder-${i}` }));
        if (++held === AUDIT_LANES) allHeld();
        await released;
        return id;
      }),
    );
    await allLanesHeld;
    let waiterDone = false;
    const waiter = appendAuditEntry(h.db, entry({ resourceTarget: 'waiter' })).then((id) => {
      waiterDone = true;
      return id;
    });
    // The waiter's statement is blocked on a head row lock, not done.
    for (let i = 0; ; i++) {
      const { rows } = await sqlOf(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].n === 1) break;
      if (i > 200) throw new Error('the waiter never waited on a lane');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(waiterDone).toBe(false);
    release();
    const holderIds = await Promise.all(holders);
    const waiterId = await waiter;
    const places = await placesOf(h.pool);
    // The holders took 16 different lanes; the waiter came after one of them.
    expect(new Set(holderIds.map((id) => places.get(id)!.lane)).size).toBe(AUDIT_LANES);
    expect(places.get(waiterId)!.seq).toBe(2);
    expect(await verifyAuditChain(h.db)).toMatchObject({ ok: true, checked: AUDIT_LANES + 1 });
  });

  it('names an entry whose content was edited in SQL, with its lane', async () => {
    const { ids, lane } = await freshLog(10);
    await sqlOf(`UPDATE audit_logs SET resource_target = 'innocent' WHERE id = $1`, [ids[6]]);
    const r = await verifyAuditChain(h.db, { batchSize: 3 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.broken).toMatchObject({ lane, seq: 7, id: ids[6], reason: 'edited' });
    expect(r.checked).toBeGreaterThanOrEqual(6);
  });

  it('detects an edit of the diff, the status, the time or the address', async () => {
    for (const change of [`diff = '{}'::jsonb`, `status_code = 200 + 1`, `time = time + interval '1 microsecond'`, `ip = '10.0.0.1'`]) {
      const { ids, lane } = await freshLog(4, 2);
      await sqlOf(`UPDATE audit_logs SET ${change} WHERE id = $1`, [ids[1]]);
      expect(await brokenOf(), change).toMatchObject({ lane, seq: 2, id: ids[1], reason: 'edited' });
    }
  });

  it('names a rewritten entry whose hash was recomputed: the next link breaks', async () => {
    const { ids, lane } = await freshLog(6);
    await sqlOf(
      `UPDATE audit_logs SET resource_target = 'innocent',
              hash = audit_log_hash(prev_hash, chain, seq, id, time, user_id, organization_id, ip, user_agent, resource_type,
                                    resource_id, 'innocent', resource_icon, action, diff, status_code, additional_fields, request_id)
        WHERE id = $1`,
      [ids[2]],
    );
    expect(await brokenOf()).toMatchObject({ lane, seq: 4, id: ids[3], reason: 'reordered' });
  });

  it('names an entry deleted from the middle, the start or the end of a lane', async () => {
    let { ids, lane } = await freshLog(8);
    await sqlOf('DELETE FROM audit_logs WHERE id = $1', [ids[4]]);
    let b = await brokenOf(2);
    expect(b).toMatchObject({ lane, seq: 5, id: null, reason: 'deleted' });
    expect(b?.detail).toContain(ids[5]);

    ({ ids, lane } = await freshLog(5));
    await sqlOf('DELETE FROM audit_logs WHERE id = ANY($1)', [ids.slice(0, 2)]);
    b = await brokenOf();
    expect(b).toMatchObject({ lane, seq: 1, id: null, reason: 'deleted' });
    expect(b?.detail).toMatch(new RegExp(`entries 1 to 2 of lane ${lane} are missing`));

    ({ ids, lane } = await freshLog(1));
    await sqlOf('DELETE FROM audit_logs WHERE id = $1', [ids[0]]);
    expect(await brokenOf()).toMatchObject({ lane, seq: 1, id: null, reason: 'deleted' });

    ({ ids, lane } = await freshLog(5));
    await sqlOf('DELETE FROM audit_logs WHERE id = $1', [ids[4]]);
    const r = await verifyAuditChain(h.db);
    expect(r.ok ? null : r.broken).toMatchObject({ lane, seq: 5, id: null, reason: 'deleted' });
    expect(r.ok ? '' : r.broken.detail).toMatch(/the last entry \(5\) of lane \d+ is missing/);
  });

  it('names an entry moved to another lane, its hash recomputed or not', async () => {
    // Moved to the end of an empty lane, both heads rewritten to match: the entry no longer hashes
    // where it sits (the lane is part of its content), and it still hashes at its old place.
    let { ids, lane } = await freshLog(5);
    let other = await emptyLaneOtherThan(lane);
    await sqlOf('UPDATE audit_logs SET chain = $2, seq = 1 WHERE id = $1', [ids[4], other]).catch(() => undefined);
    await sqlOf(`UPDATE audit_chain_head SET seq = 1, hash = (SELECT hash FROM audit_logs WHERE id = $2) WHERE id = $1`, [other, ids[4]]);
    await sqlOf(`UPDATE audit_chain_head SET seq = 4, hash = (SELECT hash FROM audit_logs WHERE id = $2) WHERE id = $1`, [lane, ids[3]]);
    let b = await brokenOf();
    expect(b).toMatchObject({ reason: 'moved', id: ids[4] });
    expect(b?.detail).toContain(`lane ${lane}`);
    expect(b?.detail).toContain(`lane ${other}`);

    // Moved from the middle of a lane, hash untouched: whichever lane is walked first names it.
    ({ ids, lane } = await freshLog(5));
    other = await emptyLaneOtherThan(lane);
    await sqlOf('UPDATE audit_logs SET chain = $2, seq = 1 WHERE id = $1', [ids[2], other]);
    b = await brokenOf(2);
    expect(b).toMatchObject({ lane: Math.min(lane, other), id: ids[2], reason: 'moved' });
    expect(b?.detail).toContain(lane < other ? `entry 3 of lane ${lane} was moved to lane ${other}` : `appended as entry 3 of lane ${lane}`);

    // Moved and re-hashed for its new place: a gap in its old lane, an entry its new head does not know.
    ({ ids, lane } = await freshLog(5));
    other = await emptyLaneOtherThan(lane);
    await sqlOf(
      `UPDATE audit_logs SET chain = $2, seq = 1, prev_hash = '\\x${'00'.repeat(32)}',
              hash = audit_log_hash('\\x${'00'.repeat(32)}', $2::smallint, 1, id, time, user_id, organization_id, ip, user_agent,
                                    resource_type, resource_id, resource_target, resource_icon, action, diff, status_code,
                                    additional_fields, request_id)
        WHERE id = $1`,
      [ids[2], other],
    );
    b = await brokenOf();
    expect(b).toMatchObject(lane < other ? { lane, seq: 3, reason: 'deleted' } : { lane: other, seq: 1, reason: 'head mismatch' });
  });

  it('detects a deletion covered up by renumbering, and a forged head', async () => {
    let { ids, lane } = await freshLog(5);
    await sqlOf('DELETE FROM audit_logs WHERE id = $1', [ids[2]]);
    await sqlOf('UPDATE audit_logs SET seq = -seq WHERE chain = $1 AND seq > 3', [lane]);
    await sqlOf('UPDATE audit_logs SET seq = -seq - 1 WHERE chain = $1 AND seq < 0', [lane]);
    await sqlOf('UPDATE audit_chain_head SET seq = seq - 1 WHERE id = $1', [lane]);
    expect(await brokenOf()).toMatchObject({ lane, seq: 3, id: ids[3], reason: 'edited' });

    ({ ids, lane } = await freshLog(3));
    const head = await headOf(lane);
    await sqlOf(`UPDATE audit_chain_head SET hash = sha256('forged') WHERE id = $1`, [lane]);
    expect(await brokenOf()).toMatchObject({ lane, seq: head.seq, reason: 'head mismatch' });

    ({ lane } = await freshLog(3, 0));
    await sqlOf('UPDATE audit_chain_head SET seq = 2 WHERE id = $1', [lane]);
    expect(await brokenOf()).toMatchObject({ lane, reason: 'head mismatch' });

    // An empty lane whose head claims entries, or whose head is not the genesis link.
    ({ lane } = await freshLog(2, 0));
    const empty = await emptyLaneOtherThan(lane);
    await sqlOf('UPDATE audit_chain_head SET seq = 1 WHERE id = $1', [empty]);
    expect(await brokenOf()).toMatchObject({ lane: empty, seq: 1, reason: 'deleted' });
    await sqlOf(`UPDATE audit_chain_head SET seq = 0, hash = sha256('forged') WHERE id = $1`, [empty]);
    expect(await brokenOf()).toMatchObject({ lane: empty, seq: 0, reason: 'head mismatch' });

    // A head row deleted.
    await freshLog(2, 0);
    await sqlOf('DELETE FROM audit_chain_head WHERE id = 9');
    expect(await brokenOf()).toMatchObject({ lane: 9, reason: 'head mismatch' });
    await sqlOf(`INSERT INTO audit_chain_head (id, seq, hash) VALUES (9, 0, '\\x${'00'.repeat(32)}')`);
  });
});

describe('orgd audit verify', () => {
  const saved = process.exitCode;
  afterEach(() => {
    process.exitCode = saved;
  });

  async function runCli(args: string[]): Promise<{ out: string; err: string; code: number | string | undefined }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c) => (out += c));
    stderr.on('data', (c) => (err += c));
    process.exitCode = undefined;
    const program = new Command('orgd').exitOverride().addCommand(auditCommand({ stdout, stderr }));
    await program.parseAsync(['node', 'orgd', 'audit', ...args]);
    const code = process.exitCode;
    process.exitCode = undefined;
    return { out, err, code };
  }

  it('prints the verified count and every lane head, and exits 0 on a clean log', async () => {
    const { lane } = await freshLog(7, 5);
    const head = await headOf(lane);
    const r = await runCli(['verify', '--postgres-url', testDb.url]);
    expect(r.code ?? 0).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`audit log intact: 12 entries verified in ${AUDIT_LANES} lanes`);
    expect(lines[1]).toBe('lane heads (anchor them outside the database):');
    expect(lines.filter((l) => /^ {2}lane +\d+ +seq +\d+ +hash [0-9a-f]{64}$/.test(l))).toHaveLength(AUDIT_LANES);
    expect(r.out).toMatch(new RegExp(`lane +${lane} +seq +${head.seq} +hash ${head.hash}`));
    expect(r.err).toBe(''); // no progress indicator off a terminal
  });

  it('names the broken entry and its lane, and exits 1', async () => {
    const { ids, lane } = await freshLog(6);
    await sqlOf(`UPDATE audit_logs SET action = 'delete' WHERE id = $1`, [ids[3]]);
    const r = await runCli(['verify', '--postgres-url', testDb.url]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`audit log chain BROKEN in lane ${lane} at entry seq 4 (id ${ids[3]}): edited`);
    expect(r.out).toContain('lane heads (anchor them outside the database):');

    const json = await runCli(['verify', '--json', '--postgres-url', testDb.url]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.out);
    expect(parsed).toMatchObject({ ok: false, broken: { lane, seq: 4, id: ids[3], reason: 'edited' } });
    expect(parsed.heads).toHaveLength(AUDIT_LANES);
  });

  it('explains what to do when a server holds the embedded database', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'orgd-audit-cli-'));
    // The lock file of a live server: a live pid that is not this process (our parent).
    writeFileSync(path.join(dir, 'orgd.lock'), String(process.ppid));
    try {
      const r = await runCli(['verify', '--data-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/in use by another orgd server/);
      expect(r.err).toMatch(/--postgres-url/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
