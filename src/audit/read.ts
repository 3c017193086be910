// Reading the audit log: one SQL statement per page answers the entries with their actor, their
// organization and whether their resource is gone (joins, never a lookup per row), plus a count
// that stops at a cap so that the first page of a million-row log costs what any page costs.
// Pages are newest first by (time desc, id desc), an index order, with a keyset cursor.
import { NIL_UUID } from '../db/index.js';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DbOrTx, LoginType, UserStatus } from '../db/index.js';

/** The count stops here (Coder's `count_cap`): a count above it answers `cap + 1` ("more than"). */
export const AUDIT_COUNT_CAP = 2000;

/** Page size when the caller asks for none (limit 0 or absent), as Coder's audit query does. */
export const AUDIT_DEFAULT_LIMIT = 100;

/** The search with every name already resolved; null means "no filter". */
export interface AuditSearch {
  requestId: string | null;
  resourceId: string | null;
  resourceTarget: string | null;
  /** Actor by id (`username:me`). */
  userId: string | null;
  /** Actor by username, case-insensitive, deleted users included. */
  username: string | null;
  /** Actor by e-mail, case-insensitive. */
  email: string | null;
  dateFrom: Date | null;
  dateTo: Date | null;
  organizationId: string | null;
  resourceType: string | null;
  action: string | null;
  buildReason: string | null;
}

export interface AuditPageQuery {
  search: AuditSearch;
  /** Which entries the caller may read (an authorizedRows predicate over `a.organization_id`). */
  visible: RawBuilder<SqlBool>;
  /** Keyset cursor: entries strictly older than this entry in (time desc, id desc) order. */
  afterId?: string;
  limit: number;
  offset: number;
  countCap?: number;
}

/** The actor as stored in users (null when the user row is gone). */
export interface AuditActor {
  id: string;
  username: string;
  name: string;
  email: string;
  avatar_url: string;
  created_at: Date;
  updated_at: Date;
  last_seen_at: Date;
  status: UserStatus;
  login_type: LoginType;
  rbac_roles: string[];
}

export interface AuditListEntry {
  id: string;
  seq: string;
  /** RFC 3339 with the stored microseconds (Go's RFC3339Nano rendering). */
  time: string;
  user_id: string;
  organization_id: string;
  ip: string;
  user_agent: string;
  resource_type: string;
  resource_id: string;
  resource_target: string;
  resource_icon: string;
  action: string;
  diff: Record<string, unknown>;
  status_code: number;
  additional_fields: Record<string, unknown>;
  request_id: string;
  /** The resource no longer exists or is soft-deleted (users and organizations). */
  is_deleted: boolean;
  user: AuditActor | null;
  /** Null when the entry is in no organization. */
  organization: { id: string; name: string; display_name: string; icon: string } | null;
}

export interface AuditPage {
  entries: AuditListEntry[];
  /** Matches of the search (cursor aside), counted up to `countCap + 1`. */
  count: number;
  countCap: number;
}


/**
 * The timestamp as Go's RFC3339Nano writes it: UTC, fractional seconds without trailing zeros.
 * PostgreSQL renders the text so that microseconds survive (a JS Date keeps milliseconds).
 */
