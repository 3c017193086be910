// Session authentication (Coder's ExtractAPIKey): find the token, check its format, its secret, its
// expiry and its user's status, keep last_used and the sliding expiry fresh (at most hourly), and
// build the request's RBAC subject once. Answers 401 with Coder's messages and details.
import { sql } from 'kysely';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyRow, CustomRoleRow, Db, UserRow } from '../db/index.js';
import { loadSubject, type Subject, type SubjectSource } from '../rbac/index.js';
import { appendAuditEntry } from '../audit/recorder.js';
import { userAuditDiff } from '../audit/index.js';
import { ApiError, Messages, unauthorized } from './errors.js';
import { extractToken, parseApiKey, secretMatches } from './apikey.js';
import type { NotifyCache } from './notifycache.js';

export interface AuthState {
  key: ApiKeyRow;
  user: UserRow;
  subject: Subject;
  /** Site role names stored on the user (without the implied `member`). */
  siteRoles: string[];
  /** Organization id -> explicit org role names of that membership. */
  memberships: Map<string, string[]>;
  groups: string[];
}

export interface AuthContext extends AuthState {
  token: string;
}

const HOUR_MS = 3_600_000;

async function loadKeyAndUser(db: Db, keyId: string): Promise<{ key: ApiKeyRow; user: UserRow } | undefined> {
  const key = await db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  if (!key) return undefined;
  const user = await db.selectFrom('users').selectAll().where('id', '=', key.user_id).executeTakeFirst();
  if (!user) return undefined;
  return { key, user };
}

/**
 * Everything the subject is made of, in one round trip: the user's memberships of live
 * organizations (explicit roles plus the org's default member roles), groups, and the custom roles
 * those memberships name.
 */
export async function loadSubjectSource(db: Db, user: UserRow, scope: 'all' | 'application_connect'): Promise<{
  source: SubjectSource;
  memberships: Map<string, string[]>;
  groups: string[];
}> {
  const { rows } = await sql<{
    memberships: { org: string; roles: string[]; defaults: string[] }[];
    groups: string[];
    custom_roles: (Omit<CustomRoleRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string })[];
  }>`
    WITH m AS (
      SELECT om.organization_id AS org, om.roles, o.default_org_member_roles AS defaults
        FROM organization_members om
        JOIN organizations o ON o.id = om.organization_id AND NOT o.deleted
       WHERE om.user_id = ${user.id}
    )
    SELECT
      COALESCE((SELECT jsonb_agg(jsonb_build_object('org', org, 'roles', roles, 'defaults', defaults)) FROM m), '[]') AS memberships,
      COALESCE((SELECT jsonb_agg(gm.group_id) FROM group_members gm
                  JOIN groups g ON g.id = gm.group_id
                 WHERE gm.user_id = ${user.id} AND g.organization_id IN (SELECT org FROM m)), '[]') AS groups,
      COALESCE((SELECT jsonb_agg(to_jsonb(cr)) FROM custom_roles cr
                 WHERE cr.organization_id IS NULL AND lower(cr.name) = ANY(SELECT lower(unnest(${user.rbac_roles}::text[])))
                    OR cr.organization_id IN (SELECT org FROM m)
                   AND lower(cr.name) IN (SELECT lower(unnest(roles || defaults)) FROM m WHERE m.org = cr.organization_id)), '[]') AS custom_roles
  `.execute(db);
  const row = rows[0]!;
  const memberships = new Map<string, string[]>();
  const withDefaults: { organizationId: string; roles: string[] }[] = [];
  for (const m of row.memberships) {
    memberships.set(m.org, m.roles);
    withDefaults.push({ organizationId: m.org, roles: [...new Set([...m.roles, ...m.defaults])] });
  }
  // Everyone group: its id is the org id, and every member is in it.
  const groups = [...new Set([...row.groups, ...memberships.keys()])];
  const customRoles = row.custom_roles.map((r) => ({ ...r, created_at: new Date(r.created_at), updated_at: new Date(r.updated_at) }));
  return {
    source: { userId: user.id, siteRoles: user.rbac_roles, memberships: withDefaults, groups, scope, customRoles },
    memberships,
    groups,
  };
}

export interface AuthenticateDeps {
  db: Db;
  cache: NotifyCache<AuthState>;
  sessionRefresh: boolean;
}

const expired = (key: ApiKeyRow) => unauthorized(`API key expired at "${key.expires_at.toISOString()}".`);

