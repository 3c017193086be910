// What an audit diff may show of each auditable resource (Coder's enterprise/audit/table.go).
//
// Every column of an audited row is classified:
//   track  - the change appears in the diff as {old, new};
//   secret - the diff only says that it changed ({old: zero, new: zero, secret: true});
//   ignore - never appears (implicit, noisy or irrelevant to an audit).
// A policy must classify exactly the fields of its row: the types below make a missing or extra
// field a compile error, and `assertPolicyCovers` checks a real row at start-up so that a column
// added by a migration cannot slip into (or out of) the audit log unnoticed.
import type {
  ApiKeyRow,
  CustomRoleRow,
  GroupRow,
  LoginType,
  OrganizationMemberRow,
  OrganizationRow,
  UserRow,
} from '../db/schema.js';

export type FieldAction = 'track' | 'ignore' | 'secret';

export interface FieldRule {
  action: FieldAction;
  /**
   * How the value reads in a diff. `permissions`: a custom role's permission list shown as strings
   * like `workspace.read` / `-workspace.read` (negated), as Coder does.
   */
  format?: 'permissions';
  /**
   * For secrets, the value shown on both sides instead of the zero value of the field's type.
   * Used where orgd's column type differs from Coder's (a bytea's zero value is JSON null).
   */
  zero?: unknown;
}

/** A field classification: the bare action or a full rule. */
export type FieldSpec = FieldAction | FieldRule;

export interface AuditPolicy<T extends object = object> {
  readonly resourceType: AuditableResourceType;
  readonly fields: Readonly<Record<string, FieldRule>>;
  /** Only a type tag; never set. */
  readonly __row?: T;
}

/** The resource types orgd audits with a diff. */
export type AuditableResourceType =
  | 'user'
  | 'organization'
  | 'organization_member'
  | 'custom_role'
  | 'group'
  | 'api_key'
  | 'convert_login'
  | 'idp_sync_settings_organization'
  | 'idp_sync_settings_role';

/** The snapshot audited for an organization member: the membership row plus the username. */
export type AuditableOrganizationMember = OrganizationMemberRow & { username: string };

/** One member in a group snapshot; sort by user_id so that unchanged lists compare equal. */
export interface AuditableGroupMember {
  user_id: string;
  group_id: string;
}

/** The snapshot audited for a group: the row plus its explicit members. */
export type AuditableGroup = GroupRow & { members: AuditableGroupMember[] };

/** State recorded when a user starts converting to another login type. */
export interface AuditOAuthConvertState {
  created_at: Date;
  expires_at: Date;
  from_login_type: LoginType;
  to_login_type: LoginType;
  user_id: string;
}

/** IdP organization sync settings as audited (Coder's idpsync.OrganizationSyncSettings). */
export interface AuditableOrganizationSyncSettings {
  field: string;
  mapping: Record<string, string[]>;
  assign_default: boolean;
}

/** IdP role sync settings of one organization (Coder's idpsync.RoleSyncSettings). */
export interface AuditableRoleSyncSettings {
  field: string;
  mapping: Record<string, string[]>;
}

/**
 * Declares a policy. Every field of T must be classified and no other field may be (the object
 * literal's excess-property check catches the latter).
 */
export function defineAuditPolicy<T extends object>(
  resourceType: AuditableResourceType,
  fields: { [K in keyof T & string]-?: FieldSpec },
): AuditPolicy<T> {
  const normalized: Record<string, FieldRule> = {};
  for (const [field, spec] of Object.entries(fields as Record<string, FieldSpec>)) {
    const rule = typeof spec === 'string' ? { action: spec } : { ...spec };
    if (rule.action !== 'track' && rule.action !== 'ignore' && rule.action !== 'secret') {
      throw new Error(`audit policy for "${resourceType}": field "${field}" has unknown action "${String(rule.action)}"`);
    }
    normalized[field] = Object.freeze(rule);
  }
  return Object.freeze({ resourceType, fields: Object.freeze(normalized) });
}

export const userAuditPolicy = defineAuditPolicy<UserRow>('user', {
  id: 'track',
  email: 'track',
  username: 'track',
  name: 'track',
  // Coder's column is bytea, whose zero value shows as null; orgd keeps the same wire form.
  hashed_password: { action: 'secret', zero: null },
  created_at: 'ignore', // never changes
  updated_at: 'ignore', // changes with everything; implicit
  status: 'track',
  rbac_roles: 'track',
  login_type: 'track',
  avatar_url: 'ignore',
  deleted: 'track',
  last_seen_at: 'ignore',
  quiet_hours_schedule: 'track',
  theme_preference: 'ignore', // appearance settings live outside the user in Coder
  terminal_font: 'ignore',
  github_com_user_id: 'ignore',
  hashed_one_time_passcode: 'ignore',
  one_time_passcode_expires_at: 'track',
  is_system: 'track', // should never change; tracked anyway
});

