// Users: create, list and search, read one, profile, status, delete, password, site roles, login
// type, appearance, and the password strength check.
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { OrgdApp } from '../http/app.js';
import { ApiError, badRequest, conflict, forbidden, invalidQuery, notFound } from '../http/errors.js';
import { requireAuth, resolveUserParam } from '../http/params.js';
import { audited } from '../http/audited.js';
import { parseUsersQuery } from '../http/searchquery.js';
import { parsePagination, type RawQuery } from '../http/pagination.js';
import { comparePassword, hashPassword, validatePasswordStrength } from '../http/password.js';
import { NIL_UUID, goQuote, normalizeRealName, parseUuid, validateFields, validationFailedDetail } from '../http/validation.js';
import {
  defaultOrganizationId,
  findUserByEmailOrUsername,
  insertUser,
  listUsers,
  liveOrganizationIds,
  membershipRolesOf,
  organizationIdsOf,
  softDeleteUser,
  updateUser,
  updateUserPassword,
} from '../db/queries/users.js';
import { isUniqueViolation, type Db, type DbOrTx, type LoginType, type UserRow, type UserStatus } from '../db/index.js';
import { authorizedRows } from '../db/authzfilter.js';
import { authorize, canAssignRole, prepareFilter, roleIdentifierOf, type AuthzObject, type Subject } from '../rbac/index.js';
import { toUser } from './convert.js';
import {
  CreateUserRequestWithOrgsSchema,
  GetUsersResponseSchema,
  ResponseSchema,
  TERMINAL_FONT_NAMES,
  UpdateUserAppearanceSettingsRequestSchema,
  UpdateUserPasswordRequestSchema,
  UpdateUserProfileRequestSchema,
  UserAppearanceSettingsSchema,
  UserLoginTypeSchema,
  UserRolesSchema,
  UserSchema,
  ValidateUserPasswordRequestSchema,
  ValidateUserPasswordResponseSchema,
  type GetUsersResponse,
  type User,
  type UserAppearanceSettings,
  type UserRoles,
} from './schemas.js';

export const UserParams = Type.Object({ user: Type.String() });

const UsersQuery = Type.Object(
  {
    q: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    after_id: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    limit: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    offset: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  },
  { additionalProperties: true },
);

/** A user as the RBAC policy sees it: owned by itself, in no organization. */
export const userObject = (u: { id: string }): AuthzObject => ({ type: 'user', id: u.id, owner: u.id });

/** A user as the caller may see it: organization ids limited to organizations the caller can read. */
export async function userAsSeenBy(req: FastifyRequest, db: Db, user: UserRow): Promise<User> {
  const auth = requireAuth(req);
  const orgIds = (await organizationIdsOf(db, user.id)).filter((org) =>
    authorize(auth.subject, 'read', { type: 'organization', id: org, org }),
  );
  return toUser(user, orgIds);
}

const MESSAGES = {
  notAuthorizedToCreate: 'You are not authorized to create users.',
  noOrganization:
    'No organization specified to place the user as a member of. It is required to specify at least one organization id to place the user in.',
  userExists: 'User already exists.',
  usernameTaken: 'A user with this username already exists.',
  cannotSuspendSelf: 'You cannot suspend yourself.',
  cannotSuspendOwner: 'You cannot suspend a user with the "owner" role. You must remove the role first.',
  cannotDeleteSelf: 'You cannot delete yourself!',
} as const;

/** The login types `POST /users` accepts, with the check each one needs (Coder's order and texts). */
function checkNewUserLoginType(loginType: string, password: string): ApiError | null {
  switch (loginType) {
    case 'none':
    case 'github':
      return null;
    case 'password': {
      const weak = validatePasswordStrength(password);
      return weak ? badRequest('Password not strong enough!', undefined, [{ field: 'password', detail: weak }]) : null;
    }
    case 'oidc':
      // orgd has no OIDC provider configuration to sign such users in with.
      return badRequest('You must configure OIDC before creating OIDC users.');
    default:
      return badRequest(`Unsupported login type ${goQuote(loginType)} for manually creating new users.`);
  }
}

