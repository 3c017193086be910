// Organization members: add (one, or a batch), read, remove, change org roles, and the two lists.
// Each handler reads like Coder's members.go: take what the path resolved, open the audit record,
// check the rules, change the database in the audit's transaction, answer.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { OrgdApp } from '../http/app.js';
import { badRequest, forbidden, invalidQuery, notFound } from '../http/errors.js';
import { NIL_UUID, isUuid, requireAuth, resolveMemberParam, resolveOrganizationParam, resolveUserParam } from '../http/params.js';
import { audited, writeAuditRecord } from '../http/audited.js';
import { parsePagination } from '../http/pagination.js';
import { parseMembersQuery, parseUsersQuery } from '../http/searchquery.js';
import { authorizedRows } from '../db/authzfilter.js';
import type { Db, DbOrTx, OrganizationMemberRow, OrganizationRow, UserRow } from '../db/index.js';
import type { NotifyCache } from '../http/notifycache.js';
import {
  customRoleDisplayNames,
  customRoleNamesOf,
  deleteMember,
  insertMembers,
  listMembers,
  lockMember,
  organizationAndMember,
  paginatedMembers,
  updateMemberRoles,
  type MemberWithUserRow,
  type OrganizationRef,
  type UserRef,
} from '../db/queries/members.js';
import type { Pool } from 'pg';
import type { AuditableOrganizationMember } from '../audit/index.js';
import { authorize, checkRoleChange, isOrgRoleName, prepareFilter, slimRole } from '../rbac/index.js';
import { iso, siteSlimRoles } from './convert.js';
import { organizationSyncEnabled, roleSyncEnabled } from './idpsync.js';
import {
  AddOrganizationMembersRequestSchema,
  OrganizationMemberSchema,
  OrganizationMemberWithUserDataSchema,
  PaginatedMembersResponseSchema,
  UpdateOrganizationMemberRolesSchema,
  type OrganizationMember,
  type OrganizationMemberWithUserData,
} from './schemas.js';

const OrgParams = Type.Object({ organization: Type.String() });
const MemberParams = Type.Object({ organization: Type.String(), user: Type.String() });
const QueryValue = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));

// ---------------------------------------------------------------------------------------------
// Wire shapes

/** Org role names as SlimRoles; custom roles take their display names from one query per answer. */
async function roleNamer(db: DbOrTx, organizationId: string, rows: readonly { roles: string[] }[]) {
  const custom = [...new Set(rows.flatMap((r) => r.roles.filter((name) => !isOrgRoleName(name))))];
  const names = await customRoleDisplayNames(db, organizationId, custom);
  return (roles: readonly string[]) =>
    roles.map((name) => {
      const r = slimRole({ name, organizationId }, names.get(name.toLowerCase()) ?? '');
      return { name: r.name, display_name: r.display_name, organization_id: r.organization_id };
    });
}

export async function toOrganizationMembers(db: DbOrTx, rows: readonly OrganizationMemberRow[]): Promise<OrganizationMember[]> {
  if (rows.length === 0) return [];
  const slim = await roleNamer(db, rows[0]!.organization_id, rows);
  return rows.map((m) => ({
    user_id: m.user_id,
    organization_id: m.organization_id,
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
    roles: slim(m.roles),
  }));
}

export async function toMembersWithUserData(db: DbOrTx, rows: readonly MemberWithUserRow[]): Promise<OrganizationMemberWithUserData[]> {
  if (rows.length === 0) return [];
  const slim = await roleNamer(db, rows[0]!.organization_id, rows);
  return rows.map((m) => ({
    username: m.username,
    name: m.name === '' ? undefined : m.name,
    avatar_url: m.avatar_url === '' ? undefined : m.avatar_url,
    email: m.email,
    status: m.status,
    login_type: m.login_type,
    last_seen_at: iso(m.last_seen_at),
    user_created_at: iso(m.user_created_at),
    user_updated_at: iso(m.user_updated_at),
    global_roles: siteSlimRoles(m.global_roles),
    has_ai_seat: false,
    user_id: m.user_id,
    organization_id: m.organization_id,
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
    roles: slim(m.roles),
  }));
}

const auditable = (m: OrganizationMemberRow, username: string): AuditableOrganizationMember => ({
  organization_id: m.organization_id,
  user_id: m.user_id,
  created_at: m.created_at,
  updated_at: m.updated_at,
  roles: m.roles,
  username,
});

// ---------------------------------------------------------------------------------------------
// Rules

