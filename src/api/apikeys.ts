// API keys and tokens of a user. Sessions come from login; tokens are named, long-lived keys.
import { randomInt } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { OrgdApp } from '../http/app.js';
import { badRequest, conflict, forbidden, notFound } from '../http/errors.js';
import { requireAuth, resolveUserParam } from '../http/params.js';
import { audited } from '../http/audited.js';
import { insertApiKey } from '../db/queries/apikeys.js';
import { generateApiKey } from '../http/apikey.js';
import { isUniqueViolation, type ApiKeyRow } from '../db/index.js';
import { authorize, prepareFilter, type Subject } from '../rbac/index.js';
import { authorizedRows } from '../db/authzfilter.js';
import { toApiKey } from './convert.js';
import {
  APIKeySchema,
  APIKeyWithOwnerSchema,
  CreateTokenRequestSchema,
  GenerateAPIKeyResponseSchema,
  TokenConfigSchema,
} from './schemas.js';
import { UserParams } from './users.js';
import { validationFailedDetail } from '../http/validation.js';

const NS_PER_SECOND = 1_000_000_000;
const LEGACY_KEY_LIFETIME = 7 * 24 * 3600;

/** Go's time.Duration String() for whole seconds, e.g. 876600h0m0s. */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nifty', 'quiet', 'sharp', 'witty'];
const NOUNS = ['hopper', 'lovelace', 'turing', 'knuth', 'ritchie', 'thompson', 'liskov', 'hamilton', 'dijkstra', 'kay', 'lamport', 'torvalds'];

