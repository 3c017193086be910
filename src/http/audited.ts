// The request side of auditing (Coder's audit.InitRequest): a handler runs its change in a
// transaction with an audit record; it sets `old`/`new`, and the entry is appended in that same
// transaction with the success status. If the handler fails with a 4xx after naming its resource,
// the attempt is recorded on its own (empty diff, the error status), as Coder records failures.
import type { FastifyRequest } from 'fastify';
import type { Db, Tx } from '../db/index.js';
import { appendAuditEntry, type AuditAction } from '../audit/recorder.js';
import { auditDiff, resourceIdentity, type AuditResourceType } from '../audit/index.js';
import { ApiError } from './errors.js';

export interface AuditRecord<T> {
  old?: T;
  new?: T;
  /** Required for org-scoped resource types. */
  organizationId?: string;
  /** The actor when there is no session (login). */
  userId?: string;
  additionalFields?: Record<string, unknown>;
}

export interface AuditSpec {
  action: AuditAction;
  resourceType: AuditResourceType;
  /** The status answered on success (201 for creates, 204 for deletes...). */
  status: number;
}

export function requestMeta(req: FastifyRequest): { ip: string; userAgent: string; requestId: string } {
  return { ip: req.ip, userAgent: String(req.headers['user-agent'] ?? ''), requestId: String(req.id) };
}

export async function writeAuditRecord<T>(
  db: Db | Tx,
  req: FastifyRequest,
  spec: Omit<AuditSpec, 'status'>,
  rec: AuditRecord<T>,
  status: number,
): Promise<void> {
  const actor = req.auth?.user.id ?? rec.userId;
  const subject = (rec.new ?? rec.old) as T | undefined;
  const alwaysLogged = spec.action === 'login' || spec.action === 'logout';
  if (!actor || (!subject && !alwaysLogged)) return;
  const identity = subject ? resourceIdentity(spec.resourceType, subject) : { id: actor, target: '' };
  const withDiff = status < 400 && !alwaysLogged;
  await appendAuditEntry(db, {
    action: spec.action,
    resourceType: spec.resourceType,
    resourceId: identity.id,
    resourceTarget: identity.target,
    resourceIcon: identity.icon,
    userId: actor,
    organizationId: rec.organizationId,
    ...requestMeta(req),
    statusCode: status,
    diff: withDiff ? auditDiff(spec.resourceType, rec.old, rec.new) : {},
    additionalFields: rec.additionalFields,
  });
}

/** Runs `change` in a transaction that also appends its audit entry; records failed attempts. */
export async function audited<T, R>(
  req: FastifyRequest,
  db: Db,
  spec: AuditSpec,
  change: (rec: AuditRecord<T>, tx: Tx) => Promise<R>,
): Promise<R> {
  const rec: AuditRecord<T> = {};
  try {
    return await db.transaction().execute(async (tx) => {
      const result = await change(rec, tx);
      await writeAuditRecord(tx, req, spec, rec, spec.status);
      return result;
    });
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      // The change rolled back; the attempt itself is still worth an entry.
      await writeAuditRecord(db, req, spec, { ...rec, new: undefined, old: rec.old ?? rec.new }, err.status).catch(
        (e) => req.log.error({ err: e }, 'writing the audit entry of a failed request'),
      );
    }
    throw err;
  }
}
