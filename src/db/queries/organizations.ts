// Organizations: lists filtered by the caller's read permission in SQL, creation with its first
// member and its "Everyone" group, updates and soft deletes.
import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { DbOrTx, OrganizationRow, Tx } from '../index.js';

/** Live organizations the predicate lets through, oldest first (the default org leads). */
export async function listOrganizations(db: DbOrTx, visible: RawBuilder<SqlBool>): Promise<OrganizationRow[]> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('deleted', '=', false)
    .where(visible)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Live organizations `userId` belongs to that the predicate lets through. */
export async function listOrganizationsOfUser(
  db: DbOrTx,
  userId: string,
  visible: RawBuilder<SqlBool>,
): Promise<OrganizationRow[]> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where('deleted', '=', false)
    .where('id', 'in', (eb) => eb.selectFrom('organization_members').select('organization_id').where('user_id', '=', userId))
    .where(visible)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** A live organization by name, case-insensitively. */
export async function organizationByName(db: DbOrTx, name: string): Promise<OrganizationRow | undefined> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .where('deleted', '=', false)
    .executeTakeFirst();
}

export interface NewOrganization {
  name: string;
  displayName: string;
  description: string;
  icon: string;
  defaultOrgMemberRoles: string[];
  /** The creator, who joins as a plain member. */
  creatorId: string;
}

/**
 * Inserts the organization, its creator's membership (no explicit roles) and its "Everyone" group
 * (id = org id), in the caller's transaction. A taken name surfaces as a unique violation.
 */
export async function insertOrganization(tx: Tx, p: NewOrganization): Promise<OrganizationRow> {
  const now = new Date();
  const org = await tx
    .insertInto('organizations')
    .values({
      id: randomUUID(),
      name: p.name,
      display_name: p.displayName,
      description: p.description,
      icon: p.icon,
      created_at: now,
      updated_at: now,
      default_org_member_roles: p.defaultOrgMemberRoles,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await tx
    .insertInto('organization_members')
    .values({ organization_id: org.id, user_id: p.creatorId, created_at: now, updated_at: now, roles: [] })
    .execute();
  await tx.insertInto('groups').values({ id: org.id, name: 'Everyone', display_name: '', organization_id: org.id }).execute();
  return org;
}

/** Locks a live organization row for a read-modify-update. */
export async function lockOrganization(tx: Tx, id: string): Promise<OrganizationRow | undefined> {
  return tx.selectFrom('organizations').selectAll().where('id', '=', id).where('deleted', '=', false).forUpdate().executeTakeFirst();
}

export interface OrganizationChanges {
  name: string;
  display_name: string;
  description: string;
  icon: string;
  default_org_member_roles: string[];
}

export async function updateOrganization(tx: Tx, id: string, changes: OrganizationChanges): Promise<OrganizationRow> {
  return tx
    .updateTable('organizations')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Soft delete; the database refuses while groups or members other than the last remain. */
export async function softDeleteOrganization(tx: Tx, id: string): Promise<OrganizationRow | undefined> {
  return tx
    .updateTable('organizations')
    .set({ deleted: true, updated_at: new Date() })
    .where('id', '=', id)
    .where('deleted', '=', false)
    .returningAll()
    .executeTakeFirst();
}
