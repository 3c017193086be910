// Roles: the assignable site and org roles, a user's site roles, and custom organization roles
// (create, replace, delete). The rules live in rbac/ (assignment matrix, custom-role validation and
// escalation check); these handlers only order them as Coder's handlers and dbauthz do.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { OrgdApp } from '../http/app.js';
import { audited } from '../http/audited.js';
import { ApiError, badRequest, forbidden, notFound } from '../http/errors.js';
import { requireAuth, resolveOrganizationParam, resolveUserParam } from '../http/params.js';
import { validationFailedDetail } from '../http/validation.js';
import { isUniqueViolation, type CustomRoleRow, type OrganizationRow, type UserRow } from '../db/index.js';
import {
  deleteCustomRole,
  existingCustomRoleNames,
  findCustomRole,
  insertCustomRole,
  listCustomRoles,
  updateCustomRole,
} from '../db/queries/customroles.js';
import {
  ROLE_MEMBER,
  authorize,
  canManageCustomRoles,
  checkRoleChange,
  customRoleRequestProblem,
  isAssignable,
  orgBuiltInRoles,
  roleFromCustomRoleRow,
  roleIdentifierOf,
  roleToSdk,
  siteBuiltInRoles,
  validateCustomRoleRequest,
  type CompiledSubject,
  type Role,
} from '../rbac/index.js';
import { UserParams, userAsSeenBy } from './users.js';
import {
  AssignableRolesSchema,
  CustomRoleRequestSchema,
  RoleSchema,
  UpdateRolesSchema,
  UserSchema,
  type AssignableRoles,
  type CustomRoleRequestWire,
  type RoleWire,
} from './schemas.js';

const OrgParams = Type.Object({ organization: Type.String() });
const OrgRoleParams = Type.Object({ organization: Type.String(), roleName: Type.String() });

/** codersdk.Role: site roles leave `organization_id` out. */
export function roleWire(role: Role): RoleWire {
  const { organization_id, ...rest } = roleToSdk(role);
  return organization_id === '' ? rest : { ...rest, organization_id };
}

/**
 * Coder's `assignableRoles`: built-in roles except the implied `member` and roles without a display
 * name (system roles), then the custom roles; `assignable` is the matrix's answer for the caller.
 */
function assignableRoles(subject: CompiledSubject, builtIns: readonly Role[], custom: readonly CustomRoleRow[]): AssignableRoles[] {
  const actorRoles = subject.roles.map(roleIdentifierOf);
  const out: AssignableRoles[] = [];
  for (const role of builtIns) {
    if (role.name === ROLE_MEMBER || role.display_name === '') continue;
    out.push({ ...roleWire(role), assignable: isAssignable(actorRoles, role, true), built_in: true });
  }
  for (const row of custom) {
    const role = roleFromCustomRoleRow(row);
    out.push({ ...roleWire(role), assignable: isAssignable(actorRoles, role, false), built_in: false });
  }
  return out;
}

// The org of a custom-role route is resolved before the body is read or validated, as Coder's
// middleware does: an unreadable org is a 404 whatever the body says.
const resolvedOrgs = new WeakMap<FastifyRequest, OrganizationRow>();
function orgOf(req: FastifyRequest): OrganizationRow {
  const org = resolvedOrgs.get(req);
  if (!org) throw new Error('organization param not resolved');
  return org;
}

function failedUpdate(detail: string): ApiError {
  return badRequest('Failed to update role permissions', detail);
}

