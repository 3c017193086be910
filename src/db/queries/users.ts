import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DbOrTx, LoginType, UserRow, UserStatus, UserUpdate } from '../index.js';

export interface InsertUserParams {
  email: string;
  username: string;
  name: string;
  hashedPassword: string;
  loginType: LoginType;
  status?: UserStatus;
  rbacRoles?: string[];
  organizationIds: string[];
}

/** Inserts a user and their memberships (empty explicit roles); unique violations propagate. */
export async function insertUser(tx: DbOrTx, p: InsertUserParams): Promise<UserRow> {
  const now = new Date();
  const user = await tx
    .insertInto('users')
    .values({
      id: randomUUID(),
      email: p.email,
      username: p.username,
      name: p.name,
      hashed_password: p.hashedPassword,
      login_type: p.loginType,
      status: p.status,
      rbac_roles: p.rbacRoles ?? [],
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const orgs = [...new Set(p.organizationIds)];
  if (orgs.length) {
    await tx
      .insertInto('organization_members')
      .values(orgs.map((organization_id) => ({ organization_id, user_id: user.id, created_at: now, updated_at: now })))
      .execute();
  }
  return user;
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .where('deleted', '=', false)
    .executeTakeFirst();
}

export async function countUsers(db: DbOrTx): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('deleted', '=', false).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function organizationIdsOf(db: DbOrTx, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('organization_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select('m.organization_id')
    .where('m.user_id', '=', userId)
    .where('o.deleted', '=', false)
    .orderBy('o.created_at')
    .execute();
  return rows.map((r) => r.organization_id);
}

export async function defaultOrganizationId(db: DbOrTx): Promise<string | undefined> {
  const row = await db.selectFrom('organizations').select('id').where('is_default', '=', true).executeTakeFirst();
  return row?.id;
}

// ---------------------------------------------------------------------------------------------
// Listing and changing users (GET /users and the /users/{user} mutations)

/** What `GET /users?q=` may filter on; empty strings, empty lists and nulls mean "no filter". */
export interface UserSearch {
  /** Case-insensitive substring of the username or the e-mail. */
  search: string;
  /** Case-insensitive substring of the real name. */
  name: string;
  /** Exact username, case-insensitive. */
  username: string;
  /** Exact e-mail, case-insensitive. */
  email: string;
  status: readonly UserStatus[];
  /** Site role names; `member` matches everyone, as every user is a member. */
  role: readonly string[];
  loginType: readonly LoginType[];
  /** orgd has no service accounts: `true` matches nobody. */
  serviceAccount: boolean | null;
  lastSeenAfter: Date | null;
  lastSeenBefore: Date | null;
  createdAfter: Date | null;
  createdBefore: Date | null;
  /** Decimal GitHub user id. */
  githubComUserId: string | null;
}

export interface ListUsersParams {
  search: UserSearch;
  /** SQL predicate over `users` selecting the rows the caller may read. */
  visible: RawBuilder<SqlBool>;
  /** The caller may read every user (`visible` is `true`): counts may come from user_counts. */
  visibleToAll: boolean;
  /** SQL predicate over `organization_members` (`m`) selecting memberships the caller may see. */
  visibleOrgs: RawBuilder<SqlBool>;
  /** Keyset cursor: rows after this user in lower(username) order. */
  afterId?: string;
  /** 0: no limit. */
  limit: number;
  offset: number;
}

export type UserWithOrgs = UserRow & { organization_ids: string[] };

/** A LIKE pattern matching `s` literally anywhere. */
function containsPattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE clause of a user search. Each term is written so that an index can serve it. */
function userSearchConditions(p: ListUsersParams): RawBuilder<SqlBool> {
  const s = p.search;
  const c: RawBuilder<SqlBool>[] = [sql<SqlBool>`users.deleted = false`, sql<SqlBool>`users.is_system = false`, p.visible];
  // PostgreSQL text cannot hold NUL, so no stored user matches a term containing one (and sending
  // it would be an encoding error).
  const texts = [s.search, s.name, s.username, s.email, ...s.role];
  if (texts.some((t) => t.includes('\0'))) return sql<SqlBool>`false`;
  if (p.afterId) {
    // The cursor row itself may be anything (even deleted): its username only marks the place.
    c.push(sql<SqlBool>`lower(users.username) > (SELECT lower(cursor_user.username) FROM users cursor_user WHERE cursor_user.id = ${p.afterId}::uuid)`);
  }
  if (s.search) {
    const pattern = containsPattern(s.search);
    c.push(sql<SqlBool>`(users.username ILIKE ${pattern} OR users.email ILIKE ${pattern})`);
  }
  if (s.name) c.push(sql<SqlBool>`users.name ILIKE ${containsPattern(s.name)}`);
  if (s.username) c.push(sql<SqlBool>`lower(users.username) = ${s.username.toLowerCase()}`);
  if (s.email) c.push(sql<SqlBool>`lower(users.email) = ${s.email.toLowerCase()}`);
  if (s.status.length) c.push(sql<SqlBool>`users.status = ANY(${[...s.status]}::user_status[])`);
  if (s.role.length && !s.role.includes('member')) c.push(sql<SqlBool>`users.rbac_roles && ${[...s.role]}::text[]`);
  if (s.loginType.length) c.push(sql<SqlBool>`users.login_type = ANY(${[...s.loginType]}::login_type[])`);
  if (s.serviceAccount === true) c.push(sql<SqlBool>`false`);
  if (s.lastSeenAfter) c.push(sql<SqlBool>`users.last_seen_at >= ${s.lastSeenAfter}`);
  if (s.lastSeenBefore) c.push(sql<SqlBool>`users.last_seen_at <= ${s.lastSeenBefore}`);
  if (s.createdAfter) c.push(sql<SqlBool>`users.created_at >= ${s.createdAfter}`);
  if (s.createdBefore) c.push(sql<SqlBool>`users.created_at <= ${s.createdBefore}`);
  if (s.githubComUserId) c.push(sql<SqlBool>`users.github_com_user_id = ${s.githubComUserId}::bigint`);
  return sql<SqlBool>`${sql.join(c, sql` AND `)}`;
}

/**
 * One page of users in lower(username) order with the number of matches (Coder counts after the
 * cursor, before limit and offset), and each user's organization ids (memberships the caller may
 * see, oldest organization first), all in one statement and one snapshot. The count is a separate
 * aggregate rather than a window over the page, so it can run from an index alone.
 */
/**
 * The counters of 0006_user_counts answer the count when the search is only status, login type
 * and at most one site role (`member` is everyone), the caller sees every user and there is no
 * cursor; any other search counts its matches.
 */
function countFromCounters(p: ListUsersParams): RawBuilder<unknown> | undefined {
  const s = p.search;
  if (!p.visibleToAll || p.afterId) return undefined;
  if (s.search || s.name || s.username || s.email || s.serviceAccount !== null || s.githubComUserId) return undefined;
  if (s.lastSeenAfter || s.lastSeenBefore || s.createdAfter || s.createdBefore) return undefined;
  const roles = s.role.includes('member') ? [] : [...new Set(s.role)];
  if (roles.length > 1 || roles.some((r) => r.includes('\0'))) return undefined;
  const conditions: RawBuilder<SqlBool>[] = [sql<SqlBool>`role = ${roles[0] ?? ''}`];
  if (s.status.length) conditions.push(sql<SqlBool>`status = ANY(${[...s.status]}::user_status[])`);
  if (s.loginType.length) conditions.push(sql<SqlBool>`login_type = ANY(${[...s.loginType]}::login_type[])`);
  return sql`(SELECT COALESCE(sum(n), 0) AS n FROM user_counts WHERE ${sql.join(conditions, sql` AND `)})`;
}

export async function listUsers(db: DbOrTx, p: ListUsersParams): Promise<{ users: UserWithOrgs[]; count: number }> {
  const where = userSearchConditions(p);
  const total = countFromCounters(p) ?? sql`(SELECT count(*) AS n FROM users WHERE ${where})`;
  const { rows } = await sql<UserWithOrgs & { total: string }>`
    SELECT total.n AS total, page.*,
           COALESCE((SELECT array_agg(m.organization_id::text ORDER BY o.created_at, o.id)
                       FROM organization_members m
                       JOIN organizations o ON o.id = m.organization_id AND o.deleted = false
                      WHERE m.user_id = page.id AND ${p.visibleOrgs}), '{}') AS organization_ids
      FROM ${total} total
      LEFT JOIN LATERAL (
        SELECT users.* FROM users WHERE ${where}
         ORDER BY lower(users.username) ASC
        OFFSET ${p.offset} LIMIT ${p.limit === 0 ? null : p.limit}
      ) page ON true
     ORDER BY lower(page.username) ASC`.execute(db);
  const count = rows.length ? Number(rows[0]!.total) : 0;
  const users = rows
    .filter((r) => r.id !== null)
    .map(({ total: _total, ...user }) => user as UserWithOrgs);
  return { users, count };
}

/** Any live user holding this username or this e-mail (case-insensitive). */
export async function findUserByEmailOrUsername(db: DbOrTx, email: string, username: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('deleted', '=', false)
    .where((eb) =>
      eb.or([eb(sql`lower(username)`, '=', username.toLowerCase()), eb(sql`lower(email)`, '=', email.toLowerCase())]),
    )
    .executeTakeFirst();
}

/** Locks and returns the live user, for a read-check-write in one transaction. */
export async function lockUser(tx: DbOrTx, id: string): Promise<UserRow | undefined> {
  return tx.selectFrom('users').selectAll().where('id', '=', id).where('deleted', '=', false).forUpdate().executeTakeFirst();
}

export async function updateUser(tx: DbOrTx, id: string, set: UserUpdate): Promise<UserRow | undefined> {
  return tx
    .updateTable('users')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', id)
    .where('deleted', '=', false)
    .returningAll()
    .executeTakeFirst();
}

/** Soft delete; the database trigger removes the user's API keys and links in the same statement. */
export async function softDeleteUser(tx: DbOrTx, id: string): Promise<UserRow | undefined> {
  return updateUser(tx, id, { deleted: true });
}

/** Sets a new password hash and signs the user out everywhere. */
export async function updateUserPassword(tx: DbOrTx, id: string, hashedPassword: string): Promise<UserRow | undefined> {
  const user = await updateUser(tx, id, { hashed_password: hashedPassword });
  if (user) await tx.deleteFrom('api_keys').where('user_id', '=', id).execute();
  return user;
}

/** The user's memberships of live organizations with their explicit roles. */
export async function membershipRolesOf(db: DbOrTx, userId: string): Promise<{ organization_id: string; roles: string[] }[]> {
  return db
    .selectFrom('organization_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select(['m.organization_id', 'm.roles'])
    .where('m.user_id', '=', userId)
    .where('o.deleted', '=', false)
    .orderBy('o.created_at')
    .execute();
}

/** The ids among `ids` that name live (not deleted) organizations. */
export async function liveOrganizationIds(db: DbOrTx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('organizations').select('id').where('id', 'in', [...ids]).where('deleted', '=', false).execute();
  return new Set(rows.map((r) => r.id));
}