const humanName = (org: OrganizationRow) => org.display_name || org.name;

function alreadyMember(user: UserRow, org: OrganizationRow) {
  return badRequest('User is already an organization member', `${user.username} is already a member of ${humanName(org)}`);
}

/** With organization sync on, an OIDC user's memberships come from the IdP, not from this API. */
async function refuseManualMembership(db: DbOrTx, user: UserRow): Promise<void> {
  if (user.login_type !== 'oidc' || !(await organizationSyncEnabled(db))) return;
  throw badRequest(
    'Organization sync is enabled for OIDC users, meaning manual organization assignment is not allowed for this user. Have the user re-login to refresh their organizations.',
    `User ${user.username} is an OIDC user and organization sync is enabled. Ask an administrator to resolve the membership in your external IDP.`,
  );
}

/** With role sync on for the org, an OIDC member's org roles come from the IdP. */
async function refuseManualRoles(db: DbOrTx, user: UserRow, org: OrganizationRow): Promise<void> {
  if (user.login_type !== 'oidc' || !(await roleSyncEnabled(db, org.id))) return;
  throw badRequest(
    "Cannot modify roles for OIDC users when role sync is enabled. This organization member's roles are managed by the identity provider. Have the user re-login to refresh their roles.",
    "'User Role Field' is set in the organization settings. Ask an administrator to adjust or disable these settings.",
  );
}

function memberObject(org: OrganizationRow, userId: string) {
  return { type: 'organization_member', id: userId, owner: userId, org: org.id } as const;
}

/**
 * The member of `GET /organizations/{org}/members/{user}` with its user data, organization and
 * member resolved in one round trip (the read path of a busy endpoint). Same rules as the param
 * resolvers: the organization as the caller may read it, the user as the system finds them, the
 * membership as the caller may read it; anything missing or unreadable is a 404.
 */
/** A member read as cached: the org it resolved to, the row, and its wire form. */
interface CachedMemberRead {
  orgId: string;
  member: MemberWithUserRow;
  wire: OrganizationMemberWithUserData;
}

/**
 * GET of one member, the hottest read of the API: org and member resolve in one prepared
 * statement, and the result is cached per (org, user) reference until a change to that user, a
 * membership of theirs, an organization or a custom role invalidates it (NOTIFY, and this
 * process's own mutations). What the caller may see is decided on every request.
 */
async function readMemberWithUser(
  req: FastifyRequest,
  pool: Pool,
  db: Db,
  cache: NotifyCache<CachedMemberRead>,
): Promise<OrganizationMemberWithUserData> {
  const auth = requireAuth(req);
  const params = req.params as { organization?: string; user?: string };
  const rawOrg = params.organization ?? '';
  const rawUser = params.user ?? '';
  if (rawOrg === '') throw badRequest('"organization" must be provided.');
  if (rawUser === '') throw badRequest('"user" must be provided.');
  const org: OrganizationRef =
    rawOrg === 'default' || rawOrg === NIL_UUID
      ? { kind: 'default' }
      : isUuid(rawOrg)
        ? { kind: 'id', id: rawOrg.toLowerCase() }
        : { kind: 'name', name: rawOrg };
  const user: UserRef =
    rawUser === 'me' ? { kind: 'id', id: auth.user.id } : isUuid(rawUser) ? { kind: 'id', id: rawUser.toLowerCase() } : { kind: 'username', username: rawUser };
  if ((org.kind === 'name' && rawOrg.length > 64) || (user.kind === 'username' && rawUser.length > 64)) throw notFound();
  // No name holds NUL, and PostgreSQL text cannot carry it.
  if (rawOrg.includes('\0') || rawUser.includes('\0')) throw notFound();
  const key = `${org.kind === 'default' ? 'default' : org.kind === 'id' ? org.id : `n:${org.name.toLowerCase()}`}|${
    user.kind === 'id' ? user.id : `n:${user.username.toLowerCase()}`
  }`;
  let hit = cache.get(key);
  if (!hit) {
    const generation = cache.currentGeneration();
    const { orgId, member } = await organizationAndMember(pool, org, user);
    if (orgId === null || !authorize(auth.subject, 'read', { type: 'organization', id: orgId, org: orgId })) throw notFound();
    if (member === null) throw notFound();
    hit = { orgId, member, wire: (await toMembersWithUserData(db, [member]))[0]! };
    cache.set(key, member.user_id, hit, generation);
  }
  const { orgId, member } = hit;
  if (!authorize(auth.subject, 'read', { type: 'organization', id: orgId, org: orgId })) throw notFound();
  if (!authorize(auth.subject, 'read', { type: 'organization_member', id: member.user_id, owner: member.user_id, org: orgId })) {
    throw notFound();
  }
  return hit.wire;
}

