// Table types for Kysely. They mirror migrations/*.sql; a column added there is added here.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type LoginType = 'password' | 'github' | 'oidc' | 'token' | 'none';
export type UserStatus = 'active' | 'dormant' | 'suspended';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface UsersTable {
  id: string;
  email: string;
  username: string;
  name: Defaulted<string>;
  hashed_password: Defaulted<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  status: Defaulted<UserStatus>;
  rbac_roles: Defaulted<string[]>;
  login_type: Defaulted<LoginType>;
  avatar_url: Defaulted<string>;
  deleted: Defaulted<boolean>;
  last_seen_at: Timestamp;
  quiet_hours_schedule: Defaulted<string>;
  theme_preference: Defaulted<string>;
  terminal_font: Defaulted<string>;
  github_com_user_id: Defaulted<string | null>;
  hashed_one_time_passcode: Defaulted<Buffer | null>;
  one_time_passcode_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  is_system: Defaulted<boolean>;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  display_name: string;
  description: Defaulted<string>;
  icon: Defaulted<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  is_default: Defaulted<boolean>;
  deleted: Defaulted<boolean>;
  default_org_member_roles: Defaulted<string[]>;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  roles: Defaulted<string[]>;
}

export interface ApiKeysTable {
  id: string;
  hashed_secret: Buffer;
  user_id: string;
  last_used: Timestamp;
  expires_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  login_type: LoginType;
  lifetime_seconds: ColumnType<string, number | string | undefined, number | string>;
  ip_address: Defaulted<string>;
  scope: Defaulted<'all' | 'application_connect'>;
  token_name: Defaulted<string>;
}

export interface PermissionJson {
  negate: boolean;
  resource_type: string;
  action: string;
}

type JsonPermissions = ColumnType<PermissionJson[], string | undefined, string>;

export interface CustomRolesTable {
  id: string;
  name: string;
  display_name: Defaulted<string>;
  organization_id: string | null;
  site_permissions: JsonPermissions;
  org_permissions: JsonPermissions;
  user_permissions: JsonPermissions;
  member_permissions: JsonPermissions;
  is_system: Defaulted<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GroupsTable {
  id: string;
  name: string;
  display_name: Defaulted<string>;
  organization_id: string;
  avatar_url: Defaulted<string>;
  quota_allowance: Defaulted<number>;
  source: Defaulted<'user' | 'oidc'>;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
}

/** Live member count per organization (0003), kept by triggers; read by paginated-members. */
export interface OrganizationMemberCountsTable {
  organization_id: string;
  members: ColumnType<string, number | string | undefined, number | string>;
}

export interface UserLinksTable {
  user_id: string;
  login_type: LoginType;
  linked_id: Defaulted<string>;
  claims: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface RuntimeConfigTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
}

export interface AuditLogsTable {
  /** The lane (1..16): one of the parallel hash chains. */
  chain: ColumnType<number, number, never>;
  /** The position within the lane, from 1. */
  seq: ColumnType<string, number | string, never>;
  id: string;
  time: ColumnType<Date, Date | string, never>;
  user_id: string;
  organization_id: string;
  ip: string | null;
  user_agent: string;
  resource_type: string;
  resource_id: string;
  resource_target: string;
  resource_icon: string;
  action: string;
  diff: ColumnType<Record<string, unknown>, string, never>;
  status_code: number;
  additional_fields: ColumnType<Record<string, unknown>, string, never>;
  request_id: string;
  prev_hash: Buffer;
  hash: Buffer;
}

/** One row per lane (id 1..16): the lane's last seq and hash. */
export interface AuditChainHeadTable {
  id: number;
  seq: ColumnType<string, number | string, number | string>;
  hash: Buffer;
}

export interface Database {
  users: UsersTable;
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  organization_member_counts: OrganizationMemberCountsTable;
  api_keys: ApiKeysTable;
  custom_roles: CustomRolesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  user_links: UserLinksTable;
  runtime_config: RuntimeConfigTable;
  audit_logs: AuditLogsTable;
  audit_chain_head: AuditChainHeadTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type OrganizationMemberRow = Selectable<OrganizationMembersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type CustomRoleRow = Selectable<CustomRolesTable>;
export type GroupRow = Selectable<GroupsTable>;
export type AuditLogRow = Selectable<AuditLogsTable>;
export type { Generated };
