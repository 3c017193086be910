// Checks the audit log's hash chains (one per lane, see recorder.ts). Entries are walked lane by
// lane in seq order, a batch per query (keyset on the (chain, seq) unique index), in one REPEATABLE
// READ read-only snapshot: writers go on appending, the walk sees the log as of its start, and
// memory stays constant at any size. PostgreSQL recomputes each entry's hash with the same
// audit_log_hash() the append used; for each lane the walk checks, in order:
//   - every entry's lane has a head row                                   (else: head mismatch)
//   - seq runs 1, 2, 3... without a gap                                    (else: deleted / moved)
//   - the entry's content (its lane and seq included) hashes to its hash   (else: edited / moved)
//   - each entry chains from the previous entry's hash (zeros for seq 1)   (else: reordered)
//   - the lane's head row names the last entry's seq and hash              (else: deleted / head mismatch)
// An attacker who rewrites an entry AND recomputes its hash still breaks the next link; one who
// rewrites a lane's whole tail must also rewrite its head, which the head check compares; anchoring
// the heads outside the database (`orgd audit verify` prints them) closes that last gap.
//
// When a check fails, one more query (on that failure only) tells a moved entry from an edited or
// deleted one: an entry taken from one lane into another still hashes to its hash at its original
// place, which its prev_hash names.
import { sql } from 'kysely';
import type { Db, Tx } from '../db/index.js';
import { AUDIT_LANES } from './recorder.js';

export type ChainBreak = 'edited' | 'deleted' | 'moved' | 'reordered' | 'head mismatch';

export interface LaneHead {
  lane: number;
  seq: number;
  /** Hex SHA-256. */
  hash: string;
}

export interface BrokenEntry {
  /** The lane (audit_logs.chain) where the walk found the break. */
  lane: number;
  /** The first entry that fails (for a deletion: the first missing seq). */
  seq: number;
  /** Its id; null when the entry is gone. */
  id: string | null;
  reason: ChainBreak;
  detail: string;
}

export type VerifyResult =
  | { ok: true; checked: number; heads: LaneHead[] }
  | { ok: false; checked: number; heads: LaneHead[]; broken: BrokenEntry };

export interface VerifyOptions {
  /** Entries per query (default 5,000). */
  batchSize?: number;
  /** Called after each batch with the entries checked so far and the heads' total. */
  onProgress?: (checked: number, total: number) => void;
}

const GENESIS = Buffer.alloc(32);

interface ChainRow {
  chain: number;
  seq: string;
  id: string;
  prev_hash: Buffer;
  hash: Buffer;
  intact: boolean;
}

/** Where an entry was appended, when its hash still matches it there and that is not where it is. */
interface OriginalPlace {
  lane: number;
  seq: number;
}

/**
 * The place `entryId` was appended at: the lane and seq after the entry its prev_hash names (or seq 1
 * of some lane for a genesis link) at which its content hashes to its stored hash.
 */
async function originalPlace(tx: Tx, entryId: string): Promise<OriginalPlace | null> {
  const { rows } = await sql<{ lane: number; seq: string }>`
    WITH e AS (SELECT * FROM audit_logs WHERE id = ${entryId}::uuid),
    candidates AS (
      SELECT p.chain AS lane, p.seq + 1 AS seq FROM audit_logs p, e WHERE p.hash = e.prev_hash
      UNION ALL
      SELECT lane::smallint, 1 FROM generate_series(1, ${AUDIT_LANES}::int) lane, e WHERE e.prev_hash = ${GENESIS}::bytea
    )
    SELECT c.lane, c.seq FROM candidates c, e
     WHERE (c.lane, c.seq) <> (e.chain, e.seq)
       AND e.hash = audit_log_hash(e.prev_hash, c.lane, c.seq, e.id, e.time, e.user_id, e.organization_id, e.ip,
                                   e.user_agent, e.resource_type, e.resource_id, e.resource_target, e.resource_icon,
                                   e.action, e.diff, e.status_code, e.additional_fields, e.request_id)
     LIMIT 1`.execute(tx);
  return rows[0] ? { lane: rows[0].lane, seq: Number(rows[0].seq) } : null;
}

