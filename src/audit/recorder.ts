// Writes audit entries. An entry is appended to the hash chain inside the caller's transaction, so
// it commits or rolls back with the change it records. The append locks the chain head row: writers
// queue there for the few microseconds between their append and their commit.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { sql } from 'kysely';
import type { DbOrTx } from '../db/index.js';

export type AuditAction =
  | 'create' | 'write' | 'delete' | 'start' | 'stop' | 'login' | 'logout' | 'register'
  | 'request_password_reset' | 'connect' | 'disconnect' | 'open' | 'close';

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

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

export async function appendAuditEntry(db: DbOrTx, e: AuditEntry): Promise<string> {
  const id = randomUUID();
  const time = e.time ?? new Date();
  await sql`
    WITH head AS (
      SELECT seq + 1 AS seq, hash AS prev_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE
    ), entry AS (
      SELECT head.seq, head.prev_hash,
             ${id}::uuid AS id, ${time.toISOString()}::timestamptz AS time, ${e.userId}::uuid AS user_id,
             ${e.organizationId ?? NIL_UUID}::uuid AS organization_id, ${normalizeIp(e.ip)}::inet AS ip,
             ${e.userAgent ?? ''}::text AS user_agent, ${e.resourceType}::text AS resource_type,
             ${e.resourceId}::uuid AS resource_id, ${e.resourceTarget}::text AS resource_target,
             ${e.resourceIcon ?? ''}::text AS resource_icon, ${e.action}::text AS action,
             ${JSON.stringify(e.diff)}::jsonb AS diff, ${e.statusCode}::integer AS status_code,
             ${JSON.stringify(e.additionalFields ?? {})}::jsonb AS additional_fields,
             ${e.requestId}::uuid AS request_id
        FROM head
    ), inserted AS (
      INSERT INTO audit_logs (seq, id, time, user_id, organization_id, ip, user_agent, resource_type,
                              resource_id, resource_target, resource_icon, action, diff, status_code,
                              additional_fields, request_id, prev_hash, hash)
      SELECT seq, id, time, user_id, organization_id, ip, user_agent, resource_type, resource_id,
             resource_target, resource_icon, action, diff, status_code, additional_fields, request_id,
             prev_hash,
             audit_log_hash(prev_hash, seq, id, time, user_id, organization_id, ip, user_agent,
                            resource_type, resource_id, resource_target, resource_icon, action, diff,
                            status_code, additional_fields, request_id)
        FROM entry
      RETURNING seq, hash
    )
    UPDATE audit_chain_head h SET seq = inserted.seq, hash = inserted.hash FROM inserted WHERE h.id = 1
  `.execute(db);
  return id;
}
