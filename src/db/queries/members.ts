// Organization members: inserts settled by the primary key, deletes and role updates on locked
// rows, and the member lists (deprecated full list; keyset pages ordered by lower(username), the
// order Coder's PaginatedOrganizationMembers uses).
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Pool } from 'pg';
import type { DbOrTx, OrganizationMemberRow, Tx, UserStatus, LoginType } from '../index.js';
import type { MembersFilter, UsersFilter } from '../../http/searchquery.js';

/** A membership joined with what member payloads show of its user. */
export interface MemberWithUserRow extends OrganizationMemberRow {
  username: string;
  name: string;
  avatar_url: string;
  email: string;
  global_roles: string[];
  status: UserStatus;
  login_type: LoginType;
  last_seen_at: Date;
  user_created_at: Date;
  user_updated_at: Date;
}

const MEMBER_COLUMNS = sql`om.organization_id, om.user_id, om.created_at, om.updated_at, om.roles,
  u.username, u.name, u.avatar_url, u.email, u.rbac_roles AS global_roles, u.status, u.login_type,
  u.last_seen_at, u.created_at AS user_created_at, u.updated_at AS user_updated_at`;

/**
 * Adds memberships with no explicit roles; returns the user ids actually inserted. A user who is
 * already a member (also one added by a concurrent request) is skipped by the primary key.
 */
export async function insertMembers(tx: DbOrTx, organizationId: string, userIds: readonly string[]): Promise<OrganizationMemberRow[]> {
  if (userIds.length === 0) return [];
  const now = new Date();
  return tx
    .insertInto('organization_members')
    .values(userIds.map((user_id) => ({ organization_id: organizationId, user_id, created_at: now, updated_at: now, roles: [] })))
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing())
    .returningAll()
    .execute();
}

export async function deleteMember(tx: Tx, organizationId: string, userId: string): Promise<OrganizationMemberRow | undefined> {
  return tx
    .deleteFrom('organization_members')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
}