export const organizationAuditPolicy = defineAuditPolicy<OrganizationRow>('organization', {
  id: 'ignore',
  name: 'track',
  display_name: 'track',
  description: 'track',
  icon: 'track',
  created_at: 'ignore',
  updated_at: 'track',
  is_default: 'track',
  deleted: 'track',
  default_org_member_roles: 'track',
});

export const organizationMemberAuditPolicy = defineAuditPolicy<AuditableOrganizationMember>('organization_member', {
  organization_id: 'ignore', // never changes
  user_id: 'track',
  username: 'track',
  created_at: 'track',
  updated_at: 'track',
  roles: 'track',
});

export const customRoleAuditPolicy = defineAuditPolicy<CustomRoleRow>('custom_role', {
  id: 'ignore',
  name: 'track',
  display_name: 'track',
  organization_id: 'ignore', // never changes
  site_permissions: { action: 'track', format: 'permissions' },
  org_permissions: { action: 'track', format: 'permissions' },
  user_permissions: { action: 'track', format: 'permissions' },
  member_permissions: { action: 'track', format: 'permissions' },
  is_system: 'track', // should never change; tracked anyway
  created_at: 'ignore',
  updated_at: 'ignore',
});

export const groupAuditPolicy = defineAuditPolicy<AuditableGroup>('group', {
  id: 'track',
  name: 'track',
  display_name: 'track',
  organization_id: 'ignore', // never changes
  avatar_url: 'track',
  quota_allowance: 'track',
  members: 'track',
  source: 'ignore',
});

export const apiKeyAuditPolicy = defineAuditPolicy<ApiKeyRow>('api_key', {
  id: 'ignore',
  hashed_secret: 'ignore',
  user_id: 'track',
  last_used: 'track',
  expires_at: 'track',
  created_at: 'track',
  updated_at: 'ignore',
  login_type: 'ignore',
  lifetime_seconds: 'ignore',
  ip_address: 'ignore',
  scope: 'ignore',
  token_name: 'ignore',
});

export const convertLoginAuditPolicy = defineAuditPolicy<AuditOAuthConvertState>('convert_login', {
  created_at: 'track',
  expires_at: 'track',
  from_login_type: 'track',
  to_login_type: 'track',
  user_id: 'track',
});

export const organizationSyncAuditPolicy = defineAuditPolicy<AuditableOrganizationSyncSettings>('idp_sync_settings_organization', {
  field: 'track',
  mapping: 'track',
  assign_default: 'track',
});

export const roleSyncAuditPolicy = defineAuditPolicy<AuditableRoleSyncSettings>('idp_sync_settings_role', {
  field: 'track',
  mapping: 'track',
});

/** Every policy, by resource type. */
export const AUDIT_POLICIES: Readonly<Record<AuditableResourceType, AuditPolicy>> = Object.freeze({
  user: userAuditPolicy,
  organization: organizationAuditPolicy,
  organization_member: organizationMemberAuditPolicy,
  custom_role: customRoleAuditPolicy,
  group: groupAuditPolicy,
  api_key: apiKeyAuditPolicy,
  convert_login: convertLoginAuditPolicy,
  idp_sync_settings_organization: organizationSyncAuditPolicy,
  idp_sync_settings_role: roleSyncAuditPolicy,
});

/** The policy of a resource type; throws for a type orgd does not diff. */
export function getAuditPolicy(resourceType: string): AuditPolicy {
  const policy = (AUDIT_POLICIES as Record<string, AuditPolicy | undefined>)[resourceType];
  if (!policy) throw new Error(`no audit policy for resource type "${resourceType}"`);
  return policy;
}

/**
 * Checks a real snapshot (e.g. a row just read from the database) against its policy and throws,
 * naming the fields, when the row has a field the policy does not classify or the policy classifies
 * a field the row no longer has. Meant for server start-up, as Coder refuses to start on a stale table.
 */
export function assertPolicyCovers(policyOrType: AuditPolicy | AuditableResourceType, sample: object): void {
  const policy = typeof policyOrType === 'string' ? getAuditPolicy(policyOrType) : policyOrType;
  const sampleFields = new Set(Object.keys(sample));
  const unclassified = [...sampleFields].filter((f) => !(f in policy.fields)).sort();
  const stale = Object.keys(policy.fields)
    .filter((f) => !sampleFields.has(f))
    .sort();
  if (unclassified.length === 0 && stale.length === 0) return;
  const problems: string[] = [];
  const list = (fields: string[]) => fields.map((f) => `"${f}"`).join(', ');
  if (unclassified.length > 0) problems.push(`unclassified field(s) ${list(unclassified)} (classify them as track, ignore or secret)`);
  if (stale.length > 0) problems.push(`stale field(s) ${list(stale)} no longer present on the row`);
  throw new Error(`audit policy for "${policy.resourceType}" is out of date: ${problems.join('; ')}`);
}
