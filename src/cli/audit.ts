// `orgd audit verify` and `orgd audit export`: read the audit log straight from the database, the
// external one (--postgres-url) or the embedded one in --data-dir when no server holds it.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../db/index.js';
import { DataDirInUseError, defaultDataDir, startEmbeddedPostgres } from '../db/embedded.js';
import { verifyAuditChain, type VerifyResult } from '../audit/verify.js';
import { EXPORT_FORMATS, exportAuditLog, type ExportFormat } from '../audit/export.js';

/** Where the command writes; tests pass their own streams. */
export interface CliIO {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
}

interface ConnectionOptions {
  postgresUrl?: string;
  dataDir: string;
}

function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--postgres-url <url>', 'PostgreSQL connection URL; absent: the embedded PostgreSQL in --data-dir').env('ORGD_PG_CONNECTION_URL'))
    .addOption(new Option('--data-dir <path>', 'where the embedded PostgreSQL keeps its data').env('ORGD_DATA_DIR').default(defaultDataDir()));
}

/** Opens the database for the duration of `fn`, starting the embedded one when there is no URL. */
async function withDatabase<T>(opts: ConnectionOptions, fn: (db: Db) => Promise<T>): Promise<T> {
  let url = opts.postgresUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    try {
      const embedded = await startEmbeddedPostgres({ dataDir: opts.dataDir });
      url = embedded.url;
      stopEmbedded = () => embedded.stop();
    } catch (err) {
      if (err instanceof DataDirInUseError) {
        throw new Error(
          `${err.message}.\nThe embedded database can only be opened by one process: while the server runs, pass its database with --postgres-url (or ORGD_PG_CONNECTION_URL).`,
        );
      }
      throw err;
    }
  }
  const handle = openDatabase(url, { max: 2, applicationName: 'orgd audit' });
  try {
    const exists = await sql<{ t: string | null }>`SELECT to_regclass('audit_chain_head')::text AS t`.execute(handle.db);
    if (!exists.rows[0]?.t) throw new Error('this database has no orgd audit log (start `orgd server` on it once to create the schema)');
    return await fn(handle.db);
  } finally {
    await handle.close();
    await stopEmbedded?.();
  }
}

/** A one-line progress indicator, only on a terminal and at most ten times a second. */
function progressLine(stream: CliIO['stderr'], verb: string): { update(done: number, total: number): void; end(): void } {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      shown = true;
      const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
      stream.write(`\r${verb} ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} entries (${pct}%)`);
    },
    end() {
      if (shown) stream.write('\n');
    },
  };
}

/** Runs an action; a failure is one line on stderr and exit code 2 (1 means "chain broken"). */
function run(io: CliIO, action: () => Promise<void>): Promise<void> {
  return action().catch((err: unknown) => {
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}

/** The lane heads, one line each: what to keep outside the database to anchor the log. */
function describeHeads(r: VerifyResult): string {
  return r.heads.map((h) => `  lane ${String(h.lane).padStart(2)}  seq ${String(h.seq).padStart(10)}  hash ${h.hash}\n`).join('');
}

export function describeVerifyResult(r: VerifyResult): string {
  const heads = `lane heads (anchor them outside the database):\n${describeHeads(r)}`;
  if (r.ok) {
    return `audit log intact: ${r.checked} entries verified in ${r.heads.length} lanes\n${heads}`;
  }
  const b = r.broken;
  return (
    `audit log chain BROKEN in lane ${b.lane} at entry seq ${b.seq}${b.id ? ` (id ${b.id})` : ''}: ${b.reason}\n` +
    `  ${b.detail}\n` +
    `  ${r.checked} entries verified before it\n` +
    heads
  );
}

function verifyCommand(io: CliIO): Command {
  return connectionOptions(new Command('verify'))
    .description('Check every lane of the audit log hash chain, name the first edited, deleted, moved or reordered entry (exit 1 when broken) and print the lane heads')
    .option('--json', 'print the result as JSON')
    .action((opts: ConnectionOptions & { json?: boolean }) =>
      run(io, async () => {
        const progress = progressLine(io.stderr, 'verified');
        const result = await withDatabase(opts, (db) => verifyAuditChain(db, { onProgress: progress.update }));
        progress.end();
        io.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : describeVerifyResult(result));
        if (!result.ok) process.exitCode = 1;
      }),
    );
}

function parseFormat(v: string): ExportFormat {
  if (!(EXPORT_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${EXPORT_FORMATS.join(', ')}`);
  return v as ExportFormat;
}

function parseSince(v: string): Date {
  // RFC 3339: a date, a time and a zone (Z or an offset); fractional seconds allowed.
  const d = new Date(v);
  if (!/^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(v) || Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError('expected an RFC 3339 time, like 2025-06-01T00:00:00Z');
  }
  return d;
}

function parseEntryId(v: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) throw new InvalidArgumentError('expected an audit entry id (a UUID)');
  return v.toLowerCase();
}

function exportCommand(io: CliIO): Command {
  return connectionOptions(new Command('export'))
    .description('Stream the audit log in time order as JSON lines or CSV (for a SIEM)')
    .addOption(new Option('--format <format>', 'jsonl or csv').argParser(parseFormat).default('jsonl'))
    .option('--output <file>', 'write to this file instead of stdout')
    .option('--since <time>', 'only entries at or after this RFC 3339 time', parseSince)
    .option('--after <id>', 'only entries after this one in (time, id) order: the last id of a previous export', parseEntryId)
    .action((opts: ConnectionOptions & { format: ExportFormat; output?: string; since?: Date; after?: string }) =>
      run(io, async () => {
        const file = opts.output ? createWriteStream(opts.output) : undefined;
        const out = file ?? io.stdout;
        const progress = progressLine(io.stderr, 'exported');
        try {
          const { exported, last } = await withDatabase(opts, (db) =>
            exportAuditLog(db, {
              format: opts.format,
              out,
              since: opts.since,
              after: opts.after,
              // Off a terminal there is no indicator, and no count to run for it.
              onProgress: io.stderr.isTTY ? progress.update : undefined,
            }),
          );
          progress.end();
          if (file) {
            file.end();
            await finished(file);
          }
          // The summary goes to stderr so that stdout stays pure data.
          io.stderr.write(`exported ${exported} audit entries${last ? ` (last id ${last.id}, time ${last.time})` : ''}${opts.output ? ` to ${opts.output}` : ''}\n`);
        } catch (err) {
          progress.end();
          file?.destroy();
          throw err;
        }
      }),
    );
}

export function auditCommand(io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Command {
  return new Command('audit')
    .description('Verify or export the audit log')
    .addCommand(verifyCommand(io))
    .addCommand(exportCommand(io));
}