export async function roleRoutes(app: OrgdApp): Promise<void> {
  const { db } = app.orgd;
  const resolveOrg = async (req: FastifyRequest) => {
    resolvedOrgs.set(req, await resolveOrganizationParam(req, db));
  };

  app.get(
    '/api/v2/users/roles',
    {
      config: { auth: 'required', authz: 'read assign_role (else 403)' },
      schema: { tags: ['Members'], operationId: 'get-site-member-roles', response: { 200: Type.Array(AssignableRolesSchema) } },
    },
    async (req) => {
      const auth = requireAuth(req);
      if (!authorize(auth.subject, 'read', { type: 'assign_role' })) throw forbidden();
      return assignableRoles(auth.subject, siteBuiltInRoles(), await listCustomRoles(db, null));
    },
  );

  app.get(
    '/api/v2/organizations/:organization/members/roles',
    {
      config: { auth: 'required', authz: 'read organization; read assign_org_role in org (else 404)' },
      schema: {
        tags: ['Members'],
        operationId: 'get-member-roles-by-organization',
        params: OrgParams,
        response: { 200: Type.Array(AssignableRolesSchema) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      if (!authorize(auth.subject, 'read', { type: 'assign_org_role', org: org.id })) throw notFound();
      return assignableRoles(auth.subject, orgBuiltInRoles(org.id), await listCustomRoles(db, org.id));
    },
  );

  app.put(
    '/api/v2/users/:user/roles',
    {
      config: { auth: 'required', authz: 'read user; assign/unassign assign_role + CanAssignRole per changed role (else 403)' },
      schema: {
        tags: ['Users'],
        operationId: 'assign-role-to-user',
        params: UserParams,
        body: UpdateRolesSchema,
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const target = await resolveUserParam(req, db);
      const updated = await audited<UserRow, UserRow>(req, db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
        // Locked, so the change is computed against the roles it replaces.
        const user = await tx.selectFrom('users').selectAll().where('id', '=', target.id).forUpdate().executeTakeFirstOrThrow();
        rec.old = user;
        // orgd has no site role sync (IdP role sync is configured per organization), so OIDC
        // users' site roles stay editable.
        if (auth.user.id === user.id) throw badRequest('You cannot change your own roles.');
        // dbauthz fetches the user as the caller first: no read, no change.
        if (!authorize(auth.subject, 'read', { type: 'user', id: user.id, owner: user.id })) throw forbidden();
        const requested = [...new Set((req.body.roles ?? []).filter((r) => r !== ROLE_MEMBER))];
        const customNames = await existingCustomRoleNames(tx, null, [...requested, ...user.rbac_roles]);
        const change = checkRoleChange({
          subject: auth.subject,
          oldRoles: user.rbac_roles,
          newRoles: requested,
          customRoleExists: (id) => customNames.has(id.name.toLowerCase()),
        });
        if (!change.ok) throw change.kind === 'forbidden' ? forbidden() : badRequest(change.message);
        const row = await tx
          .updateTable('users')
          .set({ rbac_roles: requested, updated_at: new Date() })
          .where('id', '=', user.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        rec.new = row;
        return row;
      });
      return userAsSeenBy(req, db, updated);
    },
  );

  const customRoleSchema = (operationId: string) => ({
    tags: ['Members'],
    operationId,
    params: OrgParams,
    body: CustomRoleRequestSchema,
    response: { 200: RoleSchema },
  });

  app.post(
    '/api/v2/organizations/:organization/members/roles',
    {
      config: { auth: 'required', authz: 'read organization; create assign_org_role in org (else 404); escalation check' },
      schema: customRoleSchema('insert-a-custom-organization-role'),
      onRequest: resolveOrg,
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = orgOf(req);
      const role = checkCustomRole(auth.subject, org, req.body, 'create');
      const inserted = await audited<CustomRoleRow, CustomRoleRow>(
        req,
        db,
        { action: 'create', resourceType: 'custom_role', status: 200 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          try {
            rec.new = await insertCustomRole(tx, {
              name: role.name,
              displayName: role.display_name,
              organizationId: org.id,
              orgPermissions: role.org,
              memberPermissions: role.member,
            });
          } catch (err) {
            if (isUniqueViolation(err)) throw failedUpdate((err as Error).message);
            throw err;
          }
          return rec.new;
        },
      );
      return roleWire(roleFromCustomRoleRow(inserted));
    },
  );

  app.put(
    '/api/v2/organizations/:organization/members/roles',
    {
      config: { auth: 'required', authz: 'read organization; update assign_org_role in org (else 404); escalation check' },
      schema: customRoleSchema('update-a-custom-organization-role'),
      onRequest: resolveOrg,
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = orgOf(req);
      const role = checkCustomRole(auth.subject, org, req.body, 'update');
      const updated = await audited<CustomRoleRow, CustomRoleRow>(
        req,
        db,
        { action: 'write', resourceType: 'custom_role', status: 200 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          const result = await updateCustomRole(tx, {
            name: role.name,
            displayName: role.display_name,
            organizationId: org.id,
            orgPermissions: role.org,
            memberPermissions: role.member,
          });
          if (!result) throw notFound();
          rec.old = result.old;
          rec.new = result.updated;
          return result.updated;
        },
      );
      return roleWire(roleFromCustomRoleRow(updated));
    },
  );

  app.delete(
    '/api/v2/organizations/:organization/members/roles/:roleName',
    {
      config: { auth: 'required', authz: 'read organization; delete assign_org_role in org (else 403)' },
      schema: { tags: ['Members'], operationId: 'delete-a-custom-organization-role', params: OrgRoleParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const name = req.params.roleName;
      await audited<CustomRoleRow, void>(req, db, { action: 'delete', resourceType: 'custom_role', status: 204 }, async (rec, tx) => {
        rec.organizationId = org.id;
        const role = await findCustomRole(tx, org.id, name);
        if (!role) throw new ApiError(404, `No custom role with the name ${name} found`, 'no role found');
        rec.old = role;
        if (!canManageCustomRoles(auth.subject, org.id, 'delete')) throw forbidden();
        await deleteCustomRole(tx, role);
      });
      return reply.code(204).send(null);
    },
  );
}

/**
 * The checks of a custom role write in Coder's order: the request's own rules (400), then the
 * right to write roles in the org (dbauthz: 404), then the permission checks with the escalation
 * check (`Failed to update role permissions`, 400).
 */
function checkCustomRole(subject: CompiledSubject, org: OrganizationRow, body: CustomRoleRequestWire, mode: 'create' | 'update'): Role {
  const request = { ...body, display_name: body.display_name ?? '' };
  // PostgreSQL text cannot carry NUL: refused as a validation failure rather than a storage error.
  if (request.display_name.includes('\0')) {
    throw badRequest('Validation failed.', undefined, [
      { field: 'display_name', detail: validationFailedDetail('role_display_name', request.display_name) },
    ]);
  }
  const problem = customRoleRequestProblem(request);
  if (problem) throw badRequest(problem.message, problem.detail);
  if (!canManageCustomRoles(subject, org.id, mode)) throw notFound();
  const result = validateCustomRoleRequest(request, { organizationId: org.id, actor: subject, mode });
  if (!result.ok) throw failedUpdate(result.detail);
  return result.role;
}

