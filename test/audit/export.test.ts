// Export: every entry once, in (time, id) order, as JSON lines or CSV, across batches,
// incrementally (after an entry, since a time), to stdout or a file; the lanes' chain links check
// out on the receiving side.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/index.js';
import { csvCell, exportAuditLog, EXPORT_COLUMNS, UnknownExportCursorError, type ExportRecord } from '../../src/audit/export.js';
import { auditCommand } from '../../src/cli/audit.js';
import { insertUser } from '../../src/db/queries/users.js';
import { appendEntries, entry } from './helpers.js';

let testDb: TestDatabase;
let h: DatabaseHandle;
let ids: string[];
let actorId: string;
let orgId: string;

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c) => (text += c));
  return { stream, text: () => text };
}

/** A minimal RFC 4180 reader for the test: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  h = openDatabase(testDb.url, { max: 4 });
  orgId = (await h.pool.query('SELECT id FROM organizations WHERE is_default')).rows[0].id;
  const actor = await insertUser(h.db, {
    email: 'exporter@example.com',
    username: 'exporter',
    name: '',
    hashedPassword: '',
    loginType: 'password',
    status: 'active',
    rbacRoles: [],
    organizationIds: [],
  });
  actorId = actor.id;
  ids = await appendEntries(h.db, [
    entry({ userId: actorId, action: 'login', resourceType: 'api_key', resourceTarget: '', statusCode: 201, diff: {} }),
    entry({ userId: actorId, action: 'create', resourceType: 'organization_member', resourceTarget: 'bob', organizationId: orgId, statusCode: 201 }),
    entry({ userId: actorId, resourceTarget: 'has "quotes", commas\nand a newline', userAgent: 'curl/8, "x"' }),
    ...Array.from({ length: 7 }, (_, i) => entry({ userId: actorId, resourceTarget: `t${i}` })),
  ].map((e, i) => ({ ...e, time: timeOf(i) })));
});

/** The fixture's entries are a second apart, from the start of 2025 (with microseconds). */
const timeOf = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 1000 + 123);
afterAll(async () => {
  await h.close();
  await testDb.drop();
});

/** The receiving side's check: within each lane, consecutive entries link by hash. */
function expectLanesLink(records: { chain: number; seq: number; prev_hash: string; hash: string }[]): void {
  const byLane = new Map<number, typeof records>();
  for (const r of records) byLane.set(r.chain, [...(byLane.get(r.chain) ?? []), r]);
  for (const lane of byLane.values()) {
    lane.sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < lane.length; i++) {
      if (lane[i].seq === lane[i - 1].seq + 1) expect(lane[i].prev_hash).toBe(lane[i - 1].hash);
    }
  }
}

