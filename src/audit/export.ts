// Streams the audit log out for a SIEM, as JSON lines or CSV, in (time, id) order, one keyset batch
// per query and with the writer's backpressure respected: memory stays constant whatever the size
// of the log.
//
// The log is made of parallel hash chains (lanes) with no commit order between them, so the export
// follows the entries' own time, a total order shared by every lane. An incremental export starts
// after a given entry (`after`, exclusive) or at a time (`since`, inclusive). An entry's time is
// taken when it is appended and it becomes visible at its transaction's commit, a moment later:
// an incremental export that must never miss an entry starts a little before the last time it
// exported (`since`) and drops the ids it has already received. Each record carries its lane
// (chain), seq, prev_hash and hash, so the receiving side can rebuild and check every lane.
import { NIL_UUID } from '../db/index.js';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { sql } from 'kysely';
import type { DbOrTx } from '../db/index.js';
import { auditLogDescription, goTimeSql, trimGoTime } from './read.js';

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv'];

/** The fields of an exported entry, in CSV column order. */
export const EXPORT_COLUMNS = [
  'chain',
  'seq',
  'id',
  'time',
  'user_id',
  'username',
  'user_email',
  'organization_id',
  'organization_name',
  'ip',
  'user_agent',
  'action',
  'resource_type',
  'resource_id',
  'resource_target',
  'resource_icon',
  'status_code',
  'description',
  'diff',
  'additional_fields',
  'request_id',
  'prev_hash',
  'hash',
] as const;

export type ExportRecord = {
  /** The lane (1..16) whose hash chain holds the entry. */
  chain: number;
  /** The position within the lane, from 1. */
  seq: number;
  id: string;
  time: string;
  user_id: string;
  username: string;
  user_email: string;
  organization_id: string;
  organization_name: string;
  ip: string;
  user_agent: string;
  action: string;
  resource_type: string;
  resource_id: string;
  resource_target: string;
  resource_icon: string;
  status_code: number;
  /** The read-side sentence with the actor and target filled in. */
  description: string;
  diff: Record<string, unknown>;
  additional_fields: Record<string, unknown>;
  request_id: string;
  /** Hex SHA-256 of the previous entry (zeros for the first). */
  prev_hash: string;
  /** Hex SHA-256 of this entry. */
  hash: string;
};

export interface ExportOptions {
  format: ExportFormat;
  out: Writable;
  /** Only entries at or after this time. */
  since?: Date;
  /** Only entries after this one in (time, id) order (the last id of a previous export). */
  after?: string;
  /** Entries per query (default 2,000). */
  batchSize?: number;
  /** Called after each batch: entries written so far, entries expected in all. */
  onProgress?: (exported: number, total: number) => void;
}

interface ExportRow {
  chain: number;
  seq: string;
  id: string;
  time_text: string;
  user_id: string;
  username: string | null;
  user_email: string | null;
  organization_id: string;
  organization_name: string | null;
  ip: string | null;
  user_agent: string;
  action: string;
  resource_type: string;
  resource_id: string;
  resource_target: string;
  resource_icon: string;
  status_code: number;
  diff: Record<string, unknown>;
  additional_fields: Record<string, unknown>;
  request_id: string;
  prev_hash: Buffer;
  hash: Buffer;
}


function toRecord(r: ExportRow): ExportRecord {
  const username = r.username ?? '';
  const description = auditLogDescription(r)
    .replace('{user}', username || r.user_id)
    .replace('{target}', r.resource_target);
  return {
    chain: r.chain,
    seq: Number(r.seq),
    id: r.id,
    time: trimGoTime(r.time_text),
    user_id: r.user_id,
    username,
    user_email: r.user_email ?? '',
    organization_id: r.organization_id === NIL_UUID ? '' : r.organization_id,
    organization_name: r.organization_name ?? '',
    ip: r.ip ?? '',
    user_agent: r.user_agent,
    action: r.action,
    resource_type: r.resource_type,
    resource_id: r.resource_id,
    resource_target: r.resource_target,
    resource_icon: r.resource_icon,
    status_code: r.status_code,
    description,
    diff: r.diff,
    additional_fields: r.additional_fields,
    request_id: r.request_id,
    prev_hash: r.prev_hash.toString('hex'),
    hash: r.hash.toString('hex'),
  };
}

