// Audit entries written straight through the recorder (the same hash-chained append the routes
// use), for tests that need a log with known content.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { appendAuditEntry, type AuditEntry } from '../../src/audit/recorder.js';
import type { Db, DbOrTx } from '../../src/db/index.js';

export function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    action: 'write',
    resourceType: 'user',
    resourceId: randomUUID(),
    resourceTarget: 'someone',
    userId: randomUUID(),
    requestId: randomUUID(),
    statusCode: 200,
    ip: '127.0.0.1',
    userAgent: 'vitest',
    diff: { name: { old: 'a', new: 'b', secret: false } },
    ...overrides,
  };
}

/** Appends entries one after another (each in its own implicit transaction); answers their ids. */
export async function appendEntries(db: DbOrTx, entries: AuditEntry[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of entries) ids.push(await appendAuditEntry(db, e));
  return ids;
}

/** Appends entries in one transaction: they land consecutively in one lane, which is answered. */
export async function appendInOneTransaction(db: Db, entries: AuditEntry[]): Promise<{ ids: string[]; lane: number }> {
  const ids = await db.transaction().execute((tx) => appendEntries(tx, entries));
  const lane = (await db.selectFrom('audit_logs').select('chain').where('id', '=', ids[0]).executeTakeFirstOrThrow()).chain;
  return { ids, lane };
}

/** Empties the log and resets every lane's head to the genesis link. */
export async function resetAuditLog(pool: pg.Pool): Promise<void> {
  await pool.query('TRUNCATE audit_logs');
  await pool.query(`UPDATE audit_chain_head SET seq = 0, hash = '\\x${'00'.repeat(32)}'`);
}

/** Where each entry sits: id -> {lane, seq}. */
export async function placesOf(pool: pg.Pool): Promise<Map<string, { lane: number; seq: number }>> {
  const { rows } = await pool.query<{ id: string; chain: number; seq: string }>('SELECT id, chain, seq FROM audit_logs');
  return new Map(rows.map((r) => [r.id, { lane: r.chain, seq: Number(r.seq) }]));
}
