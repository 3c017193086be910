// Who may hand out which role: Coder's static `CanAssignRole` matrix plus the gates dbauthz puts in
// front of every role change (`canAssignRoles`). Handler-level rules (nobody edits their own roles,
// role sync locks OIDC members) live with the handlers, not here.
import { authorize } from './authorize.js';
import {
  ROLE_AUDITOR,
  ROLE_CUSTOM_ORGANIZATION,
  ROLE_CUSTOM_SITE,
  ROLE_MEMBER,
  ROLE_ORG_ADMIN,
  ROLE_ORG_AUDITOR,
  ROLE_ORG_MEMBER,
  ROLE_ORG_TEMPLATE_ADMIN,
  ROLE_ORG_USER_ADMIN,
  ROLE_ORG_WORKSPACE_ACCESS,
  ROLE_ORG_WORKSPACE_CREATION_BAN,
  ROLE_OWNER,
  ROLE_TEMPLATE_ADMIN,
  ROLE_USER_ADMIN,
  builtInRole,
  formatRoleIdentifier,
  isRetiredRoleName,
  roleIdentifierOf,
  type Role,
  type RoleIdentifier,
} from './roles.js';
import type { CompiledSubject } from './subject.js';

/** The internal system actor (never a user-assignable role). */
export const ROLE_SYSTEM = 'system';

const EVERY_ROLE: readonly string[] = [
  ROLE_OWNER,
  ROLE_AUDITOR,
  ROLE_MEMBER,
  ROLE_TEMPLATE_ADMIN,
  ROLE_USER_ADMIN,
  ROLE_ORG_ADMIN,
  ROLE_ORG_MEMBER,
  ROLE_ORG_AUDITOR,
  ROLE_ORG_USER_ADMIN,
  ROLE_ORG_TEMPLATE_ADMIN,
  ROLE_ORG_WORKSPACE_CREATION_BAN,
  ROLE_ORG_WORKSPACE_ACCESS,
  ROLE_CUSTOM_SITE,
  ROLE_CUSTOM_ORGANIZATION,
];

/** Actor role name -> role names it may assign or remove. */
const ASSIGNABLE_BY: ReadonlyMap<string, ReadonlySet<string>> = new Map<string, ReadonlySet<string>>([
  [ROLE_SYSTEM, new Set(EVERY_ROLE)],
  [ROLE_OWNER, new Set(EVERY_ROLE)],
  [ROLE_USER_ADMIN, new Set([ROLE_MEMBER, ROLE_ORG_MEMBER, ROLE_ORG_WORKSPACE_ACCESS])],
  [
    ROLE_ORG_ADMIN,
    new Set([
      ROLE_ORG_ADMIN,
      ROLE_ORG_MEMBER,
      ROLE_ORG_AUDITOR,
      ROLE_ORG_USER_ADMIN,
      ROLE_ORG_TEMPLATE_ADMIN,
      ROLE_ORG_WORKSPACE_CREATION_BAN,
      ROLE_ORG_WORKSPACE_ACCESS,
      ROLE_CUSTOM_ORGANIZATION,
    ]),
  ],
  [ROLE_ORG_USER_ADMIN, new Set([ROLE_ORG_MEMBER, ROLE_ORG_WORKSPACE_ACCESS])],
]);

/**
 * Coder's `CanAssignRole`: whether an actor holding `actorRoles` may assign (or remove) `target`.
 * An org role of the actor only counts for targets in the same org. Custom roles must be passed as
 * the placeholders (see `assignmentTarget`).
 */
export function canAssignRole(actorRoles: Iterable<RoleIdentifier>, target: RoleIdentifier): boolean {
  for (const held of actorRoles) {
    if (held.organizationId !== '' && held.organizationId !== target.organizationId) continue;
    if (ASSIGNABLE_BY.get(held.name)?.has(target.name)) return true;
  }
  return false;
}

/** The identifier the matrix judges: custom roles stand in as the custom-role placeholders. */
export function assignmentTarget(id: RoleIdentifier, isCustom: boolean): RoleIdentifier {
  if (!isCustom) return id;
  return id.organizationId === ''
    ? { name: ROLE_CUSTOM_SITE, organizationId: '' }
    : { name: ROLE_CUSTOM_ORGANIZATION, organizationId: id.organizationId };
}

/** The `assignable` flag of a role listing (`GET /users/roles`, `.../members/roles`). */
export function isAssignable(actorRoles: Iterable<RoleIdentifier>, role: Role, builtIn: boolean): boolean {
  return canAssignRole(actorRoles, assignmentTarget(roleIdentifierOf(role), !builtIn));
}

export interface RoleChangeRequest {
  /** The actor, for the RBAC `assign`/`unassign` checks. */
  subject: CompiledSubject;
  /** The actor's role identifiers, for the matrix. Defaults to the subject's roles. */
  actorRoles?: readonly RoleIdentifier[];
  /**
   * Current and requested roles. Strings are stored names: bare names, scoped to `orgId` when it
   * is given. Identifiers are taken as they are (and must match the scope of the change).
   */
  oldRoles: readonly (string | RoleIdentifier)[];
  newRoles: readonly (string | RoleIdentifier)[];
  /** The org in the URL for an org-role change; absent for site roles. */
  orgId?: string;
  /** Whether a custom role with this identifier exists (case-insensitive name, like Coder). */
  customRoleExists: (id: RoleIdentifier) => boolean;
}