// ---------------------------------------------------------------------------------------------
// Routes

export async function memberRoutes(app: OrgdApp): Promise<void> {
  const { db, pool } = app.orgd;
  const memberReads = app.orgd.invalidator.cache<CachedMemberRead>();

  app.post(
    '/api/v2/organizations/:organization/members/:user',
    {
      config: { auth: 'required', authz: 'create organization_member in org (404)' },
      schema: { tags: ['Members'], operationId: 'add-organization-member', params: MemberParams, response: { 200: OrganizationMemberSchema } },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const user = await resolveUserParam(req, db);
      await refuseManualMembership(db, user);
      if (!authorize(auth.subject, 'create', { type: 'organization_member', id: user.id, org: org.id })) throw notFound();
      const member = await audited<AuditableOrganizationMember, OrganizationMemberRow>(
        req,
        db,
        { action: 'create', resourceType: 'organization_member', status: 200 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          // The primary key decides between concurrent adds: one inserts, the others find it taken.
          const [row] = await insertMembers(tx, org.id, [user.id]);
          if (!row) throw alreadyMember(user, org);
          rec.new = auditable(row, user.username);
          return row;
        },
      );
      return (await toOrganizationMembers(db, [member]))[0]!;
    },
  );

  app.post(
    '/api/v2/organizations/:organization/members',
    {
      config: { auth: 'required', authz: 'create organization_member in org and read user of every target, else 403' },
      schema: {
        tags: ['Members'],
        operationId: 'add-organization-members',
        params: OrgParams,
        body: AddOrganizationMembersRequestSchema,
        response: { 200: Type.Array(OrganizationMemberSchema) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const ids = [...new Set(req.body.user_ids.map((id) => id.toLowerCase()))];
      if (!authorize(auth.subject, 'create', { type: 'organization_member', org: org.id })) throw forbidden();
      // Targets are read with the caller's permission: creating members is not a licence to add
      // users one could not otherwise see.
      if (!ids.every((id) => authorize(auth.subject, 'read', { type: 'user', id, owner: id }))) throw forbidden();
      const users = await db.selectFrom('users').selectAll().where('id', 'in', ids).where('deleted', '=', false).execute();
      if (users.length !== ids.length) throw notFound();
      const byId = new Map(users.map((u) => [u.id, u]));
      // One look at the sync settings for the whole batch: the first OIDC user, if any, decides.
      const firstOidc = ids.map((id) => byId.get(id)!).find((u) => u.login_type === 'oidc');
      if (firstOidc) await refuseManualMembership(db, firstOidc);

      const added = await db.transaction().execute(async (tx) => {
        const rows = await insertMembers(tx, org.id, ids);
        const inserted = new Set(rows.map((r) => r.user_id));
        const taken = ids.find((id) => !inserted.has(id));
        // All or nothing: throwing rolls back the others.
        if (taken !== undefined) throw alreadyMember(byId.get(taken)!, org);
        const ordered = ids.map((id) => rows.find((r) => r.user_id === id)!);
        for (const row of ordered) {
          await writeAuditRecord(
            tx,
            req,
            { action: 'create', resourceType: 'organization_member' },
            { new: auditable(row, byId.get(row.user_id)!.username), organizationId: org.id },
            200,
          );
        }
        return ordered;
      });
      return toOrganizationMembers(db, added);
    },
  );

  app.get(
    '/api/v2/organizations/:organization/members/:user',
    {
      config: { auth: 'required', authz: 'read organization_member (404)' },
      schema: {
        tags: ['Members'],
        operationId: 'get-organization-member',
        params: MemberParams,
        response: { 200: OrganizationMemberWithUserDataSchema },
      },
    },
    async (req) => readMemberWithUser(req, pool, db, memberReads),
  );

  app.delete(
    '/api/v2/organizations/:organization/members/:user',
    {
      config: { auth: 'required', authz: 'read and delete organization_member (404)' },
      schema: { tags: ['Members'], operationId: 'remove-organization-member', params: MemberParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const { user, membership } = await resolveMemberParam(req, db, org);
      await audited<AuditableOrganizationMember, void>(
        req,
        db,
        { action: 'delete', resourceType: 'organization_member', status: 204 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          rec.old = auditable(membership, user.username);
          // Removal is allowed even while org sync manages an OIDC user: access may need to end now,
          // and the next login restores a membership removed by mistake.
          if (user.id === auth.user.id) throw badRequest('cannot remove self from an organization');
          if (!authorize(auth.subject, 'delete', memberObject(org, user.id))) throw notFound();
          // The database trigger also takes the user out of this org's groups.
          const removed = await deleteMember(tx, org.id, user.id);
          if (!removed) throw notFound();
          rec.old = auditable(removed, user.username);
        },
      );
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/api/v2/organizations/:organization/members/:user/roles',
    {
      config: { auth: 'required', authz: 'read organization_member (404); assign/unassign assign_org_role + role matrix (403)' },
      schema: {
        tags: ['Members'],
        operationId: 'assign-role-to-organization-member',
        params: MemberParams,
        body: UpdateOrganizationMemberRolesSchema,
        response: { 200: OrganizationMemberSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const { user, membership } = await resolveMemberParam(req, db, org);
      const requested = [...new Set(req.body.roles)];
      const updated = await audited<AuditableOrganizationMember, OrganizationMemberRow>(
        req,
        db,
        { action: 'write', resourceType: 'organization_member', status: 200 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          rec.old = auditable(membership, user.username);
          await refuseManualRoles(tx, user, org);
          if (user.id === auth.user.id) {
            throw badRequest('You cannot change your own organization roles.', 'Another user with the appropriate permissions must change your roles.');
          }
          // Judge the change against the roles as they are now, locked until the update commits.
          const current = await lockMember(tx, org.id, user.id);
          if (!current) throw forbidden();
          rec.old = auditable(current, user.username);
          const custom = await customRoleNamesOf(tx, org.id);
          const check = checkRoleChange({
            subject: auth.subject,
            oldRoles: current.roles,
            newRoles: requested,
            orgId: org.id,
            customRoleExists: (id) => custom.has(id.name.toLowerCase()),
          });
          if (!check.ok) throw check.kind === 'forbidden' ? forbidden() : badRequest(check.message);
          const row = await updateMemberRoles(tx, org.id, user.id, requested);
          rec.new = auditable(row, user.username);
          return row;
        },
      );
      return (await toOrganizationMembers(db, [updated]))[0]!;
    },
  );

  app.get(
    '/api/v2/organizations/:organization/members',
    {
      config: { auth: 'required', authz: 'read organization_member (rows filtered)' },
      schema: {
        tags: ['Members'],
        operationId: 'list-organization-members',
        deprecated: true,
        params: OrgParams,
        querystring: Type.Object({ q: QueryValue }),
        response: { 200: Type.Array(OrganizationMemberWithUserDataSchema) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const q = req.query.q;
      const parsed = parseMembersQuery(Array.isArray(q) ? q.join(' ') : q);
      if (!parsed.ok) throw badRequest('Invalid organization member search query.', undefined, parsed.validations);
      const visible = authorizedRows(prepareFilter(auth.subject, 'read', 'organization_member'), {
        org: 'om.organization_id',
        owner: 'om.user_id',
      });
      return toMembersWithUserData(db, await listMembers(db, org.id, parsed.filter, visible));
    },
  );

  app.get(
    '/api/v2/organizations/:organization/paginated-members',
    {
      config: { auth: 'required', authz: 'read organization_member in org (404)' },
      schema: {
        tags: ['Members'],
        operationId: 'paginated-organization-members',
        params: OrgParams,
        querystring: Type.Object({ q: QueryValue, limit: QueryValue, offset: QueryValue, after_id: QueryValue }),
        response: { 200: PaginatedMembersResponseSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const page = parsePagination(req.query as Record<string, string | string[] | undefined>);
      if (!page.ok) throw invalidQuery(page.validations);
      const q = req.query.q;
      const parsed = parseUsersQuery(Array.isArray(q) ? q.join(' ') : q);
      if (!parsed.ok) throw badRequest('Invalid user search query.', undefined, parsed.validations);
      // Listing needs read on every member of the org, not only on one's own membership.
      if (!authorize(auth.subject, 'read', { type: 'organization_member', org: org.id })) throw notFound();
      const { rows, count } = await paginatedMembers(db, org.id, parsed.filter, page.value);
      return { members: await toMembersWithUserData(db, rows), count };
    },
  );
}
