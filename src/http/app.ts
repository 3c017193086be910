// The Fastify application: cross-cutting behaviour (headers, auth, errors, metrics, rate limits)
// and the registration of every api/ module. The composition root (server/) hands it its deps.
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Db } from '../db/index.js';
import type { ServerConfig } from '../server/config.js';
import { VERSION } from '../server/config.js';
import { ApiError, Messages, type ResponseBody, type ValidationError } from './errors.js';
import { authenticate, type AuthContext, type AuthState } from './auth.js';
import { CacheInvalidator, type NotifyCache } from './notifycache.js';
import { createMetrics, type Metrics } from './metrics.js';
import { RateLimiter } from './ratelimit.js';
import { validateFields, validationFailedDetail } from './validation.js';
import { setDefaultHashIterations } from './password.js';
import { registerApi } from '../api/index.js';
import { openApiRoutes } from '../api/openapi.js';

export type AuthMode = 'none' | 'optional' | 'required';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How the session is handled: refused without one, read when present, or ignored. */
    auth?: AuthMode;
    /**
     * Who may use the route, in words, checked by the route-table test: `public`, `authenticated`,
     * or the RBAC check(s) the handler makes (e.g. `read organization_member in org`).
     */
    authz?: string;
    /** Belongs to the login rate-limit group. */
    loginRateLimit?: boolean;
  }
  interface FastifyRequest {
    auth?: AuthContext;
  }
  interface FastifyInstance {
    orgd: AppDeps;
  }
}

export interface RouteInfo {
  method: string;
  url: string;
  config: { auth?: AuthMode; authz?: string };
}

export interface AppDeps {
  /** Every route registered, for the route-table tests and the OpenAPI check. */
  routes: RouteInfo[];
  db: Db;
  pool: pg.Pool;
  config: ServerConfig;
  /** Drops cached reads on NOTIFY from the database and after every mutation served here. */
  invalidator: CacheInvalidator;
  authCache: NotifyCache<AuthState>;
  metrics: Metrics;
  loginLimiter: RateLimiter;
}

export type OrgdApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface BuildAppOptions {
  db: Db;
  pool: pg.Pool;
  config: ServerConfig;
  /** Connection string for the LISTEN connection of the authorization cache (off when absent). */
  listenUrl?: string;
  logger?: FastifyServerOptions['logger'];
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** SQLSTATE of `invalid byte sequence for encoding "UTF8": 0x00`. */
const CHARACTER_NOT_IN_REPERTOIRE = '22021';

export async function buildApp(opts: BuildAppOptions): Promise<OrgdApp> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.config.bodyLimit,
    genReqId: () => randomUUID(),
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: 2048 },
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: true, keywords: ['x-validate'] },
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as OrgdApp;

  // The dummy hash compared for unknown users costs what a real one costs.
  setDefaultHashIterations(opts.config.passwordIterations);
  const invalidator = new CacheInvalidator();
  const authCache = invalidator.cache<AuthState>();
  if (opts.listenUrl) await invalidator.listen(opts.listenUrl);
  const deps: AppDeps = {
    routes: [],
    db: opts.db,
    pool: opts.pool,
    config: opts.config,
    invalidator,
    authCache,
    metrics: createMetrics(opts.pool),
    loginLimiter: new RateLimiter(opts.config.loginRateLimit),
  };
  app.decorate('orgd', deps);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      deps.routes.push({ method, url: route.url, config: (route.config ?? {}) as RouteInfo['config'] });
    }
  });
  app.decorateRequest('auth', undefined);
  app.addHook('onClose', async () => invalidator.close());

  installBodyParser(app);
  installTagValidation(app);
  installErrorHandling(app);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Coder-Build-Version', VERSION);
    reply.header('X-Request-Id', req.id);
    reply.header('X-Content-Type-Options', 'nosniff');
    const cfg = req.routeOptions.config;
    if (cfg.loginRateLimit && !deps.loginLimiter.take(req.ip)) {
      throw new ApiError(429, deps.loginLimiter.message());
    }
    // Unknown routes answer 404 `Route not found.` whoever asks.
    const mode = req.routeOptions.url === undefined ? 'none' : (cfg.auth ?? 'required');
    if (mode === 'none') return;
    try {
      req.auth = await authenticate(req, {
        db: deps.db,
        cache: deps.authCache,
        sessionRefresh: !deps.config.disableSessionExpiryRefresh,
      });
    } catch (err) {
      if (mode === 'required' || !(err instanceof ApiError && err.status === 401)) throw err;
    }
  });

  // A change served here must be seen by the very next request here, before the NOTIFY of the
  // change comes back from the database: drop this process's cached sessions before answering.
  app.addHook('onSend', async (req, _reply, payload) => {
    if (MUTATING.has(req.method)) invalidator.clearAll();
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    deps.metrics.requests.inc(labels);
    deps.metrics.duration.observe(labels, reply.elapsedTime / 1000);
  });

  // First, so that the OpenAPI document sees every route registered after it.
  await openApiRoutes(app);

  app.get('/metrics', { config: { auth: 'none', authz: 'public' } }, async (_req, reply) => {
    reply.header('Content-Type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  await registerApi(app);
  return app;
}

/**
 * Coder reads every body as JSON whatever its content type, and an empty body is a JSON error
 * (`EOF`) only for routes that take one. Prototype poisoning is refused by Fastify's own parser.
 */
function installBodyParser(app: OrgdApp): void {
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    jsonParser(req, text, (err, value) => {
      if (err) return done(new ApiError(400, Messages.invalidJson, err.message), undefined);
      done(null, value);
    });
  });
}

