// Test users made directly in the database (fast, independent of the users API), then signed in
// through the real login route.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/http/password.js';
import { insertUser } from '../../src/db/queries/users.js';
import type { LoginType, UserStatus } from '../../src/db/index.js';
import { login, type TestServer } from './server.js';

export const TEST_PASSWORD = 'SomeSecurePassword!';

export interface TestUser {
  id: string;
  username: string;
  email: string;
  /** A session token (absent for users that cannot log in: suspended, non-password). */
  token: string;
}

export interface MakeUserOptions {
  username?: string;
  siteRoles?: string[];
  /** Organization id -> explicit org roles of that membership. */
  orgs?: Record<string, string[]>;
  loginType?: LoginType;
  status?: UserStatus;
  login?: boolean;
}

export async function makeUser(server: TestServer, opts: MakeUserOptions = {}): Promise<TestUser> {
  const username = opts.username ?? `u-${randomBytes(4).toString('hex')}`;
  const email = `${username}@example.com`;
  const db = server.database.db;
  const user = await insertUser(db, {
    email,
    username,
    name: '',
    hashedPassword: await hashPassword(TEST_PASSWORD, 1),
    loginType: opts.loginType ?? 'password',
    status: opts.status ?? 'active',
    rbacRoles: opts.siteRoles ?? [],
    organizationIds: Object.keys(opts.orgs ?? {}),
  });
  for (const [orgId, roles] of Object.entries(opts.orgs ?? {})) {
    if (roles.length) {
      await db.updateTable('organization_members').set({ roles }).where('organization_id', '=', orgId).where('user_id', '=', user.id).execute();
    }
  }
  const canLogin = opts.login !== false && (opts.loginType ?? 'password') === 'password' && (opts.status ?? 'active') !== 'suspended';
  const token = canLogin ? await login(server.app, email, TEST_PASSWORD) : '';
  return { id: user.id, username, email, token };
}

export async function defaultOrgId(server: TestServer): Promise<string> {
  const row = await server.database.db.selectFrom('organizations').select('id').where('is_default', '=', true).executeTakeFirstOrThrow();
  return row.id;
}
