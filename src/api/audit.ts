// The audit log: GET /api/v2/audit, newest first, searchable with the `q` grammar.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { OrgdApp } from '../http/app.js';
import { badRequest, forbidden, invalidQuery } from '../http/errors.js';
import { requireAuth } from '../http/params.js';
import { parsePagination } from '../http/pagination.js';
import { organizationNotFoundValidation, parseAuditQuery, type AuditFilter } from '../http/searchquery.js';
import { authorizedRows } from '../db/authzfilter.js';
import type { Db } from '../db/index.js';
import { authorize, prepareFilter } from '../rbac/index.js';
import {
  AUDIT_DEFAULT_LIMIT,
  auditLogDescription,
  auditLogResourceLink,
  listAuditLogs,
  type AuditActor,
  type AuditListEntry,
  type AuditSearch,
} from '../audit/read.js';
import { iso, toUser } from './convert.js';
import { AuditLogResponseSchema, type AuditLog, type User } from './schemas.js';

const INVALID_AUDIT_QUERY = 'Invalid audit search query.';

/** A page larger than this is refused: the log is unbounded, a page must not be. */
export const AUDIT_MAX_LIMIT = 1000;

// Repeated parameters arrive as arrays; the parsers report them with Coder's messages.
const QueryParam = Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]));
const AuditQuerystring = Type.Object(
  { q: QueryParam, limit: QueryParam, offset: QueryParam, after_id: QueryParam },
  { additionalProperties: true },
);

function firstValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** The actor as Coder embeds it: a full User, without organization ids (Coder leaves them empty). */
const actorToUser = (u: AuditActor): User => toUser(u, []);

export function toAuditLog(e: AuditListEntry): AuditLog {
  const log: AuditLog = {
    id: e.id,
    request_id: e.request_id,
    time: e.time,
    ip: e.ip,
    user_agent: e.user_agent,
    resource_type: e.resource_type,
    resource_id: e.resource_id,
    resource_target: e.resource_target,
    resource_icon: e.resource_icon,
    action: e.action,
    diff: e.diff as AuditLog['diff'],
    status_code: e.status_code,
    additional_fields: e.additional_fields,
    description: auditLogDescription(e),
    resource_link: auditLogResourceLink(e),
    is_deleted: e.is_deleted,
    organization_id: e.organization_id,
    user: e.user ? actorToUser(e.user) : null,
  };
  if (e.organization) log.organization = e.organization;
  return log;
}

/**
 * Turns the parsed `q` into a search on ids: `username:me` is the caller, and an organization
 * named in the query must exist and be readable by the caller (else Coder's validation).
 */
async function resolveSearch(req: FastifyRequest, db: Db, f: AuditFilter): Promise<AuditSearch> {
  const auth = requireAuth(req);
  let organizationId: string | null = null;
  if (f.organization && 'id' in f.organization) organizationId = f.organization.id;
  if (f.organization && 'name' in f.organization) {
    const name = f.organization.name;
    // No name holds NUL (PostgreSQL text cannot carry it): such an organization does not exist.
    const org = name.includes('\0')
      ? undefined
      : await db
          .selectFrom('organizations')
          .select('id')
          .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
          .where('deleted', '=', false)
          .executeTakeFirst();
    if (!org || !authorize(auth.subject, 'read', { type: 'organization', id: org.id, org: org.id })) {
      throw badRequest(INVALID_AUDIT_QUERY, undefined, [organizationNotFoundValidation(name)]);
    }
    organizationId = org.id;
  }
  const me = f.username === 'me';
  return {
    requestId: f.requestId,
    resourceId: f.resourceId,
    resourceTarget: f.resourceTarget,
    userId: me ? auth.user.id : null,
    username: me ? null : f.username,
    email: f.email,
    dateFrom: f.dateFrom,
    dateTo: f.dateTo,
    organizationId,
    resourceType: f.resourceType,
    action: f.action,
    buildReason: f.buildReason,
  };
}

export async function auditRoutes(app: OrgdApp): Promise<void> {
  const { db } = app.orgd;

  app.get(
    '/api/v2/audit',
    {
      config: { auth: 'required', authz: 'read audit_log site-wide or in an org (rows filtered), else 403' },
      schema: {
        tags: ['Audit'],
        operationId: 'get-audit-logs',
        querystring: AuditQuerystring,
        response: { 200: AuditLogResponseSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const page = parsePagination(req.query);
      if (!page.ok) throw invalidQuery(page.validations);
      if (page.value.limit > AUDIT_MAX_LIMIT) {
        throw invalidQuery([{ field: 'limit', detail: `Query param "limit" must be a positive integer no greater than ${AUDIT_MAX_LIMIT}.` }]);
      }
      const parsed = parseAuditQuery(firstValue(req.query.q));
      if (!parsed.ok) throw badRequest(INVALID_AUDIT_QUERY, undefined, parsed.validations);
      const search = await resolveSearch(req, db, parsed.filter);

      // Owners and auditors read everything; org auditors and admins read their orgs' entries.
      const readable = prepareFilter(auth.subject, 'read', 'audit_log');
      if (!readable.all && readable.orgIds.length === 0) throw forbidden();

      const result = await listAuditLogs(db, {
        search,
        visible: authorizedRows(readable, { org: 'a.organization_id', noOrg: 'nil-uuid' }),
        afterId: page.value.afterId,
        limit: page.value.limit || AUDIT_DEFAULT_LIMIT,
        offset: page.value.offset,
      });
      return { audit_logs: result.entries.map(toAuditLog), count: result.count, count_cap: result.countCap };
    },
  );
}
