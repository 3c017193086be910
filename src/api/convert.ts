// Database rows -> wire objects. One place, so every route answers the same shapes.
import type { ApiKeyRow, OrganizationRow, UserRow } from '../db/index.js';
import { slimRole } from '../rbac/index.js';
import type { APIKey, MinimalOrganization, Organization, ReducedUser, SlimRole, User } from './schemas.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function iso(d: Date | string | null | undefined): string {
  if (d === null || d === undefined) return ZERO_TIME;
  const date = typeof d === 'string' ? new Date(d) : d;
  // PostgreSQL's -infinity/ year-1 default renders as Go's zero time.
  return date.getUTCFullYear() <= 1 ? ZERO_TIME : date.toISOString();
}

export function siteSlimRoles(names: readonly string[]): SlimRole[] {
  return names.map((name) => {
    const r = slimRole({ name, organizationId: '' });
    return { name: r.name, display_name: r.display_name };
  });
}

/** The columns a user's wire form is made of (rows and joined snapshots both have them). */
export type UserFields = Pick<
  UserRow,
  'id' | 'username' | 'name' | 'avatar_url' | 'email' | 'created_at' | 'updated_at' | 'last_seen_at' | 'status' | 'login_type' | 'rbac_roles'
>;

export function toReducedUser(u: UserFields): ReducedUser {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    avatar_url: u.avatar_url,
    email: u.email,
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    last_seen_at: iso(u.last_seen_at),
    status: u.status,
    login_type: u.login_type,
  };
}

export function toUser(u: UserFields, organizationIds: readonly string[]): User {
  return { ...toReducedUser(u), organization_ids: [...organizationIds], roles: siteSlimRoles(u.rbac_roles) };
}

function legacyScope(scope: string): string {
  return scope === 'application_connect' ? 'application_connect' : 'all';
}

export function toApiKey(k: ApiKeyRow): APIKey {
  return {
    id: k.id,
    user_id: k.user_id,
    last_used: iso(k.last_used),
    expires_at: iso(k.expires_at),
    created_at: iso(k.created_at),
    updated_at: iso(k.updated_at),
    login_type: k.login_type,
    scope: legacyScope(k.scope),
    scopes: [k.scope === 'application_connect' ? 'coder:application_connect' : 'coder:all'],
    token_name: k.token_name,
    lifetime_seconds: Number(k.lifetime_seconds),
    allow_list: [{ type: '*', id: '*' }],
  };
}

export function toOrganization(o: OrganizationRow): Organization {
  return {
    id: o.id,
    name: o.name,
    display_name: o.display_name,
    icon: o.icon,
    description: o.description,
    created_at: iso(o.created_at),
    updated_at: iso(o.updated_at),
    is_default: o.is_default,
    default_org_member_roles: [...o.default_org_member_roles],
  };
}

export function toMinimalOrganization(o: Pick<OrganizationRow, 'id' | 'name' | 'display_name' | 'icon'>): MinimalOrganization {
  return { id: o.id, name: o.name, display_name: o.display_name, icon: o.icon };
}
