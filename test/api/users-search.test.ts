// GET /users: the `q` grammar (free text, keys, quoting, every error), pagination by offset and by
// after_id, counts, and what each caller may see (rows and organization ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { apiOf, createFirstUser, startTestServer, type Api, type TestServer } from '../helpers/server.js';
import { defaultOrgId, makeUser, type TestUser } from '../helpers/users.js';

let server: TestServer;
let api: Api;
let sql: pg.Pool;
let ownerToken: string;
let orgId: string;
let otherOrgId: string;
let member: TestUser;
let auditor: TestUser;
let orgAdmin: TestUser;

interface Seed {
  username: string;
  email: string;
  name: string;
  status: 'active' | 'dormant' | 'suspended';
  roles: string[];
  login: 'password' | 'github' | 'oidc' | 'none';
  created: string;
  seen: string;
}

// 24 users with distinct, predictable attributes.
const SEEDS: Seed[] = Array.from({ length: 24 }, (_, i) => {
  const letter = String.fromCharCode(97 + i);
  return {
    username: `zed-${letter}${i % 3 === 0 ? '-Ops' : ''}`,
    email: `${letter}${i}@${i % 2 ? 'corp.example' : 'example.org'}`,
    name: i % 4 === 0 ? `John ${letter.toUpperCase()} Doe` : `Person ${i}`,
    status: i % 5 === 0 ? 'suspended' : i % 3 === 0 ? 'dormant' : 'active',
    roles: i % 6 === 0 ? ['auditor'] : i === 7 ? ['owner', 'template-admin'] : [],
    login: i % 8 === 1 ? 'github' : i % 8 === 2 ? 'none' : 'password',
    created: new Date(Date.UTC(2024, 0, 1 + i)).toISOString(),
    seen: new Date(Date.UTC(2024, 6, 1 + i)).toISOString(),
  };
});
const byName = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
const seeded = (pred: (s: Seed) => boolean) => SEEDS.filter(pred).map((s) => s.username).sort(byName);

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  sql = new pg.Pool({ connectionString: server.dbUrl, max: 2 });
  ownerToken = (await createFirstUser(server.app)).token;
  orgId = await defaultOrgId(server);
  otherOrgId = randomUUID();
  await sql.query(`INSERT INTO organizations (id, name, display_name) VALUES ($1, 'second', 'Second')`, [otherOrgId]);
  for (const s of SEEDS) {
    await sql.query(
      `INSERT INTO users (id, email, username, name, status, rbac_roles, login_type, created_at, updated_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
      [randomUUID(), s.email, s.username, s.name, s.status, s.roles, s.login, s.created, s.seen],
    );
  }
  // zed-b is in both organizations.
  await sql.query(
    `INSERT INTO organization_members (organization_id, user_id)
     SELECT o, u.id FROM users u, unnest($1::uuid[]) o WHERE u.username = 'zed-b'`,
    [[orgId, otherOrgId]],
  );
  member = await makeUser(server, { username: 'aa-member', orgs: { [orgId]: [] } });
  auditor = await makeUser(server, { username: 'aa-auditor', siteRoles: ['auditor'], orgs: { [orgId]: [] } });
  orgAdmin = await makeUser(server, { username: 'aa-orgadmin', orgs: { [orgId]: ['organization-admin'] } });
});
afterAll(async () => {
  await sql.end();
  await server.close();
});

async function list(query: string, token = ownerToken): Promise<{ status: number; names: string[]; count: number; body: any }> {
  const res = await api('GET', `/api/v2/users${query}`, { token });
  const body = res.json();
  return { status: res.statusCode, names: body.users?.map((u: { username: string }) => u.username) ?? [], count: body.count, body };
}
const q = (text: string) => `?q=${encodeURIComponent(text)}`;
const zed = (text = '') => q(`zed ${text}`);

describe('search grammar', () => {
  it('lists everyone in lower(username) order with the total count', async () => {
    const r = await list('');
    expect(r.status).toBe(200);
    expect(r.count).toBe(SEEDS.length + 4);
    expect(r.names.slice(0, 4)).toEqual(['aa-auditor', 'aa-member', 'aa-orgadmin', 'admin']);
    expect(r.names.slice(4)).toEqual(seeded(() => true));
    expect(r.body.users[0]).toMatchObject({ organization_ids: [orgId], roles: [{ name: 'auditor', display_name: 'Auditor' }] });
  });

  it('matches free text on username or e-mail, case-insensitively', async () => {
    expect((await list(q('ZED-A'))).names).toEqual(['zed-a-Ops']);
    expect((await list(q('corp.EXAMPLE'))).names).toEqual(seeded((s) => s.email.includes('corp.example')));
    expect((await list(q('search:ops'))).names).toEqual(seeded((s) => s.username.endsWith('-Ops')));
    // LIKE wildcards are literal characters.
    expect((await list(q('%'))).count).toBe(0);
    expect((await list(q('zed_a'))).count).toBe(0);
  });

  it('filters by status, role, login type, name and dates', async () => {
    expect((await list(zed('status:suspended'))).names).toEqual(seeded((s) => s.status === 'suspended'));
    expect((await list(zed('status:suspended,dormant'))).names).toEqual(seeded((s) => s.status !== 'active'));
    expect((await list(zed('status:suspended status:dormant'))).names).toEqual(seeded((s) => s.status !== 'active'));
    expect((await list(zed('role:auditor'))).names).toEqual(seeded((s) => s.roles.includes('auditor')));
    expect((await list(zed('role:owner'))).names).toEqual(['zed-h']);
    expect((await list(zed('role:member'))).count).toBe(SEEDS.length);
    expect((await list(zed('login_type:github,none'))).names).toEqual(seeded((s) => s.login === 'github' || s.login === 'none'));
    expect((await list(q('name:"john e doe"'))).names).toEqual(['zed-e']);
    expect((await list(q('name:john'))).names).toEqual(seeded((s) => s.name.startsWith('John')));
    // Timestamps hold colons, so they are quoted (the grammar splits on unquoted ':').
    expect((await list(zed('created_after:"2024-01-20T00:00:00Z"'))).names).toEqual(seeded((s) => s.created >= '2024-01-20'));
    expect((await list(zed('created_before:"2024-01-03t00:00:00z"'))).names).toEqual(['zed-a-Ops', 'zed-b', 'zed-c']);
    const seen = await list(zed('last_seen_after:"2024-07-23T00:00:00Z" last_seen_before:"2024-07-24T00:00:00+00:00"'));
    expect(seen.names).toEqual(['zed-w', 'zed-x']);
    expect((await list(zed('created_after:2024-01-20T00:00:00Z'))).status).toBe(400);
    expect((await list(q('username:ZED-B'))).names).toEqual(['zed-b']);
    expect((await list(q('email:B1@corp.example'))).names).toEqual(['zed-b']);
    expect((await list(zed('service_account:true'))).count).toBe(0);
    expect((await list(zed('status:active role:auditor'))).names).toEqual(
      seeded((s) => s.status === 'active' && s.roles.includes('auditor')),
    );
  });

  const errors: [string, { field: string; detail: string }[]][] = [
    ['status:foo', [{ field: 'status', detail: 'Query param "status" has invalid values: "foo" is not a valid value' }]],
    ['colour:red', [{ field: 'colour', detail: '"colour" is not a valid query param' }]],
    [':alone', [{ field: 'q', detail: `Query element ":alone" cannot start or end with ':'` }]],
    ['trailing:', [{ field: 'q', detail: `Query element "trailing:" cannot start or end with ':'` }]],
    ['a:b:c', [{ field: 'q', detail: `Query element "a:b:c" can only contain 1 ':'` }]],
    ['login_type:saml', [{ field: 'login_type', detail: 'Query param "login_type" has invalid values: "saml" is not a valid value' }]],
    ['name:a name:b', [{ field: 'name', detail: 'Query param "name" provided more than once, found 2 times. Only provide 1 instance of this query param.' }]],
    [
      'created_after:yesterday',
      [
        {
          field: 'created_after',
          detail:
            'Query param "created_after" must be a valid date format (2006-01-02T15:04:05.999999999Z07:00): parsing time "YESTERDAY" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "YESTERDAY" as "2006"',
        },
      ],
    ],
    ['github_com_user_id:x', [{ field: 'github_com_user_id', detail: 'Query param "github_com_user_id" must be a valid 64-bit integer: strconv.ParseInt: parsing "x": invalid syntax' }]],
  ];
  for (const [text, validations] of errors) {
    it(`answers 400 for ${text}`, async () => {
      const res = await api('GET', `/api/v2/users${q(text)}`, { token: ownerToken });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ message: 'Invalid user search query.', validations });
    });
  }
});

describe('pagination', () => {
  it('pages by offset and limit, the count ignoring both', async () => {
    const all = (await list(zed())).names;
    const page = await list(`${zed()}&limit=5&offset=5`);
    expect(page.names).toEqual(all.slice(5, 10));
    expect(page.count).toBe(all.length);
    const past = await list(`${zed()}&limit=5&offset=500`);
    expect(past.body).toEqual({ users: [], count: all.length });
    expect((await list(`${zed()}&limit=0`)).names).toEqual(all);
  });

  it('pages by after_id through the whole list without gaps or repeats', async () => {
    const full = (await list(zed())).body.users as { id: string; username: string }[];
    const walked: string[] = [];
    let cursor = '';
    for (let i = 0; i < 20; i++) {
      const r = await list(`${zed()}&limit=7${cursor ? `&after_id=${cursor}` : ''}`);
      expect(r.count).toBe(full.length - walked.length); // Coder counts what follows the cursor
      if (r.names.length === 0) break;
      walked.push(...r.names);
      cursor = r.body.users.at(-1).id;
    }
    expect(walked).toEqual(full.map((u) => u.username));
    // A cursor combines with offset; an unknown cursor matches nothing.
    expect((await list(`${zed()}&after_id=${full[2]!.id}&offset=1&limit=2`)).names).toEqual([full[4]!.username, full[5]!.username]);
    expect((await list(`?after_id=${randomUUID()}`)).body).toEqual({ users: [], count: 0 });
  });

  it('answers 400 for bad pagination parameters', async () => {
    const cases: [string, string][] = [
      ['limit=-1', 'Query param "limit" must be a valid 32-bit positive integer: value is negative'],
      ['offset=abc', 'Query param "offset" must be a valid 32-bit positive integer: strconv.ParseInt: parsing "abc": invalid syntax'],
      ['after_id=nope', 'Query param "after_id" must be a valid uuid'],
      ['limit=1&limit=2', 'Query param "limit" provided more than once, found 2 times. Only provide 1 instance of this query param.'],
    ];
    for (const [query, detail] of cases) {
      const res = await api('GET', `/api/v2/users?${query}`, { token: ownerToken });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().message).toBe('Query parameters have invalid values.');
      expect(res.json().validations[0].detail).toBe(detail);
    }
  });
});

describe('visibility', () => {
  it('shows a member only themselves', async () => {
    const r = await list('', member.token);
    expect(r.names).toEqual(['aa-member']);
    expect(r.count).toBe(1);
    expect((await list(q('zed'), member.token)).body).toEqual({ users: [], count: 0 });
  });

  it('shows auditors everyone, with every organization they can read', async () => {
    const r = await list(q('username:zed-b'), auditor.token);
    expect(r.body.users[0].organization_ids.sort()).toEqual([orgId, otherOrgId].sort());
  });

  it("limits organization ids to the caller's readable organizations", async () => {
    const r = await list(q('username:zed-b'), orgAdmin.token);
    expect(r.names).toEqual(['zed-b']);
    expect(r.body.users[0].organization_ids).toEqual([orgId]);
    // The same rule on the single-user route.
    const one = await api('GET', '/api/v2/users/zed-b', { token: orgAdmin.token });
    expect(one.json().organization_ids).toEqual([orgId]);
  });

  it('never lists deleted or system users', async () => {
    await sql.query(`UPDATE users SET deleted = true WHERE username = 'zed-c'`);
    await sql.query(`UPDATE users SET is_system = true WHERE username = 'zed-d-Ops'`);
    const r = await list(zed());
    expect(r.names).not.toContain('zed-c');
    expect(r.names).not.toContain('zed-d-Ops');
    expect(r.count).toBe(SEEDS.length - 2);
    await sql.query(`UPDATE users SET deleted = false WHERE username = 'zed-c'`);
    await sql.query(`UPDATE users SET is_system = false WHERE username = 'zed-d-Ops'`);
  });
});
