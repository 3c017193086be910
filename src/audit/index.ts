// The audit module's face: diffs by resource type, resource identity (id/target/icon per type, as
// Coder records them), and the start-up check that every column of an audited table is classified.
import { sql } from 'kysely';
import type { Db, UserRow } from '../db/index.js';
import { computeDiff, type AuditDiff } from './diff.js';
import { AUDIT_POLICIES, getAuditPolicy, type AuditableResourceType } from './policies.js';

export type AuditResourceType = AuditableResourceType;
export { appendAuditEntry, type AuditAction, type AuditEntry } from './recorder.js';
export * from './policies.js';
export { computeDiff, type AuditDiff } from './diff.js';

export function auditDiff(resourceType: AuditResourceType, oldValue: unknown, newValue: unknown): AuditDiff {
  return computeDiff(getAuditPolicy(resourceType), (oldValue ?? undefined) as object | undefined, (newValue ?? undefined) as object | undefined);
}

export function userAuditDiff(oldUser: UserRow, newUser: UserRow): AuditDiff {
  return auditDiff('user', oldUser, newUser);
}

export interface ResourceIdentity {
  id: string;
  target: string;
  icon?: string;
}

type Snapshot = Record<string, unknown>;

/** The resource id Coder gives settings that are not rows of their own ("51A51C" = static). */
export const SETTINGS_RESOURCE_ID = '51a51c00-0000-0000-0000-000000000000';

/** Which id and display name an entry records for a resource (Coder's audit.ResourceID/Target). */
export function resourceIdentity(resourceType: AuditResourceType, value: unknown): ResourceIdentity {
  const r = value as Snapshot;
  const s = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
  switch (resourceType) {
    case 'user':
      return { id: s('id'), target: s('username'), icon: s('avatar_url') };
    case 'api_key':
      return { id: s('user_id'), target: s('token_name') };
    case 'organization':
      return { id: s('id'), target: s('name'), icon: s('icon') };
    case 'organization_member':
      return { id: s('user_id'), target: s('username') };
    case 'custom_role':
      return { id: s('id'), target: s('name') };
    case 'group':
      return { id: s('id'), target: s('name'), icon: s('avatar_url') };
    case 'convert_login':
      return { id: s('user_id'), target: s('to_login_type') };
    // Singleton settings have no id of their own: Coder records its "static" id for them.
    case 'idp_sync_settings_organization':
      return { id: SETTINGS_RESOURCE_ID, target: 'Organization Sync' };
    case 'idp_sync_settings_role':
      return { id: SETTINGS_RESOURCE_ID, target: 'Organization Role Sync' };
  }
}

/** The tables (and extra snapshot fields) behind each policy. */
const AUDITED_TABLES: Record<AuditResourceType, { table?: string; extra: string[] }> = {
  user: { table: 'users', extra: [] },
  organization: { table: 'organizations', extra: [] },
  organization_member: { table: 'organization_members', extra: ['username'] },
  custom_role: { table: 'custom_roles', extra: [] },
  group: { table: 'groups', extra: ['members'] },
  api_key: { table: 'api_keys', extra: [] },
  convert_login: { extra: [] },
  idp_sync_settings_organization: { extra: [] },
  idp_sync_settings_role: { extra: [] },
};

/**
 * Refuses to start when a column of an audited table is not classified by its policy (or a policy
 * names a column that is gone): a migration must decide what the audit log shows of a new field.
 */
export async function assertAuditPoliciesComplete(db: Db): Promise<void> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema()`.execute(db);
  const columns = new Map<string, string[]>();
  for (const r of rows) columns.set(r.table_name, [...(columns.get(r.table_name) ?? []), r.column_name]);
  const problems: string[] = [];
  for (const [type, { table, extra }] of Object.entries(AUDITED_TABLES) as [AuditResourceType, { table?: string; extra: string[] }][]) {
    if (!table) continue;
    const fields = new Set([...(columns.get(table) ?? []), ...extra]);
    const policy = AUDIT_POLICIES[type];
    const unclassified = [...fields].filter((f) => !(f in policy.fields));
    const stale = Object.keys(policy.fields).filter((f) => !fields.has(f));
    if (unclassified.length) problems.push(`${type}: unclassified ${unclassified.join(', ')}`);
    if (stale.length) problems.push(`${type}: classified but absent ${stale.join(', ')}`);
  }
  if (problems.length) {
    throw new Error(`audit policies are out of date with the schema (classify every field as track, ignore or secret): ${problems.join('; ')}`);
  }
}