/** The membership, locked until the transaction ends (role changes judge the current roles). */
export async function lockMember(tx: Tx, organizationId: string, userId: string): Promise<OrganizationMemberRow | undefined> {
  return tx
    .selectFrom('organization_members')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

export async function updateMemberRoles(tx: Tx, organizationId: string, userId: string, roles: string[]): Promise<OrganizationMemberRow> {
  return tx
    .updateTable('organization_members')
    .set({ roles, updated_at: new Date() })
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** How the path named the organization: the default one, by id, or by (lower-cased) name. */
export type OrganizationRef = { kind: 'default' } | { kind: 'id'; id: string } | { kind: 'name'; name: string };
/** How the path named the user: by id (`me` included) or by (lower-cased) username. */
export type UserRef = { kind: 'id'; id: string } | { kind: 'username'; username: string };

/**
 * The organization and one of its members with user data in a single round trip, as a named
 * (prepared, generically planned) statement per shape of reference: the hot path of
 * `GET /organizations/{org}/members/{user}`. `org_id` is null when no live organization matches;
 * the member columns are null when the user is not a live member of it.
 */
export async function organizationAndMember(
  pool: Pool,
  org: OrganizationRef,
  user: UserRef,
): Promise<{ orgId: string | null; member: MemberWithUserRow | null }> {
  const orgMatch = org.kind === 'default' ? 'o.is_default AND $1::text IS NULL' : org.kind === 'id' ? 'o.id = $1::uuid' : 'lower(o.name) = $1';
  const userMatch = user.kind === 'id' ? 'u.id = $2::uuid' : 'lower(u.username) = $2';
  const text = `
    SELECT o.id AS org_id, m.*
      FROM organizations o
      LEFT JOIN LATERAL (
        SELECT om.organization_id, om.user_id, om.created_at, om.updated_at, om.roles,
               u.username, u.name, u.avatar_url, u.email, u.rbac_roles AS global_roles, u.status, u.login_type,
               u.last_seen_at, u.created_at AS user_created_at, u.updated_at AS user_updated_at
          FROM users u JOIN organization_members om ON om.user_id = u.id AND om.organization_id = o.id
         WHERE ${userMatch} AND NOT u.deleted) m ON true
     WHERE ${orgMatch} AND NOT o.deleted`;
  const orgValue = org.kind === 'id' ? org.id : org.kind === 'name' ? org.name.toLowerCase() : null;
  const userValue = user.kind === 'id' ? user.id : user.username.toLowerCase();
  const { rows } = await pool.query<MemberWithUserRow & { org_id: string }>({
    name: `orgd_org_member_${org.kind}_${user.kind}`,
    text,
    values: [orgValue, userValue],
  });
  const row = rows[0];
  if (!row) return { orgId: null, member: null };
  const { org_id, ...member } = row;
  return { orgId: org_id, member: member.user_id ? member : null };
}

/** Members of the deprecated `GET /organizations/{org}/members`, filtered by `visible`. */
export async function listMembers(
  db: DbOrTx,
  organizationId: string,
  filter: MembersFilter,
  visible: RawBuilder<SqlBool>,
): Promise<MemberWithUserRow[]> {
  const terms: RawBuilder<unknown>[] = [sql`NOT u.deleted`, visible];
  if (!filter.includeSystem) terms.push(sql`NOT u.is_system`);
  if (filter.userId) terms.push(sql`om.user_id = ${filter.userId}::uuid`);
  if (filter.githubUserId) terms.push(sql`u.github_com_user_id = ${filter.githubUserId}::bigint`);
  const { rows } = await sql<MemberWithUserRow>`
    SELECT ${MEMBER_COLUMNS}
      FROM organization_members om JOIN users u ON u.id = om.user_id
     WHERE om.organization_id = ${organizationId}::uuid AND ${sql.join(terms, sql` AND `)}
     ORDER BY lower(u.username)`.execute(db);
  return rows;
}

/** Whether the users filter narrows anything (an unfiltered count comes from the counter table). */
export function usersFilterIsEmpty(f: UsersFilter): boolean {
  return (
    !f.search && !f.name && !f.username && !f.email && f.status.length === 0 && f.serviceAccount === null &&
    f.role.length === 0 && !f.lastSeenAfter && !f.lastSeenBefore && !f.createdAfter && !f.createdBefore &&
    f.githubComUserId === null && f.loginType.length === 0
  );
}

/** The users search of `q` as SQL over `u` (Coder's GetUsers / PaginatedOrganizationMembers filters). */
function usersFilterSql(f: UsersFilter): RawBuilder<SqlBool>[] {
  const t: RawBuilder<SqlBool>[] = [];
  if (f.search) t.push(sql`(u.email ILIKE ${'%' + f.search + '%'} OR u.username ILIKE ${'%' + f.search + '%'})`);
  if (f.name) t.push(sql`u.name ILIKE ${'%' + f.name + '%'}`);
  if (f.username) t.push(sql`lower(u.username) = ${f.username.toLowerCase()}`);
  if (f.email) t.push(sql`lower(u.email) = ${f.email.toLowerCase()}`);
  if (f.status.length) t.push(sql`u.status = ANY(${f.status}::user_status[])`);
  // orgd has no service accounts: asking for them finds nobody.
  if (f.serviceAccount === true) t.push(sql<SqlBool>`false`);
  // Everyone holds `member`, so a role filter naming it filters nothing.
  if (f.role.length && !f.role.includes('member')) t.push(sql`u.rbac_roles && ${f.role}::text[]`);
  if (f.lastSeenBefore) t.push(sql`u.last_seen_at <= ${f.lastSeenBefore}`);
  if (f.lastSeenAfter) t.push(sql`u.last_seen_at >= ${f.lastSeenAfter}`);
  if (f.createdBefore) t.push(sql`u.created_at <= ${f.createdBefore}`);
  if (f.createdAfter) t.push(sql`u.created_at >= ${f.createdAfter}`);
  if (f.githubComUserId) t.push(sql`u.github_com_user_id = ${f.githubComUserId}::bigint`);
  if (f.loginType.length) t.push(sql`u.login_type = ANY(${f.loginType}::login_type[])`);
  return t;
}

export interface MembersPage {
  rows: MemberWithUserRow[];
  /** Every member matching the filter, whatever the cursor, offset and limit. */
  count: number;
}

/**
 * A page of an organization's members ordered by lower(username) (unique among live users).
 * `afterId` is a keyset cursor: rows strictly after that user's username; an unknown cursor gives
 * an empty page, as Coder's. The plan walks the username index from the cursor and probes the
 * membership primary key, so a page costs the same at any depth.
 */
export async function paginatedMembers(
  db: DbOrTx,
  organizationId: string,
  filter: UsersFilter,
  page: { afterId?: string; limit: number; offset: number },
): Promise<MembersPage> {
  // PostgreSQL text cannot hold NUL, so no stored user matches a term containing one (and sending
  // it would be an encoding error).
  if ([filter.search, filter.name, filter.username, filter.email, ...filter.role].some((t) => t.includes('\0'))) {
    return { rows: [], count: 0 };
  }
  const terms = [sql<SqlBool>`NOT u.deleted`, sql<SqlBool>`NOT u.is_system`, ...usersFilterSql(filter)];
  const where = sql.join(terms, sql` AND `);
  const cursor = page.afterId
    ? sql`AND lower(u.username) > (SELECT lower(username) FROM users WHERE id = ${page.afterId}::uuid)`
    : sql``;
  const rowsQuery = sql<MemberWithUserRow>`
    SELECT ${MEMBER_COLUMNS}
      FROM users u JOIN organization_members om ON om.user_id = u.id AND om.organization_id = ${organizationId}::uuid
     WHERE ${where} ${cursor}
     ORDER BY lower(u.username)
     LIMIT ${page.limit > 0 ? page.limit : null} OFFSET ${page.offset}`;
  const countQuery = usersFilterIsEmpty(filter)
    ? sql<{ n: string }>`SELECT COALESCE((SELECT members FROM organization_member_counts WHERE organization_id = ${organizationId}::uuid), 0) AS n`
    : sql<{ n: string }>`
        SELECT count(*) AS n
          FROM users u JOIN organization_members om ON om.user_id = u.id AND om.organization_id = ${organizationId}::uuid
         WHERE ${where}`;
  const [rows, count] = await Promise.all([rowsQuery.execute(db), countQuery.execute(db)]);
  return { rows: rows.rows, count: Number(count.rows[0]?.n ?? 0) };
}

/** Display names of the org's custom roles among `names` (one query for a whole page). */
export async function customRoleDisplayNames(db: DbOrTx, organizationId: string, names: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (names.length === 0) return out;
  const rows = await db
    .selectFrom('custom_roles')
    .select(['name', 'display_name'])
    .where('organization_id', '=', organizationId)
    .where(sql`lower(name)`, 'in', [...new Set(names.map((n) => n.toLowerCase()))])
    .execute();
  for (const r of rows) out.set(r.name.toLowerCase(), r.display_name);
  return out;
}

/** Lower-cased names of the org's custom roles (the role-assignment check asks about existence). */
export async function customRoleNamesOf(db: DbOrTx, organizationId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('custom_roles').select('name').where('organization_id', '=', organizationId).execute();
  return new Set(rows.map((r) => r.name.toLowerCase()));
}