export type RoleChangeResult =
  | { ok: true; added: RoleIdentifier[]; removed: RoleIdentifier[] }
  | { ok: false; kind: 'forbidden' | 'invalid'; message: string };

/**
 * The dbauthz gates of a role change: the change is the symmetric difference of old and new (the
 * implied `member` / `organization-member` never counts), all roles must be of the change's scope
 * (site, or the URL's org), every name must be a built-in or an existing custom role, the actor
 * needs `assign` (anything added) and `unassign` (anything removed) on `assign_role` or, in the org,
 * `assign_org_role`, and the matrix must allow every changed role.
 */
export function checkRoleChange(request: RoleChangeRequest): RoleChangeResult {
  const orgId = request.orgId ?? '';
  const isOrgChange = orgId !== '';

  const convert = (roles: readonly (string | RoleIdentifier)[]) => {
    const out: RoleIdentifier[] = [];
    for (const role of roles) {
      if (typeof role !== 'string') {
        out.push(role);
      } else if (isOrgChange && role.includes(':')) {
        // Org role APIs take bare names; a suffix means a caller mixed up the two forms.
        return `attempt to assign a role "${role}", remove the ':<organization_id> suffix`;
      } else {
        out.push({ name: role, organizationId: orgId });
      }
    }
    out.push({ name: isOrgChange ? ROLE_ORG_MEMBER : ROLE_MEMBER, organizationId: orgId });
    return out;
  };
  const before = convert(request.oldRoles);
  if (typeof before === 'string') return { ok: false, kind: 'invalid', message: before };
  const after = convert(request.newRoles);
  if (typeof after === 'string') return { ok: false, kind: 'invalid', message: after };

  const { added, removed } = changeRoleSet(before, after);
  const changed = [...added, ...removed];

  const customRoles = new Set<string>();
  const retiredRemovals = new Set<string>();
  for (const role of changed) {
    const isOrgRole = role.organizationId !== '';
    if (isOrgChange && !isOrgRole) return { ok: false, kind: 'invalid', message: 'Must only update org roles' };
    if (!isOrgChange && isOrgRole) {
      return { ok: false, kind: 'invalid', message: 'Must only update site wide roles' };
    }
    if (isOrgChange && role.organizationId !== orgId) {
      return {
        ok: false,
        kind: 'invalid',
        message: `attempted to assign role from a different org, role "${formatRoleIdentifier(role)}" to "${orgId}"`,
      };
    }
    if (builtInRole(role) !== undefined) continue;
    const key = formatRoleIdentifier(role);
    // A retired built-in grants nothing; letting it be removed lets stale rows be cleaned up,
    // while adding it stays impossible.
    if (isRetiredRoleName(role.name) && removed.some((r) => formatRoleIdentifier(r) === key)) {
      retiredRemovals.add(key);
      continue;
    }
    if (isRetiredRoleName(role.name) || !request.customRoleExists(role)) {
      return { ok: false, kind: 'invalid', message: `"${key}" is not a supported role` };
    }
    customRoles.add(key);
  }

  const assignObject = isOrgChange ? { type: 'assign_org_role', org: orgId } : { type: 'assign_role' };
  if (added.length > 0 && !authorize(request.subject, 'assign', assignObject)) {
    return { ok: false, kind: 'forbidden', message: 'not authorized to assign roles' };
  }
  if (removed.length > 0 && !authorize(request.subject, 'unassign', assignObject)) {
    return { ok: false, kind: 'forbidden', message: 'not authorized to unassign roles' };
  }

  const actorRoles = request.actorRoles ?? request.subject.roles.map(roleIdentifierOf);
  for (const role of changed) {
    const key = formatRoleIdentifier(role);
    if (retiredRemovals.has(key)) continue;
    const target = assignmentTarget(role, customRoles.has(key));
    if (!canAssignRole(actorRoles, target)) {
      return { ok: false, kind: 'forbidden', message: `not authorized to assign role "${formatRoleIdentifier(target)}"` };
    }
  }
  return { ok: true, added, removed };
}

/** Roles in `after` but not `before` (added) and the reverse (removed), each listed once. */
export function changeRoleSet(
  before: readonly RoleIdentifier[],
  after: readonly RoleIdentifier[],
): { added: RoleIdentifier[]; removed: RoleIdentifier[] } {
  const beforeKeys = new Set(before.map(formatRoleIdentifier));
  const afterKeys = new Set(after.map(formatRoleIdentifier));
  const added: RoleIdentifier[] = [];
  const removed: RoleIdentifier[] = [];
  const seen = new Set<string>();
  for (const role of after) {
    const key = formatRoleIdentifier(role);
    if (!beforeKeys.has(key) && !seen.has(key)) {
      seen.add(key);
      added.push(role);
    }
  }
  for (const role of before) {
    const key = formatRoleIdentifier(role);
    if (!afterKeys.has(key) && !seen.has(key)) {
      seen.add(key);
      removed.push(role);
    }
  }
  return { added, removed };
}