/** The entry, anywhere in the log, whose hash is `hash` (the one a link or a head names). */
async function entryWithHash(tx: Tx, hash: Buffer): Promise<{ id: string; lane: number; seq: number } | null> {
  const { rows } = await sql<{ id: string; chain: number; seq: string }>`
    SELECT id, chain, seq FROM audit_logs WHERE hash = ${hash} LIMIT 1`.execute(tx);
  return rows[0] ? { id: rows[0].id, lane: rows[0].chain, seq: Number(rows[0].seq) } : null;
}

const range = (from: number, to: number, lane: number) =>
  from === to ? `entry ${from} of lane ${lane} is` : `entries ${from} to ${to} of lane ${lane} are`;

export async function verifyAuditChain(db: Db, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const batchSize = Math.max(1, opts.batchSize ?? 5000);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (tx) => {
      const headRows = await sql<{ id: number; seq: string; hash: Buffer }>`
        SELECT id, seq, hash FROM audit_chain_head ORDER BY id`.execute(tx);
      const stored = new Map(headRows.rows.map((r) => [r.id, { seq: Number(r.seq), hash: r.hash }]));
      const heads: LaneHead[] = headRows.rows.map((r) => ({ lane: r.id, seq: Number(r.seq), hash: r.hash.toString('hex') }));
      const total = heads.reduce((n, h) => n + h.seq, 0);
      let checked = 0;
      const broken = (b: BrokenEntry): VerifyResult => ({ ok: false, checked, heads, broken: b });
      const missing = Array.from({ length: AUDIT_LANES }, (_, i) => i + 1).filter((l) => !stored.has(l));
      if (missing.length > 0) {
        return broken({
          lane: missing[0], seq: 0, id: null, reason: 'head mismatch',
          detail: `the head row of lane ${missing.join(', ')} is missing`,
        });
      }

      // The lane being walked and its last verified entry.
      let lane = 0;
      let prevSeq = 0;
      let prevHash: Buffer = GENESIS;
      let prevId: string | null = null;
      // Head rows whose lane has been closed (compared with its last entry).
      const closed = new Set<number>();

      /** The break, if any, between a lane's last entry and its head row. */
      const closeLane = async (l: number, lastSeq: number, lastHash: Buffer, lastId: string | null): Promise<VerifyResult | null> => {
        closed.add(l);
        const head = stored.get(l);
        if (!head) return null; // reported when its first entry was met
        if (head.seq > lastSeq) {
          if (head.seq === lastSeq + 1) {
            const moved = await entryWithHash(tx, head.hash);
            if (moved) {
              return broken({
                lane: l, seq: head.seq, id: moved.id, reason: 'moved',
                detail: `the last entry of lane ${l} (${head.seq}) was moved to lane ${moved.lane} as entry ${moved.seq}`,
              });
            }
          }
          const what = head.seq === lastSeq + 1 ? `the last entry (${head.seq}) of lane ${l} is` : `the last entries (${lastSeq + 1} to ${head.seq}) of lane ${l} are`;
          return broken({
            lane: l, seq: lastSeq + 1, id: null, reason: 'deleted',
            detail: `${what} missing: its head records ${head.seq} entries, the lane ends at ${lastSeq || 'its start'}`,
          });
        }
        if (head.seq < lastSeq) {
          return broken({
            lane: l, seq: head.seq + 1, id: null, reason: 'head mismatch',
            detail: `the head of lane ${l} records ${head.seq} entries but the lane holds ${lastSeq}: entries were added around the chain or the head was rolled back`,
          });
        }
        if (!head.hash.equals(lastHash)) {
          return broken({
            lane: l, seq: lastSeq, id: lastId, reason: 'head mismatch',
            detail: lastSeq === 0 ? `the head of lane ${l} is not the genesis link of an empty lane` : `the head's hash of lane ${l} does not match entry ${lastSeq}`,
          });
        }
        return null;
      };

      /** Closes the lanes that have a head row, are below `upTo` and were not closed yet (empty lanes). */
      const closeEmptyLanesBelow = async (upTo: number): Promise<VerifyResult | null> => {
        for (const h of heads) {
          if (h.lane >= upTo || closed.has(h.lane)) continue;
          const b = await closeLane(h.lane, 0, GENESIS, null);
          if (b) return b;
        }
        return null;
      };

      for (;;) {
        const { rows } = await sql<ChainRow>`
          SELECT chain, seq, id, prev_hash, hash,
                 hash = audit_log_hash(prev_hash, chain, seq, id, time, user_id, organization_id, ip, user_agent,
                                       resource_type, resource_id, resource_target, resource_icon, action,
                                       diff, status_code, additional_fields, request_id) AS intact
            FROM audit_logs
           WHERE (chain, seq) > (${lane}::smallint, ${prevSeq}::bigint)
           ORDER BY chain, seq
           LIMIT ${batchSize}`.execute(tx);
        for (const r of rows) {
          const seq = Number(r.seq);
          if (r.chain !== lane) {
            // A new lane begins: the previous one must end at its head, and lanes in between are empty.
            if (lane !== 0) {
              const b = await closeLane(lane, prevSeq, prevHash, prevId);
              if (b) return b;
            }
            const b = await closeEmptyLanesBelow(r.chain);
            if (b) return b;
            lane = r.chain;
            prevSeq = 0;
            prevHash = GENESIS;
            prevId = null;
            if (!stored.has(lane)) {
              return broken({ lane, seq, id: r.id, reason: 'moved', detail: `entry ${seq} sits in lane ${lane}, which does not exist (lanes are 1 to ${AUDIT_LANES})` });
            }
          }
          if (seq !== prevSeq + 1) {
            if (seq === prevSeq + 2) {
              const moved = await entryWithHash(tx, r.prev_hash);
              if (moved && moved.lane !== lane) {
                return broken({
                  lane, seq: prevSeq + 1, id: moved.id, reason: 'moved',
                  detail: `entry ${prevSeq + 1} of lane ${lane} was moved to lane ${moved.lane} as entry ${moved.seq}`,
                });
              }
            }
            return broken({
              lane, seq: prevSeq + 1, id: null, reason: 'deleted',
              detail: `${range(prevSeq + 1, seq - 1, lane)} missing (the lane goes from ${prevSeq || 'its start'} to ${seq}, id ${r.id})`,
            });
          }
          if (!r.intact) {
            const original = await originalPlace(tx, r.id);
            if (original) {
              return broken({
                lane, seq, id: r.id, reason: 'moved',
                detail: `entry ${seq} of lane ${lane} was appended as entry ${original.seq} of lane ${original.lane} and moved here`,
              });
            }
            return broken({ lane, seq, id: r.id, reason: 'edited', detail: `entry ${seq} of lane ${lane} no longer matches its hash: its content was changed` });
          }
          if (!r.prev_hash.equals(prevHash)) {
            return broken({
              lane, seq, id: r.id, reason: 'reordered',
              detail:
                seq === 1
                  ? `the first entry of lane ${lane} does not start the chain`
                  : `entry ${seq} of lane ${lane} does not chain from entry ${prevSeq}: entry ${prevSeq} was rewritten or entries were reordered`,
            });
          }
          prevSeq = seq;
          prevHash = r.hash;
          prevId = r.id;
          checked++;
        }
        opts.onProgress?.(checked, Math.max(total, checked));
        if (rows.length < batchSize) break;
      }

      if (lane !== 0) {
        const b = await closeLane(lane, prevSeq, prevHash, prevId);
        if (b) return b;
      }
      const b = await closeEmptyLanesBelow(Number.POSITIVE_INFINITY);
      if (b) return b;
      return { ok: true, checked, heads };
    });
}
