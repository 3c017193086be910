// Atomicity of `audited`: the change and its entry commit together or not at all. A change that
// fails after writing leaves neither; a refused (4xx) attempt leaves only its own entry, with an
// empty diff and its status; an entry that cannot be written undoes the change. Many audited
// mutations at once spread over the chain's lanes and leave every lane intact.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { openDatabase, type DatabaseHandle, type Tx, type UserRow } from '../../src/db/index.js';
import { insertUser } from '../../src/db/queries/users.js';
import { audited } from '../../src/http/audited.js';
import { ApiError, forbidden } from '../../src/http/errors.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { resetAuditLog } from './helpers.js';

let testDb: TestDatabase;
let h: DatabaseHandle;
let actor: UserRow;
let target: UserRow;
const logged: unknown[] = [];

/** The parts of a request `audited` reads: the session's user, address, agent and request id. */
function request(): FastifyRequest {
  return {
    auth: { user: actor },
    ip: '::ffff:10.1.2.3',
    headers: { 'user-agent': 'audited-test' },
    id: randomUUID(),
    log: { error: (obj: unknown) => logged.push(obj) },
  } as unknown as FastifyRequest;
}

async function entries() {
  return (await h.pool.query('SELECT * FROM audit_logs ORDER BY time, id')).rows;
}
async function targetName(): Promise<string> {
  return (await h.pool.query('SELECT name FROM users WHERE id = $1', [target.id])).rows[0].name;
}

/** The change every case makes: rename the target user, recording old and new snapshots. */
async function rename(rec: { old?: UserRow; new?: UserRow }, tx: Tx, name: string): Promise<void> {
  rec.old = await tx.selectFrom('users').selectAll().where('id', '=', target.id).executeTakeFirstOrThrow();
  rec.new = await tx.updateTable('users').set({ name }).where('id', '=', target.id).returningAll().executeTakeFirstOrThrow();
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  h = openDatabase(testDb.url, { max: 20 });
  const mk = (username: string) =>
    insertUser(h.db, { email: `${username}@example.com`, username, name: 'Before', hashedPassword: '', loginType: 'password', status: 'active', rbacRoles: [], organizationIds: [] });
  actor = await mk('actor');
  target = await mk('target');
});
beforeEach(async () => {
  await resetAuditLog(h.pool);
  await h.pool.query(`UPDATE users SET name = 'Before' WHERE id = $1`, [target.id]);
});
afterAll(async () => {
  await h.close();
  await testDb.drop();
});

describe('audited', () => {
  it('commits the change with exactly one entry carrying its diff', async () => {
    const req = request();
    await audited<UserRow, void>(req, h.db, { action: 'write', resourceType: 'user', status: 200 }, (rec, tx) => rename(rec, tx, 'After'));
    expect(await targetName()).toBe('After');
    const rows = await entries();
    expect(rows).toHaveLength(1);
    expect(rows[0].chain).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({
      seq: '1',
      action: 'write',
      resource_type: 'user',
      resource_id: target.id,
      resource_target: 'target',
      user_id: actor.id,
      ip: '10.1.2.3',
      user_agent: 'audited-test',
      request_id: req.id,
      status_code: 200,
      diff: { name: { old: 'Before', new: 'After', secret: false } },
    });
    expect(await verifyAuditChain(h.db)).toMatchObject({ ok: true, checked: 1 });
  });

  it('leaves neither change nor entry when the handler fails after its change', async () => {
    await expect(
      audited<UserRow, void>(request(), h.db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
        await rename(rec, tx, 'After');
        throw new Error('boom after the change');
      }),
    ).rejects.toThrow('boom after the change');
    expect(await targetName()).toBe('Before');
    expect(await entries()).toEqual([]);
    expect((await h.pool.query('SELECT sum(seq)::int AS n FROM audit_chain_head')).rows[0].n).toBe(0);
  });

  it('records a refused attempt alone: change undone, empty diff, the error status', async () => {
    await expect(
      audited<UserRow, void>(request(), h.db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
        await rename(rec, tx, 'After');
        throw forbidden();
      }),
    ).rejects.toBeInstanceOf(ApiError);
    expect(await targetName()).toBe('Before');
    const rows = await entries();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status_code: 403, diff: {}, resource_id: target.id, resource_target: 'target', action: 'write' });
    expect(await verifyAuditChain(h.db)).toMatchObject({ ok: true, checked: 1 });
  });

  it('undoes the change when its entry cannot be written', async () => {
    await expect(
      audited<UserRow, void>(request(), h.db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
        await rename(rec, tx, 'After');
        rec.organizationId = 'not-a-uuid'; // the append fails on the uuid cast
      }),
    ).rejects.toThrow(/uuid/);
    expect(await targetName()).toBe('Before');
    expect(await entries()).toEqual([]);
  });

  it('writes nothing for a change that names no resource (Coder: no old, no new, no entry)', async () => {
    await audited<UserRow, void>(request(), h.db, { action: 'write', resourceType: 'user', status: 200 }, async (_rec, tx) => {
      await tx.updateTable('users').set({ name: 'Quiet' }).where('id', '=', target.id).execute();
    });
    expect(await targetName()).toBe('Quiet');
    expect(await entries()).toEqual([]);
  });

  it('spreads 40 concurrent audited mutations over the lanes, every lane intact', async () => {
    const { rows: users } = await h.pool.query<UserRow>(
      `INSERT INTO users (id, email, username, name, status, login_type)
       SELECT gen_random_uuid(), 'many' || g || '@example.com', 'many' || g, 'Before', 'active', 'password'
         FROM generate_series(1, 40) g
       RETURNING *`,
    );
    await Promise.all(
      users.map((u) =>
        audited<UserRow, void>(request(), h.db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
          rec.old = await tx.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
          rec.new = await tx.updateTable('users').set({ name: `After ${u.username}` }).where('id', '=', u.id).returningAll().executeTakeFirstOrThrow();
        }),
      ),
    );
    const rows = await entries();
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.resource_id))).toEqual(new Set(users.map((u) => u.id)));
    for (const r of rows) expect(r.diff).toEqual({ name: { old: 'Before', new: `After ${r.resource_target}`, secret: false } });
    expect(new Set(rows.map((r) => r.chain)).size).toBeGreaterThan(1);
    // Each lane holds seq 1..n without a gap, and the heads add up to the entries.
    const lanes = new Map<number, number[]>();
    for (const r of rows) lanes.set(r.chain, [...(lanes.get(r.chain) ?? []), Number(r.seq)]);
    for (const seqs of lanes.values()) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i + 1));
    expect((await h.pool.query('SELECT sum(seq)::int AS n FROM audit_chain_head')).rows[0].n).toBe(40);
    expect(await verifyAuditChain(h.db, { batchSize: 9 })).toMatchObject({ ok: true, checked: 40 });
  });
});
