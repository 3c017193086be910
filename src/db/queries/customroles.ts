// Custom roles (table custom_roles). Names are matched case-insensitively, as the unique index
// (lower(name), org) does; system roles (is_system) never show through the custom-role API.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { CustomRoleRow, DbOrTx, PermissionJson } from '../index.js';

export interface CustomRoleValues {
  name: string;
  displayName: string;
  organizationId: string;
  orgPermissions: readonly PermissionJson[];
  memberPermissions: readonly PermissionJson[];
}

const json = (list: readonly PermissionJson[]) =>
  JSON.stringify(list.map((p) => ({ negate: p.negate, resource_type: p.resource_type, action: p.action })));

/** The non-system custom roles of an org (or the site-wide ones for `null`), by name. */
export async function listCustomRoles(db: DbOrTx, organizationId: string | null): Promise<CustomRoleRow[]> {
  let q = db.selectFrom('custom_roles').selectAll().where('is_system', '=', false);
  q = organizationId === null ? q.where('organization_id', 'is', null) : q.where('organization_id', '=', organizationId);
  return q.orderBy(sql`lower(name)`).execute();
}

/** One non-system custom role of an org by name (any case). */
export async function findCustomRole(db: DbOrTx, organizationId: string, name: string): Promise<CustomRoleRow | undefined> {
  // PostgreSQL text cannot carry NUL, so no stored name holds one.
  if (name.includes('\0')) return undefined;
  return db
    .selectFrom('custom_roles')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('is_system', '=', false)
    .where(sql<boolean>`lower(name) = lower(${name})`)
    .executeTakeFirst();
}

/** Which of these stored names (any case) are custom roles in the org (site-wide for null). */
export async function existingCustomRoleNames(
  db: DbOrTx,
  organizationId: string | null,
  names: readonly string[],
): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  // PostgreSQL text cannot carry NUL, so no stored name holds one.
  const lowered = [...new Set(names.filter((n) => !n.includes('\0')).map((n) => n.toLowerCase()))];
  if (lowered.length === 0) return new Set();
  let q = db
    .selectFrom('custom_roles')
    .select(sql<string>`lower(name)`.as('name'))
    .where(sql<boolean>`lower(name) = ANY(${lowered}::text[])`);
  q = organizationId === null ? q.where('organization_id', 'is', null) : q.where('organization_id', '=', organizationId);
  const rows = await q.execute();
  return new Set(rows.map((r) => r.name));
}

/** Inserts a role; a duplicate name in the org raises the unique violation. */
export async function insertCustomRole(db: DbOrTx, v: CustomRoleValues): Promise<CustomRoleRow> {
  const now = new Date();
  return db
    .insertInto('custom_roles')
    .values({
      id: randomUUID(),
      name: v.name,
      display_name: v.displayName,
      organization_id: v.organizationId,
      site_permissions: '[]',
      org_permissions: json(v.orgPermissions),
      user_permissions: '[]',
      member_permissions: json(v.memberPermissions),
      is_system: false,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Replaces a role's display name and permissions, returning the row before and after (undefined
 * when no such role exists). The old row is read under a lock so the audit pair is exact.
 */
export async function updateCustomRole(
  db: DbOrTx,
  v: CustomRoleValues,
): Promise<{ old: CustomRoleRow; updated: CustomRoleRow } | undefined> {
  const old = await db
    .selectFrom('custom_roles')
    .selectAll()
    .where('organization_id', '=', v.organizationId)
    .where('is_system', '=', false)
    .where(sql<boolean>`lower(name) = lower(${v.name})`)
    .forUpdate()
    .executeTakeFirst();
  if (!old) return undefined;
  const updated = await db
    .updateTable('custom_roles')
    .set({
      display_name: v.displayName,
      org_permissions: json(v.orgPermissions),
      member_permissions: json(v.memberPermissions),
      updated_at: new Date(),
    })
    .where('id', '=', old.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { old, updated };
}

/**
 * Deletes a role and takes it away from every member of its org (and from the org's default
 * member roles), so a later role of the same name grants nothing to yesterday's holders.
 */
export async function deleteCustomRole(db: DbOrTx, role: CustomRoleRow): Promise<void> {
  await db.deleteFrom('custom_roles').where('id', '=', role.id).execute();
  if (role.organization_id === null) return;
  const name = role.name.toLowerCase();
  await sql`
    UPDATE organization_members
       SET roles = ARRAY(SELECT r FROM unnest(roles) AS r WHERE lower(r) <> ${name}),
           updated_at = now()
     WHERE organization_id = ${role.organization_id}
       AND EXISTS (SELECT 1 FROM unnest(roles) AS r WHERE lower(r) = ${name})
  `.execute(db);
  await sql`
    UPDATE organizations
       SET default_org_member_roles = ARRAY(SELECT r FROM unnest(default_org_member_roles) AS r WHERE lower(r) <> ${name})
     WHERE id = ${role.organization_id}
       AND EXISTS (SELECT 1 FROM unnest(default_org_member_roles) AS r WHERE lower(r) = ${name})
  `.execute(db);
}
