// Organizations: list, create (with its first member and "Everyone" group), read, update, soft
// delete, and the organizations of a user. Lists are filtered by the caller's read permission in
// SQL; every change writes its audit entry in its own transaction.
import { Type } from '@sinclair/typebox';
import type { OrgdApp } from '../http/app.js';
import { ApiError, badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import { requireAuth, resolveOrganizationParam, resolveUserParam } from '../http/params.js';
import { audited } from '../http/audited.js';
import { authorizedRows } from '../db/authzfilter.js';
import { isUniqueViolation, pgErrorCode, type OrganizationRow } from '../db/index.js';
import {
  insertOrganization,
  listOrganizations,
  listOrganizationsOfUser,
  lockOrganization,
  organizationByName,
  softDeleteOrganization,
  updateOrganization,
} from '../db/queries/organizations.js';
import { customRoleNamesOf } from '../db/queries/members.js';
import { authorize, checkRoleChange, defaultOrgMemberRoles, prepareFilter, type Subject } from '../rbac/index.js';
import { toOrganization } from './convert.js';
import {
  CreateOrganizationRequestSchema,
  OrganizationSchema,
  ResponseSchema,
  UpdateOrganizationRequestSchema,
} from './schemas.js';

export const OrganizationParams = Type.Object({ organization: Type.String() });
const RESERVED_NAME = 'default';
const reservedName = () => badRequest(`Organization name "${RESERVED_NAME}" is reserved.`);

/**
 * PostgreSQL text cannot hold NUL: a free-text field containing one fails validation (the named
 * fields have no tag of their own in Coder; name and display name fail their tags already).
 */
export function refuseNulFields(fields: Record<string, unknown>): void {
  const holdsNul = (v: unknown): boolean =>
    typeof v === 'string'
      ? v.includes('\0')
      : Array.isArray(v)
        ? v.some(holdsNul)
        : typeof v === 'object' && v !== null && Object.entries(v).some(([k, x]) => k.includes('\0') || holdsNul(x));
  const bad = Object.entries(fields).filter(([, v]) => holdsNul(v));
  if (bad.length) {
    throw badRequest('Validation failed.', undefined, bad.map(([field]) => ({ field, detail: 'The value must not contain NUL characters.' })));
  }
}

/** The SQL predicate for organizations the caller may read (the table's own id is its org). */
function readableOrganizations(subject: Subject) {
  return authorizedRows(prepareFilter(subject, 'read', 'organization'), { org: 'id' });
}

/**
 * New default member roles must name org roles the caller could assign to a member: changing them
 * hands every member of the org those roles at once.
 */
async function checkDefaultMemberRoles(
  subject: Subject,
  org: OrganizationRow,
  requested: readonly string[],
  db: Parameters<typeof customRoleNamesOf>[0],
): Promise<string[]> {
  const custom = await customRoleNamesOf(db, org.id);
  const result = checkRoleChange({
    subject,
    oldRoles: org.default_org_member_roles,
    newRoles: requested,
    orgId: org.id,
    customRoleExists: (id) => custom.has(id.name.toLowerCase()),
  });
  if (!result.ok) {
    if (result.kind === 'forbidden') throw forbidden();
    throw badRequest(result.message);
  }
  return [...new Set(requested)];
}

export async function organizationRoutes(app: OrgdApp): Promise<void> {
  const { db } = app.orgd;

  app.get(
    '/api/v2/organizations',
    {
      config: { auth: 'required', authz: 'read organization (rows filtered)' },
      schema: { tags: ['Organizations'], operationId: 'get-organizations', response: { 200: Type.Array(OrganizationSchema) } },
    },
    async (req) => {
      const rows = await listOrganizations(db, readableOrganizations(requireAuth(req).subject));
      return rows.map(toOrganization);
    },
  );

  app.post(
    '/api/v2/organizations',
    {
      config: { auth: 'required', authz: 'create organization (site) else 403' },
      schema: {
        tags: ['Organizations'],
        operationId: 'create-organization',
        body: CreateOrganizationRequestSchema,
        response: { 201: OrganizationSchema },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const body = req.body;
      refuseNulFields({ description: body.description, icon: body.icon });
      if (body.name === RESERVED_NAME) throw reservedName();
      if (!authorize(auth.subject, 'create', { type: 'organization' })) throw forbidden();
      const org = await audited<OrganizationRow, OrganizationRow>(
        req,
        db,
        { action: 'create', resourceType: 'organization', status: 201 },
        async (rec, tx) => {
          try {
            const created = await insertOrganization(tx, {
              name: body.name,
              displayName: body.display_name || body.name,
              description: body.description ?? '',
              icon: body.icon ?? '',
              defaultOrgMemberRoles: defaultOrgMemberRoles(),
              creatorId: auth.user.id,
            });
            rec.new = created;
            rec.organizationId = created.id;
            return created;
          } catch (err) {
            if (isUniqueViolation(err, 'organizations_name_lower_key')) throw conflict('Organization already exists with that name.');
            throw err;
          }
        },
      );
      return reply.code(201).send(toOrganization(org));
    },
  );

  app.get(
    '/api/v2/organizations/:organization',
    {
      config: { auth: 'required', authz: 'read organization (404)' },
      schema: { tags: ['Organizations'], operationId: 'get-organization-by-id', params: OrganizationParams, response: { 200: OrganizationSchema } },
    },
    async (req) => toOrganization(await resolveOrganizationParam(req, db)),
  );

  app.patch(
    '/api/v2/organizations/:organization',
    {
      config: { auth: 'required', authz: 'update organization (404)' },
      schema: {
        tags: ['Organizations'],
        operationId: 'update-organization',
        params: OrganizationParams,
        body: UpdateOrganizationRequestSchema,
        response: { 200: OrganizationSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      const body = req.body;
      refuseNulFields({ description: body.description, icon: body.icon });
      if (body.name === RESERVED_NAME) throw reservedName();
      if (!authorize(auth.subject, 'update', { type: 'organization', id: org.id, org: org.id })) throw notFound();
      const updated = await audited<OrganizationRow, OrganizationRow>(
        req,
        db,
        { action: 'write', resourceType: 'organization', status: 200 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          // Read-modify-update on the locked row: empty name and display name mean "unchanged",
          // absent pointers mean "unchanged", "" clears description and icon.
          const current = await lockOrganization(tx, org.id);
          if (!current) throw notFound();
          rec.old = current;
          const defaults =
            body.default_org_member_roles === undefined || body.default_org_member_roles === null
              ? current.default_org_member_roles
              : await checkDefaultMemberRoles(auth.subject, current, body.default_org_member_roles, tx);
          const name = body.name || current.name;
          try {
            rec.new = await updateOrganization(tx, org.id, {
              name,
              display_name: body.display_name || current.display_name,
              description: body.description ?? current.description,
              icon: body.icon ?? current.icon,
              default_org_member_roles: defaults,
            });
          } catch (err) {
            if (isUniqueViolation(err, 'organizations_name_lower_key')) {
              throw conflict(`Organization already exists with the name "${name}".`, undefined, [
                { field: 'name', detail: 'This value is already in use and should be unique.' },
              ]);
            }
            throw err;
          }
          return rec.new;
        },
      );
      return toOrganization(updated);
    },
  );

  app.delete(
    '/api/v2/organizations/:organization',
    {
      config: { auth: 'required', authz: 'delete organization (404)' },
      schema: { tags: ['Organizations'], operationId: 'delete-organization', params: OrganizationParams, response: { 200: ResponseSchema } },
    },
    async (req) => {
      const auth = requireAuth(req);
      const org = await resolveOrganizationParam(req, db);
      await audited<OrganizationRow, void>(req, db, { action: 'delete', resourceType: 'organization', status: 200 }, async (rec, tx) => {
        rec.organizationId = org.id;
        rec.old = org;
        if (org.is_default) throw badRequest('Default organization cannot be deleted.');
        if (!authorize(auth.subject, 'delete', { type: 'organization', id: org.id, org: org.id })) throw notFound();
        try {
          if (!(await softDeleteOrganization(tx, org.id))) throw notFound();
        } catch (err) {
          // The database refuses while the org still holds groups or members (Coder answers 500
          // here; the caller can fix it, so orgd answers 400 with the same message and detail).
          if (pgErrorCode(err) === '23001') {
            throw new ApiError(400, 'Internal error deleting organization.', (err as Error).message);
          }
          throw err;
        }
      });
      return { message: 'Organization has been deleted.' };
    },
  );

  const UserParams = Type.Object({ user: Type.String() });
  app.get(
    '/api/v2/users/:user/organizations',
    {
      config: { auth: 'required', authz: 'read organization (rows filtered)' },
      schema: {
        tags: ['Users'],
        operationId: 'get-organizations-by-user',
        params: UserParams,
        response: { 200: Type.Array(OrganizationSchema) },
      },
    },
    async (req) => {
      const user = await resolveUserParam(req, db);
      const rows = await listOrganizationsOfUser(db, user.id, readableOrganizations(requireAuth(req).subject));
      return rows.map(toOrganization);
    },
  );

  app.get(
    '/api/v2/users/:user/organizations/:organizationname',
    {
      config: { auth: 'required', authz: 'read organization (404)' },
      schema: {
        tags: ['Users'],
        operationId: 'get-organization-by-user-and-organization-name',
        params: Type.Object({ user: Type.String(), organizationname: Type.String() }),
        response: { 200: OrganizationSchema },
      },
    },
    async (req) => {
      await resolveUserParam(req, db);
      // By name only, whether or not the user is a member (as Coder). No name holds NUL.
      const name = req.params.organizationname;
      const org = name.includes('\0') ? undefined : await organizationByName(db, name);
      if (!org || !authorize(requireAuth(req).subject, 'read', { type: 'organization', id: org.id, org: org.id })) {
        throw notFound();
      }
      return toOrganization(org);
    },
  );
}