/** Resolves the caller or throws the 401 of Coder's middleware. */
export async function authenticate(req: FastifyRequest, deps: AuthenticateDeps): Promise<AuthContext> {
  const token = extractToken(req);
  if (!token) throw unauthorized('Cookie "coder_session_token" or query parameter must be provided.');
  const parsed = parseApiKey(token);
  if (!parsed.ok) throw unauthorized(`Invalid API key format: ${parsed.reason}`);

  let state = deps.cache.get(parsed.id);
  if (!state) {
    const generation = deps.cache.currentGeneration();
    const found = await loadKeyAndUser(deps.db, parsed.id);
    if (!found) throw unauthorized('API key is invalid.');
    if (!secretMatches(parsed.secret, found.key.hashed_secret)) throw unauthorized('API key secret is invalid.');
    let user = found.user;
    if (user.deleted) throw unauthorized('API key is invalid.');
    // An expired key is refused before it can wake a dormant account (Coder checks expiry first).
    if (found.key.expires_at.getTime() <= Date.now()) throw expired(found.key);
    if (user.status === 'dormant') user = await activateDormantUser(deps.db, user, req);
    const loaded = await loadSubjectSource(deps.db, user, found.key.scope);
    state = {
      key: found.key,
      user,
      subject: loadSubject(loaded.source),
      siteRoles: user.rbac_roles,
      memberships: loaded.memberships,
      groups: loaded.groups,
    };
    deps.cache.set(parsed.id, user.id, state, generation);
  } else if (!secretMatches(parsed.secret, state.key.hashed_secret)) {
    throw unauthorized('API key secret is invalid.');
  }

  const now = Date.now();
  if (state.key.expires_at.getTime() <= now) throw expired(state.key);
  if (state.user.status !== 'active') {
    throw new ApiError(
      401,
      `User is not active (status = "${state.user.status}"). Contact an admin to reactivate your account.`,
    );
  }
  await touchKey(deps, state, req, now);
  return { ...state, token };
}

/**
 * last_used (with the client IP) and the sliding expiry are written at most once an hour, and
 * users.last_seen_at with them. The write invalidates the cached entry through the trigger.
 */
async function touchKey(deps: AuthenticateDeps, state: AuthState, req: FastifyRequest, now: number): Promise<void> {
  const key = state.key;
  const lifetimeMs = Number(key.lifetime_seconds) * 1000;
  const useStale = now - key.last_used.getTime() > HOUR_MS;
  const extend = deps.sessionRefresh && key.expires_at.getTime() - now <= lifetimeMs - HOUR_MS;
  if (!useStale && !extend) return;
  const at = new Date(now);
  const update: { last_used?: Date; ip_address?: string; expires_at?: Date; updated_at?: Date } = {};
  if (useStale) {
    update.last_used = at;
    const ip = req.ip?.startsWith('::ffff:') ? req.ip.slice(7) : req.ip;
    update.ip_address = ip || '0.0.0.0';
  }
  if (extend) update.expires_at = new Date(now + lifetimeMs);
  await deps.db.updateTable('api_keys').set(update).where('id', '=', key.id).execute();
  await deps.db.updateTable('users').set({ last_seen_at: at }).where('id', '=', key.user_id).execute();
  // Keep serving the in-memory copy consistent even before the NOTIFY arrives.
  if (update.last_used) key.last_used = update.last_used;
  if (update.expires_at) key.expires_at = update.expires_at;
  state.user.last_seen_at = at;
}

/** A dormant user becomes active on their first authentication, with an audit entry. */
export async function activateDormantUser(db: Db, user: UserRow, req: FastifyRequest): Promise<UserRow> {
  return db.transaction().execute(async (tx) => {
    const updated = await tx
      .updateTable('users')
      .set({ status: 'active', updated_at: new Date() })
      .where('id', '=', user.id)
      .where('status', '=', 'dormant')
      .returningAll()
      .executeTakeFirst();
    if (!updated) return (await tx.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow());
    await appendAuditEntry(tx, {
      action: 'write',
      resourceType: 'user',
      resourceId: user.id,
      resourceTarget: user.username,
      userId: user.id,
      ip: req.ip,
      userAgent: String(req.headers['user-agent'] ?? ''),
      requestId: String(req.id),
      statusCode: 200,
      diff: userAuditDiff(user, updated),
      additionalFields: { automatic_actor: 'system', automatic_subsystem: 'dormancy' },
    });
    return updated;
  });
}

export { Messages };
