// From what the database says about a user to a compiled subject: site roles plus the implied
// `member`, each membership's roles plus the implied `organization-member`, custom roles looked up
// among those the loader fetched (a custom role that no longer exists grants nothing).
import { compileSubject, type CompiledSubject, type ScopeName } from './subject.js';
import {
  ROLE_MEMBER,
  ROLE_ORG_MEMBER,
  expandRoles,
  formatRoleIdentifier,
  roleFromCustomRoleRow,
  type CustomRoleRow,
  type Role,
  type RoleIdentifier,
} from './roles.js';

export type Subject = CompiledSubject;

export interface SubjectSource {
  userId: string;
  /** users.rbac_roles */
  siteRoles: readonly string[];
  /** Each membership's explicit roles (plus the org's default member roles). */
  memberships: readonly { organizationId: string; roles: readonly string[] }[];
  groups: readonly string[];
  scope: ScopeName;
  /** The custom roles named by siteRoles or memberships, as stored. */
  customRoles: readonly CustomRoleRow[];
}

export function roleIdentifiersOf(source: Pick<SubjectSource, 'siteRoles' | 'memberships'>): RoleIdentifier[] {
  const ids: RoleIdentifier[] = [{ name: ROLE_MEMBER, organizationId: '' }];
  for (const name of source.siteRoles) ids.push({ name, organizationId: '' });
  for (const m of source.memberships) {
    ids.push({ name: ROLE_ORG_MEMBER, organizationId: m.organizationId });
    for (const name of m.roles) ids.push({ name, organizationId: m.organizationId });
  }
  return ids;
}

export function expandSubjectRoles(source: Pick<SubjectSource, 'siteRoles' | 'memberships' | 'customRoles'>): Role[] {
  const custom = new Map<string, Role>();
  for (const row of source.customRoles) {
    const role = roleFromCustomRoleRow(row);
    custom.set(formatRoleIdentifier({ name: row.name.toLowerCase(), organizationId: role.organization_id }), role);
  }
  return expandRoles(roleIdentifiersOf(source), (id) =>
    custom.get(formatRoleIdentifier({ name: id.name.toLowerCase(), organizationId: id.organizationId })),
  );
}

export function loadSubject(source: SubjectSource): Subject {
  return compileSubject({
    userId: source.userId,
    roles: expandSubjectRoles(source),
    groups: source.groups,
    scope: source.scope,
  });
}
