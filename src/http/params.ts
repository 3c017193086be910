// Path parameters resolved the way Coder's middleware does: {user} as the system (the handler
// decides what the caller may see), {organization} and the member with the caller's permissions
// (missing or unreadable: 404, so existence never leaks).
import type { FastifyRequest } from 'fastify';
import { NIL_UUID, type Db, type OrganizationRow, type OrganizationMemberRow, type UserRow } from '../db/index.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { authorize } from '../rbac/index.js';

export { NIL_UUID };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

export function requireAuth(req: FastifyRequest): NonNullable<FastifyRequest['auth']> {
  if (!req.auth) throw new ApiError(401, 'You are signed out or your session has expired. Please sign in again to continue.');
  return req.auth;
}

function pathParam(req: FastifyRequest, name: string): string {
  const v = (req.params as Record<string, string | undefined>)[name];
  return typeof v === 'string' ? v : '';
}

/** Coder's user param: `me`, a uuid or a username (case-insensitive), never a deleted user. */
export async function resolveUserParam(req: FastifyRequest, db: Db, name = 'user'): Promise<UserRow> {
  const raw = pathParam(req, name);
  if (raw === '') throw badRequest('"user" must be provided.');
  // No username or id contains NUL, and PostgreSQL text cannot carry it.
  if (raw.includes('\0')) throw notFound();
  let user: UserRow | undefined;
  if (raw === 'me') {
    if (!req.auth) throw badRequest('Cannot use "me" without a valid session.');
    // The session's own user row is current: any change to it invalidates the session cache.
    if (req.auth.user.deleted) throw notFound();
    return req.auth.user;
  }
  if (isUuid(raw)) {
    user = await db.selectFrom('users').selectAll().where('id', '=', raw.toLowerCase()).where('deleted', '=', false).executeTakeFirst();
  } else if (raw.length <= 64) {
    user = await db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['username']), '=', raw.toLowerCase()))
      .where('deleted', '=', false)
      .executeTakeFirst();
  }
  // Newest Coder (and the spec's decision): an unknown user is a 404, as a user without access.
  if (!user) throw notFound();
  return user;
}

/** Coder's organization param: `default` (or the nil uuid), a uuid or a name; read as the caller. */
export async function resolveOrganizationParam(req: FastifyRequest, db: Db, name = 'organization'): Promise<OrganizationRow> {
  const raw = pathParam(req, name);
  if (raw === '') throw badRequest('"organization" must be provided.');
  if (raw.includes('\0')) throw notFound(); // no name holds NUL; PostgreSQL text cannot carry it
  let q = db.selectFrom('organizations').selectAll().where('deleted', '=', false);
  if (raw === 'default' || raw === NIL_UUID) q = q.where('is_default', '=', true);
  else if (isUuid(raw)) q = q.where('id', '=', raw.toLowerCase());
  else if (raw.length <= 64) q = q.where((eb) => eb(eb.fn('lower', ['name']), '=', raw.toLowerCase()));
  else throw notFound();
  const org = await q.executeTakeFirst();
  if (!org) throw notFound();
  const auth = requireAuth(req);
  if (!authorize(auth.subject, 'read', { type: 'organization', id: org.id, org: org.id })) throw notFound();
  return org;
}

export interface ResolvedMember {
  user: UserRow;
  membership: OrganizationMemberRow;
}

/** Coder's organization member param: the user as the system, the membership as the caller. */
export async function resolveMemberParam(req: FastifyRequest, db: Db, org: OrganizationRow): Promise<ResolvedMember> {
  const user = await resolveUserParam(req, db);
  const membership = await db
    .selectFrom('organization_members')
    .selectAll()
    .where('organization_id', '=', org.id)
    .where('user_id', '=', user.id)
    .executeTakeFirst();
  if (!membership) throw notFound();
  const auth = requireAuth(req);
  if (!authorize(auth.subject, 'read', { type: 'organization_member', id: user.id, owner: user.id, org: org.id })) {
    throw notFound();
  }
  return { user, membership };
}
