// Concurrency of membership changes is settled by the database: parallel adds of one user give one
// success and "already a member" for the rest, parallel role updates serialise on the membership
// row, and an add racing a remove leaves a state that matches the audit trail. Never a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { apiOf, createFirstUser, startTestServer, type Api, type Session, type TestServer } from '../helpers/server.js';
import { makeUser } from '../helpers/users.js';

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let owner: Session;
let orgId: string;

const memberUrl = (user: string) => `/api/v2/organizations/${orgId}/members/${user}`;

async function auditStatuses(userId: string, action: string): Promise<number[]> {
  const { rows } = await sql.query(
    `SELECT status_code FROM audit_logs WHERE resource_type = 'organization_member' AND resource_id = $1 AND action = $2 ORDER BY time, id`,
    [userId, action],
  );
  return rows.map((r) => r.status_code);
}

async function memberCount(): Promise<number> {
  const { rows } = await sql.query('SELECT members FROM organization_member_counts WHERE organization_id = $1', [orgId]);
  return Number(rows[0].members);
}

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  owner = await createFirstUser(server.app);
  const res = await api('POST', '/api/v2/organizations', { token: owner.token, body: { name: 'race' } });
  orgId = res.json().id;
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

describe('members under concurrency', () => {
  it('20 parallel adds of one user: one 200, nineteen "already a member", one row, one audit entry', async () => {
    const target = await makeUser(server, { username: 'raced' });
    const before = await memberCount();
    const answers = await Promise.all(Array.from({ length: 20 }, () => api('POST', memberUrl(target.id), { token: owner.token })));
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(400)]);
    for (const r of answers.filter((a) => a.statusCode === 400)) {
      expect(r.json()).toEqual({ message: 'User is already an organization member', detail: 'raced is already a member of race' });
    }
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM organization_members WHERE organization_id = $1 AND user_id = $2', [orgId, target.id]);
    expect(rows[0].n).toBe(1);
    expect(await auditStatuses(target.id, 'create')).toEqual([200]);
    expect(await memberCount()).toBe(before + 1);
  });

  it('20 parallel role updates: each 200 or 4xx, the final roles are one request, one audit entry per success', async () => {
    const target = await makeUser(server, { orgs: { [orgId]: [] } });
    const choices = [['organization-admin'], ['organization-auditor'], ['organization-user-admin'], ['organization-template-admin'], []];
    const requests = Array.from({ length: 20 }, (_, i) => choices[i % choices.length]!);
    const answers = await Promise.all(
      requests.map((roles) => api('PUT', `${memberUrl(target.id)}/roles`, { token: owner.token, body: { roles } })),
    );
    for (const r of answers) expect(r.statusCode, r.body).toBeLessThan(500);
    const successes = answers.filter((r) => r.statusCode === 200).length;
    expect(successes).toBeGreaterThan(0);
    const { rows } = await sql.query('SELECT roles FROM organization_members WHERE organization_id = $1 AND user_id = $2', [orgId, target.id]);
    expect(choices).toContainEqual(rows[0].roles);
    const audited = await auditStatuses(target.id, 'write');
    expect(audited.filter((s) => s === 200)).toHaveLength(successes);
    // Each entry's "old" is the state the previous success left: the chain of diffs replays to the final roles.
    const { rows: diffs } = await sql.query(
      `SELECT diff FROM audit_logs WHERE resource_id = $1 AND action = 'write' AND status_code = 200 ORDER BY time, id`,
      [target.id],
    );
    let roles: string[] = [];
    for (const { diff } of diffs) {
      if (diff.roles) {
        expect(diff.roles.old ?? []).toEqual(roles);
        roles = diff.roles.new ?? [];
      }
    }
    expect(roles).toEqual(rows[0].roles);
  });

  it('adds racing removes end consistent with the audit trail', async () => {
    for (let round = 0; round < 5; round++) {
      const target = await makeUser(server);
      const before = await memberCount();
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0 ? api('POST', memberUrl(target.id), { token: owner.token }) : api('DELETE', memberUrl(target.id), { token: owner.token }),
        ),
      );
      for (const r of answers) expect(r.statusCode, r.body).toBeLessThan(500);
      const adds = (await auditStatuses(target.id, 'create')).filter((s) => s === 200).length;
      const removes = (await auditStatuses(target.id, 'delete')).filter((s) => s === 204).length;
      expect(adds).toBe(answers.filter((r) => r.statusCode === 200).length);
      expect(removes).toBe(answers.filter((r) => r.statusCode === 204).length);
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM organization_members WHERE organization_id = $1 AND user_id = $2', [orgId, target.id]);
      // Every remove followed an add, so the user is a member iff adds outnumber removes.
      expect(rows[0].n).toBe(adds - removes);
      expect(await memberCount()).toBe(before + rows[0].n);
    }
  });
});