describe('exportAuditLog', () => {
  it('writes every entry once, in time order, as JSON lines whose lanes chain', async () => {
    const out = sink();
    const progress: [number, number][] = [];
    const r = await exportAuditLog(h.db, { format: 'jsonl', out: out.stream, batchSize: 3, onProgress: (d, t) => progress.push([d, t]) });
    expect(r).toEqual({ exported: 10, last: { id: ids[9], time: expect.stringMatching(/Z$/) } });
    expect(progress).toEqual([[3, 10], [6, 10], [9, 10], [10, 10]]);
    const records: ExportRecord[] = out.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records.map((x) => x.id)).toEqual(ids);
    expect(Object.keys(records[0])).toEqual([...EXPORT_COLUMNS]);
    expect(records[0]).toMatchObject({
      username: 'exporter',
      user_email: 'exporter@example.com',
      organization_id: '',
      action: 'login',
      description: 'exporter logged in',
      seq: 1,
      prev_hash: '00'.repeat(32),
    });
    expect(records[1]).toMatchObject({
      organization_id: orgId,
      organization_name: 'coder',
      description: 'exporter created organization member bob',
      diff: { name: { old: 'a', new: 'b', secret: false } },
      ip: '127.0.0.1',
    });
    expect(records[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const times = records.map((x) => x.time);
    expect([...times].sort()).toEqual(times);
    // Every lane is exported whole: from seq 1, linked, ending at its head.
    expectLanesLink(records);
    const heads = (await h.pool.query(`SELECT id, seq::int AS seq, encode(hash, 'hex') AS hash FROM audit_chain_head WHERE seq > 0`)).rows;
    for (const head of heads) {
      const lane = records.filter((x) => x.chain === head.id).sort((a, b) => a.seq - b.seq);
      expect(lane.map((x) => x.seq)).toEqual(Array.from({ length: head.seq }, (_, i) => i + 1));
      expect(lane.at(-1)!.hash).toBe(head.hash);
    }
  });

  it('exports incrementally after an entry or since a time', async () => {
    const out = sink();
    expect(await exportAuditLog(h.db, { format: 'jsonl', out: out.stream, after: ids[7] })).toEqual({
      exported: 2,
      last: { id: ids[9], time: expect.any(String) },
    });
    expect(out.text().trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual(ids.slice(8));
    const none = sink();
    expect(await exportAuditLog(h.db, { format: 'jsonl', out: none.stream, after: ids[9] })).toEqual({ exported: 0, last: null });
    expect(none.text()).toBe('');

    const since = sink();
    const progress: [number, number][] = [];
    const r = await exportAuditLog(h.db, { format: 'jsonl', out: since.stream, since: timeOf(5), batchSize: 2, onProgress: (d, t) => progress.push([d, t]) });
    expect(r.exported).toBe(5);
    expect(progress).toEqual([[2, 5], [4, 5], [5, 5]]);
    expect(since.text().trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual(ids.slice(5));

    await expect(exportAuditLog(h.db, { format: 'jsonl', out: sink().stream, after: '00000000-0000-0000-0000-000000000001' })).rejects.toBeInstanceOf(
      UnknownExportCursorError,
    );
  });

  it('writes CSV with a header and RFC 4180 quoting', async () => {
    const out = sink();
    await exportAuditLog(h.db, { format: 'csv', out: out.stream, batchSize: 4 });
    const rows = parseCsv(out.text());
    expect(rows[0]).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toHaveLength(11);
    const col = (name: string) => EXPORT_COLUMNS.indexOf(name as (typeof EXPORT_COLUMNS)[number]);
    const third = rows[3];
    expect(third[col('id')]).toBe(ids[2]);
    expect(Number(third[col('chain')])).toBeGreaterThanOrEqual(1);
    expect(third[col('resource_target')]).toBe('has "quotes", commas\nand a newline');
    expect(third[col('user_agent')]).toBe('curl/8, "x"');
    expect(JSON.parse(third[col('diff')])).toEqual({ name: { old: 'a', new: 'b', secret: false } });
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
  });
});

describe('orgd audit export', () => {
  it('streams JSON lines to stdout and CSV to a file, summary on stderr only', async () => {
    const stdout = sink();
    const stderr = sink();
    const program = () => new Command('orgd').exitOverride().addCommand(auditCommand({ stdout: stdout.stream, stderr: stderr.stream }));
    await program().parseAsync(['node', 'orgd', 'audit', 'export', '--format', 'jsonl', '--postgres-url', testDb.url]);
    const lines = stdout.text().trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(JSON.parse(lines[9]).id).toBe(ids[9]);
    expect(stderr.text()).toMatch(new RegExp(`^exported 10 audit entries \\(last id ${ids[9]}, time \\S+Z\\)\\n$`));

    const dir = mkdtempSync(path.join(tmpdir(), 'orgd-export-'));
    try {
      const file = path.join(dir, 'audit.csv');
      await program().parseAsync(['node', 'orgd', 'audit', 'export', '--format', 'csv', '--output', file, '--after', ids[4], '--postgres-url', testDb.url]);
      const rows = parseCsv(readFileSync(file, 'utf8'));
      const col = (name: string) => EXPORT_COLUMNS.indexOf(name as (typeof EXPORT_COLUMNS)[number]);
      expect(rows[0][0]).toBe('chain');
      expect(rows.slice(1).map((r) => r[col('id')])).toEqual(ids.slice(5));
      expect(stdout.text().trimEnd().split('\n')).toHaveLength(10); // nothing more on stdout
      expect(stderr.text()).toContain(`to ${file}`);
      // An incremental export still links up within each lane.
      expectLanesLink(
        rows.slice(1).map((r) => ({ chain: Number(r[col('chain')]), seq: Number(r[col('seq')]), prev_hash: r[col('prev_hash')], hash: r[col('hash')] })),
      );

      // Since a time: RFC 3339 with an offset.
      const since = sink();
      await new Command('orgd')
        .exitOverride()
        .addCommand(auditCommand({ stdout: since.stream, stderr: sink().stream }))
        .parseAsync(['node', 'orgd', 'audit', 'export', '--since', '2025-01-01T02:00:08+02:00', '--postgres-url', testDb.url]);
      expect(since.text().trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual(ids.slice(8));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown format, a malformed --since or --after, and names an unknown --after', async () => {
    const stdout = sink();
    const stderr = sink();
    const program = () => {
      const p = new Command('orgd').addCommand(auditCommand({ stdout: stdout.stream, stderr: stderr.stream }));
      // Throw instead of exiting, and keep commander's own message off the test output.
      const quiet = (c: Command): void => {
        c.exitOverride().configureOutput({ writeErr: () => undefined });
        c.commands.forEach(quiet);
      };
      quiet(p);
      return p;
    };
    const run = (...args: string[]) => program().parseAsync(['node', 'orgd', 'audit', 'export', ...args, '--postgres-url', testDb.url]);
    await expect(run('--format', 'xml')).rejects.toThrow(/expected one of jsonl, csv/);
    await expect(run('--since', 'yesterday')).rejects.toThrow(/expected an RFC 3339 time/);
    await expect(run('--since', '2025-06-01')).rejects.toThrow(/expected an RFC 3339 time/);
    await expect(run('--after', '42')).rejects.toThrow(/expected an audit entry id/);

    const saved = process.exitCode;
    try {
      await run('--after', '00000000-0000-0000-0000-000000000001');
      expect(process.exitCode).toBe(2);
      expect(stderr.text()).toBe('error: no audit entry with id 00000000-0000-0000-0000-000000000001\n');
      expect(stdout.text()).toBe('');
    } finally {
      process.exitCode = saved;
    }
  });
});

describe('entries with the same time', () => {
  it('are exported once each, in id order, across batch boundaries', async () => {
    const time = new Date('2030-01-01T00:00:00Z');
    const same = await appendEntries(h.db, Array.from({ length: 7 }, (_, i) => entry({ userId: actorId, resourceTarget: `same-${i}`, time })));
    const out = sink();
    const r = await exportAuditLog(h.db, { format: 'jsonl', out: out.stream, since: time, batchSize: 2 });
    expect(r.exported).toBe(7);
    expect(out.text().trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual([...same].sort());
    const rest = sink();
    await exportAuditLog(h.db, { format: 'jsonl', out: rest.stream, after: [...same].sort()[2], batchSize: 3 });
    expect(rest.text().trimEnd().split('\n').map((l) => JSON.parse(l).id)).toEqual([...same].sort().slice(3));
  });
});
