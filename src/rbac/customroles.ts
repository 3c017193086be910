// Custom organization roles: validating a create/update request the way Coder's handler
// (`validOrganizationRoleRequest`) and dbauthz (`customRoleCheck`) do, including the escalation
// check that keeps an actor from writing a role stronger than themselves.

// The name rule is shared with every other name of the API; it is a pure function.
// The name rule is the same pure function the API's validators use (Coder's NameValid); importing
// it is the one place rbac reaches into http/, and it carries no request state.
import { validateName } from '../http/validation.js';
import { authorize, type AuthzObject } from './authorize.js';
import { WILDCARD, isValidPermission, permissionProblem } from './policy.js';
import { isReservedRoleName, type Permission, type Role } from './roles.js';
import type { CompiledSubject } from './subject.js';

/** A permission as it arrives in a request body. */
export interface RequestPermission {
  negate?: boolean;
  resource_type: string;
  action: string;
}

/** codersdk.CustomRoleRequest (newest SDK: member-level permissions included). */
export interface CustomRoleRequest {
  name: string;
  display_name: string;
  site_permissions?: readonly RequestPermission[] | null;
  organization_permissions?: readonly RequestPermission[] | null;
  user_permissions?: readonly RequestPermission[] | null;
  organization_member_permissions?: readonly RequestPermission[] | null;
}

export type CustomRoleValidation =
  | { ok: true; role: Role }
  | { ok: false; status: 400; message: string; detail: string };

export interface CustomRoleValidationOptions {
  /** The org from the URL; custom roles always belong to it. */
  organizationId: string;
  /** The actor writing the role, for the escalation check. */
  actor: CompiledSubject;
  /**
   * `create` rejects invalid permissions; `update` silently drops permissions whose type or
   * action is unknown (as Coder's PUT does: the table can change under a stored role).
   */
  mode: 'create' | 'update';
}

/** Why a role name breaks Coder's generic name rule (`codersdk.NameValid`), or undefined. */
export function roleNameProblem(name: string): string | undefined {
  return validateName(name) ?? undefined;
}

const FAILED = 'Failed to update role permissions';

function invalid(message: string, detail: string): { ok: false; status: 400; message: string; detail: string } {
  return { ok: false, status: 400, message, detail };
}

function normalize(list: readonly RequestPermission[] | null | undefined): Permission[] {
  return (list ?? []).map((p) =>
    Object.freeze({ negate: p.negate === true, resource_type: String(p.resource_type), action: String(p.action) }),
  );
}

/**
 * The handler-level checks of a custom org role request (Coder's `validOrganizationRoleRequest`),
 * answered before any permission check: reserved name, name rule, and no site, user or (newest
 * Coder) org-member permissions, which an organization role may not carry through the API.
 */
export function customRoleRequestProblem(request: Pick<CustomRoleRequest, 'name'> & Partial<CustomRoleRequest>):
  | { ok: false; status: 400; message: string; detail: string }
  | undefined {
  const name = request.name ?? '';
  if (isReservedRoleName(name)) {
    return invalid('Reserved role name', `"${name}" is a reserved role name, and not allowed to be used`);
  }
  const nameProblem = roleNameProblem(name);
  if (nameProblem !== undefined) return invalid('Invalid role name', nameProblem);
  if ((request.site_permissions ?? []).length > 0) {
    return invalid(
      'Invalid request, not allowed to assign site wide permissions for an organization role.',
      'organization scoped roles may not contain site wide permissions',
    );
  }
  if ((request.user_permissions ?? []).length > 0) {
    return invalid(
      'Invalid request, not allowed to assign user permissions for an organization role.',
      'organization scoped roles may not contain user permissions',
    );
  }
  if ((request.organization_member_permissions ?? []).length > 0) {
    return invalid(
      'Invalid request, not allowed to assign organization member permissions for an organization role.',
      'organization scoped roles may not contain organization member permissions',
    );
  }
  return undefined;
}

/**
 * Validates a custom org role request and builds the role. The messages are Coder's: request
 * problems first (`customRoleRequestProblem`), then the
 * permission checks, which Coder reports as `Failed to update role permissions` with the reason as
 * detail. The caller must separately gate on `canManageCustomRoles` (Coder answers 404 there).
 */
export function validateCustomRoleRequest(
  request: CustomRoleRequest,
  options: CustomRoleValidationOptions,
): CustomRoleValidation {
  const problem = customRoleRequestProblem(request);
  if (problem !== undefined) return problem;
  const name = request.name;

  let orgPermissions = normalize(request.organization_permissions);
  let memberPermissions = normalize(request.organization_member_permissions);
  if (options.mode === 'update') {
    const valid = (p: Permission) => isValidPermission(p.resource_type, p.action);
    orgPermissions = orgPermissions.filter(valid);
    memberPermissions = memberPermissions.filter(valid);
  }

  const orgId = options.organizationId;
  const denied = permissionsProblem(options.actor, orgId, orgPermissions, memberPermissions);
  if (denied !== undefined) return invalid(FAILED, denied);

  return {
    ok: true,
    role: {
      name,
      organization_id: orgId,
      display_name: request.display_name ?? '',
      site: [],
      org: Object.freeze(orgPermissions),
      user: [],
      member: Object.freeze(memberPermissions),
    },
  };
}

/**
 * Coder's `customRoleCheck` for an org role: every permission valid for its type, then for each
 * permission no negation, no wildcard, and the actor must itself hold it on an object in that org
 * (org level) or on its own object in that org (member level).
 */
function permissionsProblem(
  actor: CompiledSubject,
  orgId: string,
  orgPermissions: readonly Permission[],
  memberPermissions: readonly Permission[],
): string | undefined {
  const validity: string[] = [];
  for (const p of orgPermissions) {
    const why = permissionProblem(p.resource_type, p.action);
    if (why !== undefined) validity.push(`org="${orgId}": org ${why}`);
  }
  for (const p of memberPermissions) {
    const why = permissionProblem(p.resource_type, p.action);
    if (why !== undefined) validity.push(`org="${orgId}": member: ${why}`);
  }
  if (validity.length > 0) return `invalid role: ${validity.join('\n')}`;

  for (const p of orgPermissions) {
    const why = escalationProblem(actor, p, { type: p.resource_type, org: orgId });
    if (why !== undefined) return `org="${orgId}": ${why}`;
  }
  for (const p of memberPermissions) {
    const why = escalationProblem(actor, p, { type: p.resource_type, org: orgId, owner: actor.userId });
    if (why !== undefined) return `org="${orgId}": member: ${why}`;
  }
  return undefined;
}

function escalationProblem(actor: CompiledSubject, p: Permission, object: AuthzObject): string | undefined {
  const what = `invalid permission for action="${p.action}" type="${p.resource_type}"`;
  // Negative permissions are not needed by anyone yet; wildcards would grant types that do not
  // exist today, so a role must spell out what it grants.
  if (p.negate) return `${what}, no negative permissions`;
  if (p.action === WILDCARD || p.resource_type === WILDCARD) return `${what}, no wildcard symbols`;
  if (!authorize(actor, p.action, object)) return `${what}, not allowed to grant this permission`;
  return undefined;
}

/** Whether the actor may create, update or delete custom roles in the org (`assign_org_role`). */
export function canManageCustomRoles(
  actor: CompiledSubject,
  organizationId: string,
  action: 'create' | 'update' | 'delete' | 'read',
): boolean {
  return authorize(actor, action, { type: 'assign_org_role', org: organizationId });
}