/** PostgreSQL text cannot hold NUL: a value containing one fails its field's validation tag. */
function refuseNul(fields: [field: string, tag: string, value: unknown][]): void {
  const bad = fields.filter(([, , v]) => typeof v === 'string' && v.includes('\0'));
  if (bad.length) {
    throw badRequest('Validation failed.', undefined, bad.map(([field, tag, v]) => ({ field, detail: validationFailedDetail(tag, v) })));
  }
}

/** True when the subject could assign each of these site roles (so it outranks their holder). */
function mayActAsHolderOf(subject: Subject, siteRoles: readonly string[]): boolean {
  const actorRoles = subject.roles.map(roleIdentifierOf);
  return siteRoles.every((name) => canAssignRole(actorRoles, { name, organizationId: '' }));
}

export async function userRoutes(app: OrgdApp): Promise<void> {
  const { db, config } = app.orgd;

  app.post(
    '/api/v2/users',
    {
      config: { auth: 'required', authz: 'create user, and create organization_member in each organization' },
      schema: {
        tags: ['Users'],
        operationId: 'create-new-user',
        body: CreateUserRequestWithOrgsSchema,
        response: { 201: UserSchema },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const body = req.body;
      refuseNul([['name', 'user_real_name', body.name]]);
      const loginType = body.login_type || 'password';
      const password = body.password ?? '';
      // Hash before the transaction (it is the slow part), and only for callers who may create users.
      const mayCreate = authorize(auth.subject, 'create', { type: 'user' });
      const hashedPassword =
        mayCreate && loginType === 'password' && validatePasswordStrength(password) === null
          ? await hashPassword(password, config.passwordIterations)
          : '';
      const created = await audited<UserRow, { user: UserRow; orgIds: string[] }>(
        req,
        db,
        { action: 'create', resourceType: 'user', status: 201 },
        async (rec, tx) => {
          if (loginType !== 'password' && password !== '') {
            throw badRequest(`Password cannot be set for non-password (${goQuote(loginType)}) authentication.`);
          }
          const requested = body.organization_ids ?? [];
          if (requested.length === 0) {
            throw badRequest(MESSAGES.noOrganization, "required at least 1 value for the array 'organization_ids'", [
              { field: 'organization_ids', detail: 'Missing values, this cannot be empty' },
            ]);
          }
          if (!mayCreate) throw new ApiError(403, MESSAGES.notAuthorizedToCreate);
          // A courtesy answer in Coder's order; the unique indexes below settle races.
          if (await findUserByEmailOrUsername(tx, body.email, body.username)) throw conflict(MESSAGES.userExists);

          const orgIds = await resolveOrganizationIds(tx, requested);
          for (const org of orgIds) {
            if (!authorize(auth.subject, 'create', { type: 'organization_member', org })) {
              throw new ApiError(403, MESSAGES.notAuthorizedToCreate);
            }
          }
          const loginTypeError = checkNewUserLoginType(loginType, password);
          if (loginTypeError) throw loginTypeError;

          let user: UserRow;
          try {
            user = await insertUser(tx, {
              email: body.email,
              username: body.username,
              name: normalizeRealName(body.name ?? ''),
              hashedPassword,
              loginType: loginType as LoginType,
              status: (body.user_status ?? undefined) as UserStatus | undefined,
              organizationIds: orgIds,
            });
          } catch (err) {
            if (isUniqueViolation(err)) throw conflict(MESSAGES.userExists);
            throw err;
          }
          rec.new = user;
          return { user, orgIds };
        },
      );
      return reply.code(201).send(toUser(created.user, created.orgIds));
    },
  );

  app.get(
    '/api/v2/users',
    {
      config: { auth: 'required', authz: 'authenticated; rows limited to users the caller can read' },
      schema: {
        tags: ['Users'],
        operationId: 'get-users',
        querystring: UsersQuery,
        response: { 200: GetUsersResponseSchema },
      },
    },
    async (req): Promise<GetUsersResponse> => {
      const auth = requireAuth(req);
      const query = req.query as RawQuery;
      // Like Go's url.Values.Get: the first `q` counts.
      const q = Array.isArray(query.q) ? query.q[0] : query.q;
      const search = parseUsersQuery(q);
      if (!search.ok) throw badRequest('Invalid user search query.', undefined, search.validations);
      const page = parsePagination(query);
      if (!page.ok) throw invalidQuery(page.validations);
      const readable = prepareFilter(auth.subject, 'read', 'user');
      const { users, count } = await listUsers(db, {
        search: search.filter,
        visible: authorizedRows(readable, { owner: 'users.id' }),
        visibleToAll: readable.all,
        visibleOrgs: authorizedRows(prepareFilter(auth.subject, 'read', 'organization'), { org: 'm.organization_id' }),
        afterId: page.value.afterId,
        limit: page.value.limit,
        offset: page.value.offset,
      });
      return { users: users.map((u) => toUser(u, u.organization_ids)), count };
    },
  );

  app.post(
    '/api/v2/users/validate-password',
    {
      config: { auth: 'none', authz: 'public', loginRateLimit: true },
      schema: {
        tags: ['Authorization'],
        operationId: 'validate-user-password',
        body: ValidateUserPasswordRequestSchema,
        response: { 200: ValidateUserPasswordResponseSchema },
      },
    },
    async (req) => {
      const problem = validatePasswordStrength(req.body.password);
      return { valid: problem === null, details: problem ?? '' };
    },
  );

  app.get(
    '/api/v2/users/:user',
    {
      config: { auth: 'required', authz: 'authenticated (as Coder: no check on the user itself)' },
      schema: { tags: ['Users'], operationId: 'get-user-by-name', params: UserParams, response: { 200: UserSchema } },
    },
    async (req) => userAsSeenBy(req, db, await resolveUserParam(req, db)),
  );

  app.delete(
    '/api/v2/users/:user',
    {
      config: { auth: 'required', authz: 'delete user (never oneself)' },
      schema: { tags: ['Users'], operationId: 'delete-user', params: UserParams, response: { 200: ResponseSchema } },
    },
    async (req) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      await audited<UserRow, void>(req, db, { action: 'delete', resourceType: 'user', status: 200 }, async (rec, tx) => {
        rec.old = user;
        if (user.id === auth.user.id) throw new ApiError(403, MESSAGES.cannotDeleteSelf);
        if (!authorize(auth.subject, 'delete', userObject(user))) throw forbidden();
        const deleted = await softDeleteUser(tx, user.id);
        if (!deleted) throw notFound();
        rec.new = deleted;
      });
      return { message: 'User has been deleted!' };
    },
  );

  app.put(
    '/api/v2/users/:user/profile',
    {
      config: { auth: 'required', authz: 'update_personal user' },
      schema: {
        tags: ['Users'],
        operationId: 'update-user-profile',
        params: UserParams,
        body: UpdateUserProfileRequestSchema,
        response: { 200: UserSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      const body = req.body;
      refuseNul([['name', 'user_real_name', body.name]]);
      const taken = () =>
        conflict(MESSAGES.usernameTaken, undefined, [{ field: 'username', detail: 'This username is already in use.' }]);
      const updated = await audited<UserRow, UserRow>(req, db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
        rec.old = user;
        // Coder lets this through to the database, whose refusal surfaces as a 500; say 403 instead.
        if (!authorize(auth.subject, 'update_personal', userObject(user))) throw forbidden();
        const holder = await findUserByEmailOrUsername(tx, '', body.username);
        if (holder && holder.id !== user.id) throw taken();
        let row: UserRow | undefined;
        try {
          row = await updateUser(tx, user.id, { username: body.username, name: body.name ?? '' });
        } catch (err) {
          if (isUniqueViolation(err)) throw taken();
          throw err;
        }
        if (!row) throw notFound();
        rec.new = row;
        return row;
      });
      return userAsSeenBy(req, db, updated);
    },
  );

  for (const [action, status, operationId] of [
    ['suspend', 'suspended', 'suspend-user-account'],
    ['activate', 'active', 'activate-user-account'],
  ] as const) {
    app.put(
      `/api/v2/users/:user/status/${action}`,
      {
        config: { auth: 'required', authz: `update user${action === 'suspend' ? ' (never oneself, never an owner)' : ''}` },
        schema: { tags: ['Users'], operationId, params: UserParams, response: { 200: UserSchema } },
      },
      async (req) => {
        const auth = requireAuth(req);
        const user = await resolveUserParam(req, db);
        const updated = await audited<UserRow, UserRow>(req, db, { action: 'write', resourceType: 'user', status: 200 }, async (rec, tx) => {
          rec.old = user;
          if (status === 'suspended') {
            // Suspending yourself locks you out; an owner must lose the role first.
            if (user.id === auth.user.id) throw badRequest(MESSAGES.cannotSuspendSelf);
            if (user.rbac_roles.includes('owner')) throw badRequest(MESSAGES.cannotSuspendOwner);
          }
          // Coder answers a refusal here with a 500; it is a 403.
          if (!authorize(auth.subject, 'update', userObject(user))) throw forbidden();
          const row = await updateUser(tx, user.id, { status });
          if (!row) throw notFound();
          rec.new = row;
          return row;
        });
        // The suspended user's cached sessions are dropped when this response is sent (app.ts), and on
        // other replicas by the users trigger's NOTIFY: their next request is a 401.
        return userAsSeenBy(req, db, updated);
      },
    );
  }

  app.put(
    '/api/v2/users/:user/password',
    {
      config: { auth: 'required', authz: 'update_personal user (else 404)', loginRateLimit: true },
      schema: {
        tags: ['Users'],
        operationId: 'update-user-password',
        params: UserParams,
        body: UpdateUserPasswordRequestSchema,
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      const body = req.body;
      await audited<UserRow, void>(req, db, { action: 'write', resourceType: 'user', status: 204 }, async (rec, tx) => {
        rec.old = user;
        if (!authorize(auth.subject, 'update_personal', userObject(user))) throw notFound();
        // Setting someone else's password takes over their account, so it needs authority over
        // every site role they hold: a user admin may reset a member, not an owner.
        if (user.id !== auth.user.id && !mayActAsHolderOf(auth.subject, user.rbac_roles)) throw forbidden();
        const invalid = validateFields(body, [['password', 'required']]);
        if (invalid.length) throw badRequest('Validation failed.', undefined, invalid);
        const password = body.password!;
        const oldPassword = body.old_password ?? '';
        if (user.login_type !== 'password') throw badRequest('Users without password login type cannot change their password.');
        // Admins may reset another user's password without knowing it; you must know your own.
        if (user.id === auth.user.id && oldPassword === '') throw badRequest('Old password is required.');
        const weak = validatePasswordStrength(password);
        if (weak) throw badRequest('Invalid password.', undefined, [{ field: 'password', detail: weak }]);
        if (oldPassword !== '' && !(await comparePassword(user.hashed_password, oldPassword))) {
          throw badRequest('Old password is incorrect.', undefined, [{ field: 'old_password', detail: 'Old password is incorrect.' }]);
        }
        if (await comparePassword(user.hashed_password, password)) throw badRequest('New password cannot match old password.');
        // Every session and token of the user dies with the old password.
        const row = await updateUserPassword(tx, user.id, await hashPassword(password, config.passwordIterations));
        if (!row) throw notFound();
        rec.new = row;
      });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v2/users/:user/roles',
    {
      config: { auth: 'required', authz: 'read_personal user (else 404)' },
      schema: { tags: ['Users'], operationId: 'get-user-roles', params: UserParams, response: { 200: UserRolesSchema } },
    },
    async (req): Promise<UserRoles> => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (!authorize(auth.subject, 'read_personal', userObject(user))) throw notFound();
      const organizationRoles: Record<string, string[]> = {};
      for (const m of await membershipRolesOf(db, user.id)) {
        const visible = authorize(auth.subject, 'read', {
          type: 'organization_member',
          id: user.id,
          owner: user.id,
          org: m.organization_id,
        });
        if (visible) organizationRoles[m.organization_id] = m.roles;
      }
      return { roles: user.rbac_roles, organization_roles: organizationRoles };
    },
  );

  app.get(
    '/api/v2/users/:user/login-type',
    {
      config: { auth: 'required', authz: 'oneself only' },
      schema: { tags: ['Users'], operationId: 'get-user-login-type', params: UserParams, response: { 200: UserLoginTypeSchema } },
    },
    async (req) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (user.id !== auth.user.id) throw new ApiError(403, "You are not authorized to view this user's login type.");
      return { login_type: user.login_type };
    },
  );

  app.get(
    '/api/v2/users/:user/appearance',
    {
      config: { auth: 'required', authz: 'read_personal user (else 404)' },
      schema: {
        tags: ['Users'],
        operationId: 'get-user-appearance-settings',
        params: UserParams,
        response: { 200: UserAppearanceSettingsSchema },
      },
    },
    async (req): Promise<UserAppearanceSettings> => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (!authorize(auth.subject, 'read_personal', userObject(user))) throw notFound();
      return { theme_preference: user.theme_preference, terminal_font: user.terminal_font };
    },
  );

  app.put(
    '/api/v2/users/:user/appearance',
    {
      config: { auth: 'required', authz: 'update_personal user (else 404)' },
      schema: {
        tags: ['Users'],
        operationId: 'update-user-appearance-settings',
        params: UserParams,
        body: UpdateUserAppearanceSettingsRequestSchema,
        response: { 200: UserAppearanceSettingsSchema },
      },
    },
    async (req): Promise<UserAppearanceSettings> => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (!authorize(auth.subject, 'update_personal', userObject(user))) throw notFound();
      refuseNul([['theme_preference', 'required', req.body.theme_preference]]);
      const font = req.body.terminal_font;
      if (font !== undefined && !(TERMINAL_FONT_NAMES as readonly string[]).includes(font)) {
        throw badRequest('Unsupported font family.');
      }
      // Appearance is a preference, not an account change: Coder does not audit it either.
      const row = await updateUser(db, user.id, {
        theme_preference: req.body.theme_preference,
        ...(font !== undefined ? { terminal_font: font } : {}),
      });
      if (!row) throw notFound();
      return { theme_preference: row.theme_preference, terminal_font: row.terminal_font };
    },
  );
}

/**
 * The organizations a new user joins: the nil uuid stands for the default organization; any other
 * id must name a live organization (Coder's 404 text otherwise). Duplicates collapse.
 */
async function resolveOrganizationIds(tx: DbOrTx, requested: readonly string[]): Promise<string[]> {
  const ids = requested.map((raw) => ({ raw, id: parseUuid(raw) ?? raw.toLowerCase() }));
  const live = await liveOrganizationIds(tx, ids.filter((x) => x.id !== NIL_UUID && parseUuid(x.id) !== null).map((x) => x.id));
  const defaultOrg = ids.some((x) => x.id === NIL_UUID) ? await defaultOrganizationId(tx) : undefined;
  const out: string[] = [];
  for (const { raw, id } of ids) {
    const resolved = id === NIL_UUID ? defaultOrg : live.has(id) ? id : undefined;
    if (!resolved) throw new ApiError(404, `Organization does not exist with the provided id ${goQuote(raw)}.`);
    if (!out.includes(resolved)) out.push(resolved);
  }
  return out;
}
