// Signing in: the first user, password login, logout and the available methods.
import { sql } from 'kysely';
import type { OrgdApp } from '../http/app.js';
import { ApiError, badRequest, conflict, internalError } from '../http/errors.js';
import { requireAuth } from '../http/params.js';
import { writeAuditRecord } from '../http/audited.js';
import { hashPassword, comparePassword, validatePasswordStrength } from '../http/password.js';
import { SESSION_COOKIE, generateApiKey } from '../http/apikey.js';
import { activateDormantUser } from '../http/auth.js';
import { countUsers, defaultOrganizationId, findUserByEmail, insertUser } from '../db/queries/users.js';
import { insertApiKey } from '../db/queries/apikeys.js';
import type { ApiKeyRow } from '../db/index.js';
import {
  AuthMethodsSchema,
  CreateFirstUserRequestSchema,
  CreateFirstUserResponseSchema,
  LoginWithPasswordRequestSchema,
  LoginWithPasswordResponseSchema,
  ResponseSchema,
  type AuthMethods,
} from './schemas.js';
import { normalizeRealName } from '../http/validation.js';

const FIRST_USER_LOCK = 7_303_140_296;

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

export async function authnRoutes(app: OrgdApp): Promise<void> {
  const { db, config } = app.orgd;
  const secureCookie = config.accessUrl.startsWith('https://');

  app.get(
    '/api/v2/users/first',
    {
      config: { auth: 'none', authz: 'public' },
      schema: { tags: ['Users'], operationId: 'check-initial-user-created', response: { 200: ResponseSchema, 404: ResponseSchema } },
    },
    async (_req, reply) => {
      if ((await countUsers(db)) === 0) return reply.code(404).send({ message: 'The initial user has not been created!' });
      return { message: 'The initial user has already been created!' };
    },
  );

  app.post(
    '/api/v2/users/first',
    {
      config: { auth: 'none', authz: 'public (only while no user exists)' },
      schema: {
        tags: ['Users'],
        operationId: 'create-initial-user',
        body: CreateFirstUserRequestSchema,
        response: { 201: CreateFirstUserResponseSchema },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const strength = validatePasswordStrength(body.password);
      // The count check and the insert share a transaction-scoped lock: of two racing first
      // users, exactly one is created.
      const created = await db.transaction().execute(async (tx) => {
        await sql`SELECT pg_advisory_xact_lock(${FIRST_USER_LOCK})`.execute(tx);
        if ((await countUsers(tx)) > 0) throw conflict('The initial user has already been created.');
        if (strength) throw badRequest('Password not strong enough!', undefined, [{ field: 'password', detail: strength }]);
        const orgId = await defaultOrganizationId(tx);
        if (!orgId) {
          throw internalError(
            'Internal error fetching default organization. If you are encountering this error, you will have to restart the Coder deployment.',
          );
        }
        const user = await insertUser(tx, {
          email: body.email,
          username: body.username,
          name: normalizeRealName(body.name ?? ''),
          hashedPassword: await hashPassword(body.password, config.passwordIterations),
          loginType: 'password',
          status: 'active',
          rbacRoles: ['owner'],
          organizationIds: [orgId],
        });
        return { user_id: user.id, organization_id: orgId };
      });
      return reply.code(201).send(created);
    },
  );

  app.post(
    '/api/v2/users/login',
    {
      config: { auth: 'none', authz: 'public', loginRateLimit: true },
      schema: {
        tags: ['Authorization'],
        operationId: 'log-in-user',
        body: LoginWithPasswordRequestSchema,
        response: { 201: LoginWithPasswordResponseSchema },
      },
    },
    async (req, reply) => {
      const { email, password } = req.body;
      const user = await findUserByEmail(db, email);
      // Compared even for unknown users (against a dummy hash) so timing reveals nothing.
      const ok = await comparePassword(user?.hashed_password ?? '', password);
      const auditSpec = { action: 'login', resourceType: 'api_key' } as const;
      const fail = async (err: ApiError): Promise<never> => {
        if (user) await writeAuditRecord<ApiKeyRow>(db, req, auditSpec, { userId: user.id }, err.status);
        throw err;
      };
      if (!user || !ok) return fail(new ApiError(401, 'Incorrect email or password.'));
      if (user.login_type !== 'password') {
        return fail(
          new ApiError(403, `Incorrect login type, attempting to use "password" but user is of login type "${user.login_type}"`),
        );
      }
      let current = user;
      if (current.status === 'dormant') current = await activateDormantUser(db, current, req);
      if (current.status !== 'active') {
        return fail(new ApiError(401, `Your account is ${current.status}. Contact an admin to reactivate your account.`));
      }
      const token = await db.transaction().execute(async (tx) => {
        const key = generateApiKey();
        const row = await insertApiKey(tx, key, {
          userId: current.id,
          loginType: 'password',
          lifetimeSeconds: config.sessionDurationSeconds,
          ip: req.ip,
        });
        await writeAuditRecord<ApiKeyRow>(tx, req, auditSpec, { userId: current.id, new: row }, 201);
        return key.token;
      });
      reply.header('Set-Cookie', sessionCookie(token, config.sessionDurationSeconds, secureCookie));
      return reply.code(201).send({ session_token: token });
    },
  );

  app.post(
    '/api/v2/users/logout',
    {
      config: { auth: 'required', authz: 'authenticated (own session)' },
      schema: { tags: ['Users'], operationId: 'log-out-user', response: { 200: ResponseSchema } },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      await db.transaction().execute(async (tx) => {
        const deleted = await tx.deleteFrom('api_keys').where('id', '=', auth.key.id).returningAll().executeTakeFirst();
        await tx
          .deleteFrom('api_keys')
          .where('user_id', '=', auth.user.id)
          .where('scope', '=', 'application_connect')
          .execute();
        await writeAuditRecord<ApiKeyRow>(tx, req, { action: 'logout', resourceType: 'api_key' }, { old: deleted }, 200);
      });
      reply.header('Set-Cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`);
      return { message: 'Logged out!' };
    },
  );

  app.get(
    '/api/v2/users/authmethods',
    {
      config: { auth: 'none', authz: 'public' },
      schema: { tags: ['Users'], operationId: 'get-authentication-methods', response: { 200: AuthMethodsSchema } },
    },
    async (): Promise<AuthMethods> => ({
      password: { enabled: true },
      github: { enabled: false, default_provider_configured: false },
      oidc: { enabled: false, signInText: '', iconUrl: '' },
    }),
  );
}