/** RFC 4180: a cell is quoted when it holds a comma, a quote or a line break; quotes double. */
export function csvCell(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

function formatRecord(format: ExportFormat, rec: ExportRecord): string {
  return format === 'jsonl' ? `${JSON.stringify(rec)}\n` : csvLine(EXPORT_COLUMNS.map((c) => rec[c]));
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** The entry named by `after` does not exist. */
export class UnknownExportCursorError extends Error {
  constructor(id: string) {
    super(`no audit entry with id ${id}`);
  }
}

/** The last entry written: where the next incremental export resumes (`after: id`). */
export interface ExportCursor {
  id: string;
  time: string;
}

/** Writes every entry from `since` / after `after` to `out`; answers how many and the last one. */
export async function exportAuditLog(db: DbOrTx, opts: ExportOptions): Promise<{ exported: number; last: ExportCursor | null }> {
  const batchSize = Math.max(1, opts.batchSize ?? 2000);
  // The keyset cursor is the last entry's (time, id), its time as UTC text with every microsecond.
  let cursor: { time: string; id: string } | null = null;
  if (opts.after !== undefined) {
    const { rows } = await sql<{ time: string; id: string }>`
      SELECT ${goTimeSql('a.time')} AS time, id FROM audit_logs a
       WHERE id = ${isUuidText(opts.after) ? opts.after : NIL_UUID}::uuid`.execute(db);
    if (!rows[0]) throw new UnknownExportCursorError(opts.after);
    cursor = rows[0];
  }
  const since = opts.since ? sql`a.time >= ${opts.since.toISOString()}::timestamptz` : sql`true`;
  const total = opts.onProgress ? await expectedCount(db, opts.since, cursor) : 0;
  let exported = 0;
  let last: ExportCursor | null = null;
  if (opts.format === 'csv') await write(opts.out, csvLine(EXPORT_COLUMNS));
  for (;;) {
    const after = cursor ? sql`(a.time, a.id) > (${cursor.time}::timestamptz, ${cursor.id}::uuid)` : sql`true`;
    const { rows } = await sql<ExportRow>`
      SELECT a.chain, a.seq, a.id, ${goTimeSql('a.time')} AS time_text,
             a.user_id, u.username, u.email AS user_email,
             a.organization_id, o.name AS organization_name, host(a.ip) AS ip, a.user_agent, a.action,
             a.resource_type, a.resource_id, a.resource_target, a.resource_icon, a.status_code, a.diff,
             a.additional_fields, a.request_id, a.prev_hash, a.hash
        FROM (SELECT * FROM audit_logs a WHERE ${since} AND ${after} ORDER BY a.time, a.id LIMIT ${batchSize}) a
        LEFT JOIN users u ON u.id = a.user_id
        LEFT JOIN organizations o ON o.id = a.organization_id
       ORDER BY a.time, a.id`.execute(db);
    if (rows.length === 0) break;
    // One write per batch: fewer syscalls, and the stream's buffer bounds memory.
    await write(opts.out, rows.map((r) => formatRecord(opts.format, toRecord(r))).join(''));
    exported += rows.length;
    const end = rows[rows.length - 1];
    cursor = { time: end.time_text, id: end.id }; // every microsecond: the text is not trimmed yet
    last = { id: end.id, time: trimGoTime(end.time_text) };
    opts.onProgress?.(exported, Math.max(total, exported));
    if (rows.length < batchSize) break;
  }
  return { exported, last };
}

const isUuidText = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);

/** How many entries the export will write, for the progress indicator (an index-only count). */
async function expectedCount(db: DbOrTx, since: Date | undefined, cursor: { time: string; id: string } | null): Promise<number> {
  if (!since && !cursor) {
    // Every lane's head counts its entries: no scan at all.
    const { rows } = await sql<{ n: string | null }>`SELECT sum(seq) AS n FROM audit_chain_head`.execute(db);
    return Number(rows[0]?.n ?? 0);
  }
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM audit_logs a
     WHERE ${since ? sql`a.time >= ${since.toISOString()}::timestamptz` : sql`true`}
       AND ${cursor ? sql`(a.time, a.id) > (${cursor.time}::timestamptz, ${cursor.id}::uuid)` : sql`true`}`.execute(db);
  return rows[0]?.n ?? 0;
}
