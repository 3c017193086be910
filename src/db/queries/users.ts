import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTx, LoginType, UserRow, UserStatus } from '../index.js';

export interface InsertUserParams {
  email: string;
  username: string;
  name: string;
  hashedPassword: string;
  loginType: LoginType;
  status?: UserStatus;
  rbacRoles?: string[];
  organizationIds: string[];
}

/** Inserts a user and their memberships (empty explicit roles); unique violations propagate. */
export async function insertUser(tx: DbOrTx, p: InsertUserParams): Promise<UserRow> {
  const now = new Date();
  const user = await tx
    .insertInto('users')
    .values({
      id: randomUUID(),
      email: p.email,
      username: p.username,
      name: p.name,
      hashed_password: p.hashedPassword,
      login_type: p.loginType,
      status: p.status,
      rbac_roles: p.rbacRoles ?? [],
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const orgs = [...new Set(p.organizationIds)];
  if (orgs.length) {
    await tx
      .insertInto('organization_members')
      .values(orgs.map((organization_id) => ({ organization_id, user_id: user.id, created_at: now, updated_at: now })))
      .execute();
  }
  return user;
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql`lower(email)`, '=', email.toLowerCase())
    .where('deleted', '=', false)
    .executeTakeFirst();
}

export async function countUsers(db: DbOrTx): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('deleted', '=', false).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function organizationIdsOf(db: DbOrTx, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('organization_members as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select('m.organization_id')
    .where('m.user_id', '=', userId)
    .where('o.deleted', '=', false)
    .orderBy('o.created_at')
    .execute();
  return rows.map((r) => r.organization_id);
}

export async function defaultOrganizationId(db: DbOrTx): Promise<string | undefined> {
  const row = await db.selectFrom('organizations').select('id').where('is_default', '=', true).executeTakeFirst();
  return row?.id;
}
