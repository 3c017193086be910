// POST /authcheck: the caller asks "may I?" about a batch of objects (the dashboard shows or hides
// actions with it). Each check is answered by the same compiled decision every route uses, with
// the caller's token scope; objects named by id are looked up, and an object the caller cannot
// read (or that does not exist) answers false, never an error.
import type { OrgdApp } from '../http/app.js';
import { badRequest } from '../http/errors.js';
import { requireAuth } from '../http/params.js';
import { authorize, type AuthzObject, type CompiledSubject } from '../rbac/index.js';
import type { Db } from '../db/index.js';
import { AuthorizationRequestSchema, AuthorizationResponseSchema, type AuthorizationRequest } from './schemas.js';

/** At most this many checks may name an object by `resource_id` (each may cost a lookup). */
const MAX_ID_LOOKUPS = 10;

/** Types whose objects can be named by id. orgd stores no workspaces or templates: those ids never match. */
const ID_LOOKUP_TYPES = new Set(['workspace', 'workspace_execution', 'template', 'user', 'group']);

/**
 * Go's `uuid.Parse`: the canonical form, `{...}`, `urn:uuid:...` and 32 bare hex digits are
 * accepted; the error texts are Go's, as Coder puts them in the validation detail.
 */
export function parseGoUuid(input: string): { ok: true; uuid: string } | { ok: false; error: string } {
  let s = input;
  switch (s.length) {
    case 36:
      break;
    case 45:
      if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return { ok: false, error: `invalid urn prefix: "${s.slice(0, 9)}"` };
      s = s.slice(9);
      break;
    case 38:
      if (s[0] !== '{' || s[37] !== '}') return { ok: false, error: 'invalid UUID format' };
      s = s.slice(1, 37);
      break;
    case 32:
      if (!/^[0-9a-fA-F]{32}$/.test(s)) return { ok: false, error: 'invalid UUID format' };
      s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
      break;
    default:
      return { ok: false, error: `invalid UUID length: ${s.length}` };
  }
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) {
    return { ok: false, error: 'invalid UUID format' };
  }
  return { ok: true, uuid: s.toLowerCase() };
}

interface PlannedCheck {
  key: string;
  action: string;
  object: AuthzObject;
  /** Set when the object is named by id and must be looked up. */
  lookup?: { type: string; id: string };
  /** any_org together with an org: Coder's authorizer refuses such an object. */
  contradictory: boolean;
}

/** Validates the request as Coder does and says what each check asks, before touching the database. */
function planChecks(subject: CompiledSubject, body: AuthorizationRequest): PlannedCheck[] {
  const entries = Object.entries(body.checks ?? {});
  const idUsages = entries.filter(([, c]) => (c.object?.resource_id ?? '') !== '').length;
  if (idUsages > MAX_ID_LOOKUPS) {
    throw badRequest(
      `Endpoint only supports using "resource_id" field ${MAX_ID_LOOKUPS} times, found ${idUsages} usages. Remove ${idUsages - MAX_ID_LOOKUPS} objects with this field set.`,
    );
  }
  return entries.map(([key, check]) => {
    const o = check.object ?? {};
    const type = o.resource_type ?? '';
    if (type === '') throw badRequest(`Object's "resource_type" field must be defined for key ${JSON.stringify(key)}.`);
    const owner = o.owner_id === 'me' ? subject.userId : (o.owner_id ?? '');
    const org = o.organization_id ?? '';
    const planned: PlannedCheck = {
      key,
      action: check.action ?? '',
      object: { type, owner, org, anyOrg: o.any_org === true },
      contradictory: o.any_org === true && org !== '',
    };
    const rawId = o.resource_id ?? '';
    if (rawId !== '') {
      const parsed = parseGoUuid(rawId);
      if (!parsed.ok) {
        throw badRequest(`Object ${JSON.stringify(rawId)} id is not a valid uuid.`, undefined, [
          { field: 'resource_id', detail: parsed.error },
        ]);
      }
      if (!ID_LOOKUP_TYPES.has(type)) {
        const message = `Object type ${JSON.stringify(type)} does not support "resource_id" field.`;
        throw badRequest(message, undefined, [{ field: 'resource_type', detail: message }]);
      }
      planned.lookup = { type, id: parsed.uuid };
    }
    return planned;
  });
}

/**
 * The objects named by id, as the policy sees them, looked up in one query per type. A user is
 * owned by itself; a group lives in its org and its members may read it (Coder's group ACL).
 */
async function lookupObjects(db: Db, checks: readonly PlannedCheck[]): Promise<Map<string, AuthzObject>> {
  const ids = (type: string) => [...new Set(checks.filter((c) => c.lookup?.type === type).map((c) => c.lookup!.id))];
  const found = new Map<string, AuthzObject>();
  const userIds = ids('user');
  if (userIds.length > 0) {
    const rows = await db.selectFrom('users').select('id').where('id', 'in', userIds).execute();
    for (const r of rows) found.set(`user:${r.id}`, { type: 'user', id: r.id, owner: r.id });
  }
  const groupIds = ids('group');
  if (groupIds.length > 0) {
    const rows = await db.selectFrom('groups').select(['id', 'organization_id']).where('id', 'in', groupIds).execute();
    for (const r of rows) {
      found.set(`group:${r.id}`, { type: 'group', id: r.id, org: r.organization_id, aclGroups: { [r.id]: ['read'] } });
    }
  }
  return found;
}

export async function authcheckRoutes(app: OrgdApp): Promise<void> {
  const { db } = app.orgd;

  app.post(
    '/api/v2/authcheck',
    {
      config: { auth: 'required', authz: 'authenticated (answers only about the caller)' },
      schema: {
        tags: ['Authorization'],
        operationId: 'check-authorization',
        body: AuthorizationRequestSchema,
        response: { 200: AuthorizationResponseSchema },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const checks = planChecks(auth.subject, req.body);
      const objects = await lookupObjects(db, checks);
      const answers = new Map<string, boolean>();
      for (const check of checks) {
        let allowed: boolean;
        if (check.lookup) {
          const object = objects.get(`${check.lookup.type}:${check.lookup.id}`);
          // The lookup itself is a read as the caller: unreadable and missing look the same.
          allowed = object !== undefined && authorize(auth.subject, 'read', object) && authorize(auth.subject, check.action, object);
        } else {
          allowed = !check.contradictory && authorize(auth.subject, check.action, check.object);
        }
        answers.set(check.key, allowed);
      }
      // Go encodes a map with its keys sorted.
      return Object.fromEntries([...answers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    },
  );
}
