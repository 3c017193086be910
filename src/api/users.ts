// Users: reading one (this file grows with the users routes).
import type { FastifyRequest } from 'fastify';
import type { OrgdApp } from '../http/app.js';
import { requireAuth, resolveUserParam } from '../http/params.js';
import { organizationIdsOf } from '../db/queries/users.js';
import type { Db, UserRow } from '../db/index.js';
import { authorize } from '../rbac/index.js';
import { toUser } from './convert.js';
import { UserSchema, type User } from './schemas.js';
import { Type } from '@sinclair/typebox';

export const UserParams = Type.Object({ user: Type.String() });

/** A user as the caller may see it: organization ids limited to organizations the caller can read. */
export async function userAsSeenBy(req: FastifyRequest, db: Db, user: UserRow): Promise<User> {
  const auth = requireAuth(req);
  const orgIds = (await organizationIdsOf(db, user.id)).filter((org) =>
    authorize(auth.subject, 'read', { type: 'organization', id: org, org }),
  );
  return toUser(user, orgIds);
}

export async function userRoutes(app: OrgdApp): Promise<void> {
  const { db } = app.orgd;

  app.get(
    '/api/v2/users/:user',
    {
      config: { auth: 'required', authz: 'authenticated (as Coder: no check on the user itself)' },
      schema: { tags: ['Users'], operationId: 'get-user-by-name', params: UserParams, response: { 200: UserSchema } },
    },
    async (req) => userAsSeenBy(req, db, await resolveUserParam(req, db)),
  );
}