function randomTokenName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}${randomInt(10)}`;
}

function keyObject(key: { id: string; user_id: string }) {
  return { type: 'api_key', id: key.id, owner: key.user_id } as const;
}

function scopeFrom(body: { scope?: string; scopes?: string[] }): 'all' | 'application_connect' {
  const wanted = [body.scope ?? '', ...(body.scopes ?? [])].filter(Boolean);
  if (wanted.length === 0) return 'all';
  const known: Record<string, 'all' | 'application_connect'> = {
    all: 'all',
    'coder:all': 'all',
    application_connect: 'application_connect',
    'coder:application_connect': 'application_connect',
  };
  const mapped = new Set<'all' | 'application_connect'>();
  for (const s of wanted) {
    const m = known[s];
    if (!m) throw badRequest('Failed to validate create API key request.', `invalid API key scope "${s}"`);
    mapped.add(m);
  }
  return mapped.has('all') ? 'all' : 'application_connect';
}

export async function apiKeyRoutes(app: OrgdApp): Promise<void> {
  const { db, config } = app.orgd;
  const KeyParams = Type.Object({ user: Type.String(), keyid: Type.String() });
  const NameParams = Type.Object({ user: Type.String(), keyname: Type.String() });

  const mayCreateKeyFor = (subject: Subject, userId: string) =>
    authorize(subject, 'create', { type: 'api_key', owner: userId });

  app.post(
    '/api/v2/users/:user/keys',
    {
      config: { auth: 'required', authz: 'create api_key owned by {user}' },
      schema: { tags: ['Users'], operationId: 'create-new-session-key', params: UserParams, response: { 201: GenerateAPIKeyResponseSchema } },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (!mayCreateKeyFor(auth.subject, user.id)) throw forbidden();
      // Not audited and no cookie, as Coder: this emulates a browser session for the CLI.
      const { token, ...key } = generateApiKey();
      await insertApiKey(db, key, {
        userId: user.id,
        loginType: 'password',
        lifetimeSeconds: LEGACY_KEY_LIFETIME,
        ip: req.ip,
      });
      return reply.code(201).send({ key: token });
    },
  );

  app.post(
    '/api/v2/users/:user/keys/tokens',
    {
      config: { auth: 'required', authz: 'create api_key owned by {user}' },
      schema: {
        tags: ['Users'],
        operationId: 'create-token-api-key',
        params: UserParams,
        body: CreateTokenRequestSchema,
        response: { 201: GenerateAPIKeyResponseSchema },
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (!mayCreateKeyFor(auth.subject, user.id)) throw forbidden();
      const body = req.body;
      const lifetimeNs = body.lifetime ?? 0;
      let lifetimeSeconds = config.defaultTokenLifetimeSeconds;
      if (lifetimeNs !== 0) {
        if (!Number.isFinite(lifetimeNs) || lifetimeNs < 0) {
          throw badRequest('Failed to validate create API key request.', 'lifetime must be positive number greater than 0');
        }
        lifetimeSeconds = Math.floor(lifetimeNs / NS_PER_SECOND);
        if (lifetimeSeconds < 1) {
          throw badRequest('Failed to validate create API key request.', 'lifetime must be positive number greater than 0');
        }
      }
      if (lifetimeSeconds > config.maxTokenLifetimeSeconds) {
        throw badRequest(
          'Failed to validate create API key request.',
          `lifetime must be less than ${goDuration(config.maxTokenLifetimeSeconds)}`,
        );
      }
      const scope = scopeFrom(body);
      if (body.token_name?.includes('\0')) {
        throw badRequest('Validation failed.', undefined, [
          { field: 'token_name', detail: validationFailedDetail('token_name', body.token_name) },
        ]);
      }
      const tokenName = body.token_name?.trim() || randomTokenName();
      const token = await audited<ApiKeyRow, string>(req, db, { action: 'create', resourceType: 'api_key', status: 201 }, async (rec, tx) => {
        try {
          const key = generateApiKey();
          rec.new = await insertApiKey(tx, key, { userId: user.id, loginType: 'token', lifetimeSeconds, ip: req.ip, scope, tokenName });
          return key.token;
        } catch (err) {
          if (isUniqueViolation(err)) {
            throw conflict(`A token with name "${tokenName}" already exists.`, undefined, [
              { field: 'name', detail: 'This value is already in use and should be unique.' },
            ]);
          }
          throw err;
        }
      });
      return reply.code(201).send({ key: token });
    },
  );

  app.get(
    '/api/v2/users/:user/keys/tokens',
    {
      config: { auth: 'required', authz: 'read api_key (rows filtered)' },
      schema: {
        tags: ['Users'],
        operationId: 'get-user-tokens',
        params: UserParams,
        response: { 200: Type.Array(APIKeyWithOwnerSchema) },
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      const query = req.query as Record<string, unknown>;
      const includeAll = query.include_all === 'true';
      const includeExpired = query.include_expired === 'true';
      let q = db
        .selectFrom('api_keys as k')
        .innerJoin('users as u', 'u.id', 'k.user_id')
        .selectAll('k')
        .select('u.username')
        .where('k.login_type', '=', 'token')
        // Only keys the caller may read, decided in SQL (include_all spans every user's tokens).
        .where(authorizedRows(prepareFilter(auth.subject, 'read', 'api_key'), { owner: 'k.user_id' }))
        .orderBy('k.created_at', 'desc');
      if (!includeAll) q = q.where('k.user_id', '=', user.id);
      if (!includeExpired) q = q.where('k.expires_at', '>', new Date());
      const rows = await q.execute();
      return rows.map((k) => ({ ...toApiKey(k), username: k.username }));
    },
  );

  app.get(
    '/api/v2/users/:user/keys/tokens/tokenconfig',
    {
      config: { auth: 'required', authz: 'authenticated' },
      schema: { tags: ['General'], operationId: 'get-token-config', params: UserParams, response: { 200: TokenConfigSchema } },
    },
    async (req) => {
      await resolveUserParam(req, db);
      return { max_token_lifetime: config.maxTokenLifetimeSeconds * NS_PER_SECOND };
    },
  );

  app.get(
    '/api/v2/users/:user/keys/tokens/:keyname',
    {
      config: { auth: 'required', authz: 'read api_key (else 404)' },
      schema: { tags: ['Users'], operationId: 'get-api-key-by-token-name', params: NameParams, response: { 200: APIKeySchema } },
    },
    async (req) => {
      const auth = requireAuth(req);
      const user = await resolveUserParam(req, db);
      if (req.params.keyname.includes('\0')) throw notFound();
      const key = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('user_id', '=', user.id)
        .where('login_type', '=', 'token')
        .where('token_name', '=', req.params.keyname)
        .executeTakeFirst();
      if (!key || !authorize(auth.subject, 'read', keyObject(key))) throw notFound();
      return toApiKey(key);
    },
  );

  // No key id is that long or holds NUL (which PostgreSQL text cannot carry): no such key.
  const findKey = async (keyId: string) =>
    keyId.length > 64 || keyId.includes('\0') ? undefined : db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();

  app.get(
    '/api/v2/users/:user/keys/:keyid',
    {
      config: { auth: 'required', authz: 'read api_key (else 404)' },
      schema: { tags: ['Users'], operationId: 'get-api-key-by-id', params: KeyParams, response: { 200: APIKeySchema } },
    },
    async (req) => {
      const auth = requireAuth(req);
      await resolveUserParam(req, db);
      // As Coder: the key is found by id alone, then checked against the caller's rights.
      const key = await findKey(req.params.keyid);
      if (!key || !authorize(auth.subject, 'read', keyObject(key))) throw notFound();
      return toApiKey(key);
    },
  );

  app.delete(
    '/api/v2/users/:user/keys/:keyid',
    {
      config: { auth: 'required', authz: 'delete api_key (404 when unreadable)' },
      schema: { tags: ['Users'], operationId: 'delete-api-key', params: KeyParams, response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      await resolveUserParam(req, db);
      const key = await findKey(req.params.keyid);
      if (!key || !authorize(auth.subject, 'read', keyObject(key))) throw notFound();
      if (!authorize(auth.subject, 'delete', keyObject(key))) throw forbidden();
      await audited<ApiKeyRow, void>(req, db, { action: 'delete', resourceType: 'api_key', status: 204 }, async (rec, tx) => {
        rec.old = key;
        const gone = await tx.deleteFrom('api_keys').where('id', '=', key.id).executeTakeFirst();
        if (gone.numDeletedRows === 0n) throw notFound();
      });
      return reply.code(204).send(null);
    },
  );

}