export const goTimeSql = (column: string): RawBuilder<string> =>
  sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function trimGoTime(text: string): string {
  return text.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** The search as SQL over `audit_logs a`; every term can use an index ending in (time, id). */
export function auditSearchSql(s: AuditSearch): RawBuilder<SqlBool> {
  // PostgreSQL text cannot hold NUL, so nothing stored matches a term containing one (and sending
  // it would be an encoding error).
  if ([s.resourceTarget, s.username, s.email].some((t) => t?.includes('\0'))) return sql<SqlBool>`false`;
  const terms: RawBuilder<SqlBool>[] = [];
  if (s.requestId) terms.push(sql`a.request_id = ${s.requestId}::uuid`);
  if (s.resourceId) terms.push(sql`a.resource_id = ${s.resourceId}::uuid`);
  if (s.resourceTarget !== null) terms.push(sql`a.resource_target = ${s.resourceTarget}`);
  if (s.userId) terms.push(sql`a.user_id = ${s.userId}::uuid`);
  if (s.username !== null) {
    terms.push(sql`a.user_id IN (SELECT su.id FROM users su WHERE lower(su.username) = lower(${s.username}))`);
  }
  if (s.email !== null) {
    terms.push(sql`a.user_id IN (SELECT su.id FROM users su WHERE lower(su.email) = lower(${s.email}))`);
  }
  if (s.dateFrom) terms.push(sql`a.time >= ${s.dateFrom.toISOString()}::timestamptz`);
  if (s.dateTo) terms.push(sql`a.time <= ${s.dateTo.toISOString()}::timestamptz`);
  if (s.organizationId) terms.push(sql`a.organization_id = ${s.organizationId}::uuid`);
  if (s.resourceType !== null) terms.push(sql`a.resource_type = ${s.resourceType}`);
  if (s.action !== null) terms.push(sql`a.action = ${s.action}`);
  if (s.buildReason !== null) {
    // Spelled like the partial index so the planner can use it.
    terms.push(sql`(a.additional_fields ? 'build_reason' AND a.additional_fields ->> 'build_reason' = ${s.buildReason})`);
  }
  if (terms.length === 0) return sql<SqlBool>`true`;
  return sql<SqlBool>`(${sql.join(terms, sql` AND `)})`;
}

interface PageRow {
  count: number;
  id: string | null;
  seq: string;
  time_text: string;
  user_id: string;
  organization_id: string;
  ip: string | null;
  user_agent: string;
  resource_type: string;
  resource_id: string;
  resource_target: string;
  resource_icon: string;
  action: string;
  diff: Record<string, unknown>;
  status_code: number;
  additional_fields: Record<string, unknown>;
  request_id: string;
  is_deleted: boolean;
  u_id: string | null;
  u_username: string;
  u_name: string;
  u_email: string;
  u_avatar_url: string;
  u_created_at: Date;
  u_updated_at: Date;
  u_last_seen_at: Date;
  u_status: UserStatus;
  u_login_type: LoginType;
  u_rbac_roles: string[];
  o_name: string | null;
  o_display_name: string | null;
  o_icon: string | null;
}

/** One page of the audit log and its capped count, in a single statement. */
export async function listAuditLogs(db: DbOrTx, q: AuditPageQuery): Promise<AuditPage> {
  const cap = q.countCap ?? AUDIT_COUNT_CAP;
  const where = sql<SqlBool>`${auditSearchSql(q.search)} AND ${q.visible}`;
  const cursor = q.afterId
    ? sql<SqlBool>`(a.time, a.id) < (SELECT c.time, c.id FROM audit_logs c WHERE c.id = ${q.afterId}::uuid)`
    : sql<SqlBool>`true`;
  // The count runs on its own LIMITed subquery (it stops at cap + 1 rows); the page is an index
  // range of `limit` rows, joined afterwards to its actor, organization and resource.
  const { rows } = await sql<PageRow>`
    SELECT n.count, p.*
      FROM (SELECT count(*)::int AS count
              FROM (SELECT 1 FROM audit_logs a WHERE ${where} LIMIT ${cap + 1}) capped) n
      LEFT JOIN LATERAL (
        SELECT a.id, a.seq, a.time, ${goTimeSql('a.time')} AS time_text, a.user_id, a.organization_id,
               host(a.ip) AS ip, a.user_agent, a.resource_type, a.resource_id, a.resource_target,
               a.resource_icon, a.action, a.diff, a.status_code, a.additional_fields, a.request_id,
               CASE a.resource_type
                 WHEN 'user' THEN coalesce(ru.deleted, true)
                 WHEN 'organization' THEN coalesce(ro.deleted, true)
                 ELSE false
               END AS is_deleted,
               u.id AS u_id, u.username AS u_username, u.name AS u_name, u.email AS u_email,
               u.avatar_url AS u_avatar_url, u.created_at AS u_created_at, u.updated_at AS u_updated_at,
               u.last_seen_at AS u_last_seen_at, u.status AS u_status, u.login_type AS u_login_type,
               u.rbac_roles AS u_rbac_roles,
               o.name AS o_name, o.display_name AS o_display_name, o.icon AS o_icon
          FROM (SELECT * FROM audit_logs a
                 WHERE ${where} AND ${cursor}
                 ORDER BY a.time DESC, a.id DESC
                 LIMIT ${q.limit} OFFSET ${q.offset}) a
          LEFT JOIN users u ON u.id = a.user_id
          LEFT JOIN organizations o ON o.id = a.organization_id
          LEFT JOIN users ru ON a.resource_type = 'user' AND ru.id = a.resource_id
          LEFT JOIN organizations ro ON a.resource_type = 'organization' AND ro.id = a.resource_id
      ) p ON true
     ORDER BY p.time DESC, p.id DESC`.execute(db);

  const count = rows[0]?.count ?? 0;
  const entries: AuditListEntry[] = [];
  for (const r of rows) {
    if (r.id === null) continue; // the count's row when the page is empty
    entries.push({
      id: r.id,
      seq: String(r.seq),
      time: trimGoTime(r.time_text),
      user_id: r.user_id,
      organization_id: r.organization_id,
      ip: r.ip ?? '',
      user_agent: r.user_agent,
      resource_type: r.resource_type,
      resource_id: r.resource_id,
      resource_target: r.resource_target,
      resource_icon: r.resource_icon,
      action: r.action,
      diff: r.diff,
      status_code: r.status_code,
      additional_fields: r.additional_fields,
      request_id: r.request_id,
      is_deleted: r.is_deleted,
      user:
        r.u_id === null
          ? null
          : {
              id: r.u_id,
              username: r.u_username,
              name: r.u_name,
              email: r.u_email,
              avatar_url: r.u_avatar_url,
              created_at: r.u_created_at,
              updated_at: r.u_updated_at,
              last_seen_at: r.u_last_seen_at,
              status: r.u_status,
              login_type: r.u_login_type,
              rbac_roles: r.u_rbac_roles,
            },
      organization:
        r.organization_id === NIL_UUID
          ? null
          : { id: r.organization_id, name: r.o_name ?? '', display_name: r.o_display_name ?? '', icon: r.o_icon ?? '' },
    });
  }
  return { entries, count, countCap: cap };
}

// ---------------------------------------------------------------------------------------------
// Read-side texts (Coder's auditLogDescription / auditLogResourceLink)

const FRIENDLY_ACTION: Record<string, string> = {
  create: 'created',
  write: 'updated',
  delete: 'deleted',
  start: 'started',
  stop: 'stopped',
  login: 'logged in',
  logout: 'logged out',
  register: 'registered',
  request_password_reset: 'password reset requested',
  connect: 'connected',
  disconnect: 'disconnected',
  open: 'opened',
  close: 'closed',
};

const FRIENDLY_RESOURCE: Record<string, string> = {
  template: 'template',
  template_version: 'template version',
  user: 'user',
  workspace: 'workspace',
  // Coder words builds as the workspace they belong to.
  workspace_build: 'workspace',
  git_ssh_key: 'git ssh key',
  api_key: 'token',
  group: 'group',
  license: 'license',
  convert_login: 'login type conversion',
  workspace_proxy: 'workspace proxy',
  organization: 'organization',
  health_settings: 'health_settings',
  notifications_settings: 'notifications_settings',
  oauth2_provider_app: 'oauth2 app',
  oauth2_provider_app_secret: 'oauth2 app secret',
  custom_role: 'custom role',
  organization_member: 'organization member',
  notification_template: 'notification template',
  idp_sync_settings_organization: 'settings',
  idp_sync_settings_group: 'settings',
  idp_sync_settings_role: 'settings',
  workspace_agent: 'workspace agent',
  workspace_app: 'workspace app',
};

/**
 * The entry as a sentence with `{user}` and `{target}` placeholders the dashboard fills in, e.g.
 * `{user} created organization member {target}`; a failed request reads
 * `{user} unsuccessfully attempted to delete user {target}`. Sign-ins have no resource part.
 */
export function auditLogDescription(e: { action: string; resource_type: string; status_code: number }): string {
  // Anyone who knows an e-mail can request a reset, so the actor is not named.
  let s = e.action === 'request_password_reset' ? '' : '{user} ';
  s += e.status_code >= 400 ? `unsuccessfully attempted to ${e.action}` : (FRIENDLY_ACTION[e.action] ?? 'unknown');
  if (e.resource_type === 'api_key' && (e.action === 'login' || e.action === 'logout' || e.action === 'register')) return s;
  const resource = FRIENDLY_RESOURCE[e.resource_type] ?? 'unknown';
  if (e.resource_type === 'git_ssh_key') return `${s} the ${resource}`;
  s += e.action === 'request_password_reset' ? ' for' : ` ${resource}`;
  if (e.resource_type === 'convert_login') s += ' to';
  return `${s} {target}`;
}

/** Where the dashboard shows the resource; empty when it is gone or has no page. */
export function auditLogResourceLink(e: { resource_type: string; resource_target: string; resource_id: string; is_deleted: boolean }): string {
  if (e.is_deleted) return '';
  switch (e.resource_type) {
    case 'user':
      return `/users?filter=${e.resource_target}`;
    case 'template':
      return `/templates/${e.resource_target}`;
    case 'oauth2_provider_app':
      return `/deployment/oauth2-provider/apps/${e.resource_id}`;
    default:
      return '';
  }
}
