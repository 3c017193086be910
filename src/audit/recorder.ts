// Writes audit entries. An entry is appended to one of the audit log's parallel hash chains
// ("lanes", audit_chain_head rows 1..16) inside the caller's transaction, so it commits or rolls
// back with the change it records.
//
// The append locks its lane's head row until the transaction ends. With one chain, every audited
// transaction queued on that lock through its commit's WAL flush, so concurrent commits could never
// share a flush; with 16 lanes, up to 16 writers append and commit side by side. A writer takes any
// lane nobody holds (SKIP LOCKED); only when all 16 are held does it wait, on one lane chosen at
// random. A transaction that appends several entries keeps its lane (they are consecutive in it),
// and since no transaction ever holds two lanes, waiting for a lane cannot deadlock.
//
// The append itself is the SQL function audit_log_append (0001_init.sql): one round trip, with
// plans PL/pgSQL keeps per connection. It relies on READ COMMITTED, the callers' isolation: a head
// row lock that waited returns the newest head. (At REPEATABLE READ or SERIALIZABLE PostgreSQL would
// answer a concurrent head update with a serialization failure instead.)
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { sql } from 'kysely';
import { NIL_UUID, type DbOrTx } from '../db/index.js';

export type AuditAction =
  | 'create' | 'write' | 'delete' | 'start' | 'stop' | 'login' | 'logout' | 'register'
  | 'request_password_reset' | 'connect' | 'disconnect' | 'open' | 'close';

export { NIL_UUID };

export interface AuditEntry {
  action: AuditAction;
  resourceType: string;
  resourceId: string;
  resourceTarget: string;
  resourceIcon?: string;
  userId: string;
  organizationId?: string;
  ip?: string;
  userAgent?: string;
  requestId: string;
  statusCode: number;
  diff: Record<string, unknown>;
  additionalFields?: Record<string, unknown>;
  time?: Date;
}

/** Normalises a socket address for an inet column: IPv4-mapped IPv6 becomes plain IPv4. */
export function normalizeIp(ip: string | undefined): string | null {
  if (!ip) return null;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return net.isIP(v4) ? v4 : null;
}

/** How many lanes (parallel chains) the audit log has: audit_chain_head rows 1..AUDIT_LANES. */
export const AUDIT_LANES = 16;

/** The lane each open transaction holds (the Kysely Transaction object is the transaction). */
const laneOfTransaction = new WeakMap<object, number>();

/**
 * Appends an entry to a lane and answers its id. A Transaction appends on the lane it already holds,
 * or takes one and keeps it until it ends; a plain Db appends in an auto-commit statement.
 */
export async function appendAuditEntry(db: DbOrTx, e: AuditEntry): Promise<string> {
  const id = randomUUID();
  const held = db.isTransaction ? laneOfTransaction.get(db) : undefined;
  const { rows } = await sql<{ lane: number }>`
    SELECT audit_log_append(
      ${held ?? null}::smallint, ${id}::uuid, ${e.time?.toISOString() ?? null}::timestamptz, ${e.userId}::uuid,
      ${e.organizationId ?? NIL_UUID}::uuid, ${normalizeIp(e.ip)}::inet, ${e.userAgent ?? ''}::text,
      ${e.resourceType}::text, ${e.resourceId}::uuid, ${e.resourceTarget}::text, ${e.resourceIcon ?? ''}::text,
      ${e.action}::text, ${JSON.stringify(e.diff)}::jsonb, ${e.statusCode}::integer,
      ${JSON.stringify(e.additionalFields ?? {})}::jsonb, ${e.requestId}::uuid
    ) AS lane`.execute(db);
  if (db.isTransaction) laneOfTransaction.set(db, rows[0].lane);
  return id;
}