/**
 * Runs Coder's validator tags (declared on body properties as `x-validate`) before schema
 * validation, so a failure answers Coder's `Validation failed.` with its per-field details. A route
 * that takes a body refuses an empty one as Coder's JSON decoder does (`EOF`).
 */
function installTagValidation(app: OrgdApp): void {
  app.addHook('onRoute', (route) => {
    const body = route.schema?.body as { properties?: Record<string, { 'x-validate'?: string }> } | undefined;
    if (!body) return;
    const rules: [string, string][] = [];
    for (const [field, prop] of Object.entries(body.properties ?? {})) {
      if (prop['x-validate']) rules.push([field, prop['x-validate']]);
    }
    const check = async (req: FastifyRequest) => {
      if (req.body === undefined) throw new ApiError(400, Messages.invalidJson, 'EOF');
      if (rules.length === 0 || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return;
      const validations = validateFields(req.body as Record<string, unknown>, rules);
      if (validations.length) throw new ApiError(400, Messages.validationFailed, undefined, validations);
    };
    const existing = route.preValidation;
    route.preValidation = existing ? [check, ...(Array.isArray(existing) ? existing : [existing])] : [check];
  });
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldOf(e: AjvError): string {
  if (e.keyword === 'required') return String(e.params.missingProperty ?? '');
  const parts = e.instancePath.split('/').filter(Boolean);
  return parts.length ? parts.join('.') : '';
}

function valueAt(body: unknown, e: AjvError): unknown {
  if (e.keyword === 'required') return '';
  let v: unknown = body;
  for (const p of e.instancePath.split('/').filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

/** The validator tag Coder would name for a failed schema keyword. */
function tagOf(e: AjvError): string {
  switch (e.keyword) {
    case 'required':
      return 'required';
    case 'minLength':
      return e.params.limit === 1 ? 'required' : 'min';
    case 'maxLength':
    case 'maxItems':
    case 'maximum':
      return 'max';
    case 'minItems':
    case 'minimum':
      return 'min';
    case 'format':
      return String(e.params.format);
    case 'enum':
    case 'anyOf':
      return 'oneof';
    default:
      return e.keyword;
  }
}

export function mapValidation(errors: AjvError[], context: string | undefined, body: unknown): ApiError {
  if (context === 'body') {
    if (body === undefined) return new ApiError(400, Messages.invalidJson, 'EOF');
    const typeError = errors.find((e) => e.keyword === 'type');
    if (typeError) {
      const field = fieldOf(typeError);
      return new ApiError(
        400,
        Messages.invalidJson,
        `json: cannot unmarshal ${describe(valueAt(body, typeError))} into ${field ? `field "${field}"` : 'the request'}: ${typeError.message ?? 'wrong type'}`,
      );
    }
    const validations: ValidationError[] = [];
    const seen = new Set<string>();
    for (const e of errors) {
      const field = fieldOf(e);
      if (seen.has(field)) continue;
      seen.add(field);
      validations.push({ field, detail: validationFailedDetail(tagOf(e), valueAt(body, e)) });
    }
    return new ApiError(400, Messages.validationFailed, undefined, validations);
  }
  const validations = errors.map((e) => ({ field: fieldOf(e), detail: e.message ?? 'invalid value' }));
  return new ApiError(400, Messages.invalidQuery, undefined, validations);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

function installErrorHandling(app: OrgdApp): void {
  app.setNotFoundHandler((req, reply) => {
    reply.header('X-Coder-Build-Version', VERSION);
    reply.code(404).send({ message: Messages.routeNotFound } satisfies ResponseBody);
  });
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    reply.header('X-Coder-Build-Version', VERSION);
    if (err instanceof ApiError) return reply.code(err.status).send(err.body);
    const e = err as { validation?: AjvError[]; validationContext?: string; statusCode?: number; code?: string; message?: string };
    if (e.validation) {
      const mapped = mapValidation(e.validation, e.validationContext, req.body);
      return reply.code(mapped.status).send(mapped.body);
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ message: 'Request body is too large.', detail: `The limit is ${app.orgd.config.bodyLimit} bytes.` });
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      return reply.code(400).send({ message: Messages.invalidJson, detail: e.message });
    }
    // Last line of defence for input PostgreSQL cannot store (NUL in text): the client's fault, not ours.
    if (e.code === CHARACTER_NOT_IN_REPERTOIRE) {
      return reply.code(400).send({ message: 'Request contains a value that cannot be stored.', detail: e.message ?? '' });
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ message: e.message ?? 'Bad request.' });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ message: Messages.internalServer, detail: e.message ?? String(err) });
  });
}
