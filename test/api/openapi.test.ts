// The OpenAPI document is the route table: every route the server registers is in it (nothing
// missing, nothing stale), it validates as OpenAPI 3.1, its schemas compile as JSON Schema 2020-12,
// and the docs page renders it without reaching beyond this server.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { apiOf, startTestServer, type Api, type TestServer } from '../helpers/server.js';

let server: TestServer;
let api: Api;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;
let doc: Doc;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

/** `/api/v2/users/:user/keys/:keyid` → `/api/v2/users/{user}/keys/{keyid}`. */
function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function operations(d: Doc): { key: string; path: string; method: string; op: Doc }[] {
  const out = [];
  for (const [path, item] of Object.entries(d.paths as Record<string, Doc>)) {
    for (const method of METHODS) {
      if (item[method]) out.push({ key: `${method.toUpperCase()} ${path}`, path, method, op: item[method] });
    }
  }
  return out;
}

beforeAll(async () => {
  server = await startTestServer({ listen: false });
  api = apiOf(server.app);
  const res = await api('GET', '/api/v2/openapi.json');
  expect(res.statusCode).toBe(200);
  doc = res.json();
  if (process.env.ORGD_DUMP_OPENAPI) writeFileSync(process.env.ORGD_DUMP_OPENAPI, JSON.stringify(doc, null, 2));
});
afterAll(async () => {
  await server.close();
});

describe('GET /api/v2/openapi.json', () => {
  it('is served without a session as JSON', async () => {
    const res = await api('GET', '/api/v2/openapi.json');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-coder-build-version']).toBeTruthy();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('orgd API');
  });

  it('lists every registered route, and nothing else', () => {
    const registered = new Set(server.app.orgd.routes.map((r) => `${r.method} ${openapiPath(r.url)}`));
    const documented = new Set(operations(doc).map((o) => o.key));
    const missing = [...registered].filter((k) => !documented.has(k));
    const stale = [...documented].filter((k) => !registered.has(k));
    expect(missing).toEqual([]);
    expect(stale).toEqual([]);
    expect(registered.size).toBeGreaterThan(10);
  });

  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has schemas that compile as JSON Schema 2020-12 and references that resolve', () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'urn:orgd:openapi', components: doc.components });
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          if (k === '$ref' && typeof child === 'string') refs.push(child);
          else walk(child);
        }
      }
    };
    walk(doc);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z0-9._-]+$/);
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeTruthy();
    }
    const compile = (schema: unknown) => {
      const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"urn:orgd:openapi#/components/'));
      return ajv.compile(rewritten);
    };
    let compiled = 0;
    for (const { key, op } of operations(doc)) {
      const schemas = [
        ...(op.parameters ?? []).map((p: Doc) => p.schema),
        ...Object.values(op.requestBody?.content ?? {}).map((m) => (m as Doc).schema),
        ...Object.values(op.responses ?? {}).flatMap((r) => Object.values((r as Doc).content ?? {}).map((m) => (m as Doc).schema)),
      ];
      for (const s of schemas) {
        expect(() => compile(s), key).not.toThrow();
        compiled++;
      }
    }
    expect(compiled).toBeGreaterThan(20);
  });

  it('gives every operation a unique operationId and Coder’s ids where Coder has the route', () => {
    const ops = operations(doc);
    const ids = ops.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const byKey = Object.fromEntries(ops.map((o) => [o.key, o.op]));
    expect(byKey['POST /api/v2/users/login'].operationId).toBe('log-in-user');
    expect(byKey['POST /api/v2/users/login'].tags).toEqual(['Authorization']);
    expect(byKey['GET /api/v2/users/{user}'].operationId).toBe('get-user-by-name');
    expect(byKey['DELETE /api/v2/users/{user}/keys/{keyid}'].operationId).toBe('delete-api-key');
    if (byKey['DELETE /api/v2/organizations/{organization}/members/{user}']) {
      expect(byKey['DELETE /api/v2/organizations/{organization}/members/{user}'].operationId).toBe('remove-organization-member');
    }
    // A route declared without a schema is documented too, under a derived id.
    expect(byKey['GET /metrics'].operationId).toBe('get-metrics');
  });

  it('marks which operations need a session, and describes bodies, params and named components', () => {
    const byKey = Object.fromEntries(operations(doc).map((o) => [o.key, o.op]));
    expect(doc.components.securitySchemes.CoderSessionToken).toEqual({ type: 'apiKey', in: 'header', name: 'Coder-Session-Token' });
    expect(byKey['GET /api/v2/buildinfo'].security).toBeUndefined();
    expect(byKey['POST /api/v2/users/logout'].security).toEqual([{ CoderSessionToken: [] }]);
    const login = byKey['POST /api/v2/users/login'];
    const body = login.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['email', 'password']));
    expect(login.responses['201'].content['application/json'].schema.properties.session_token.type).toBe('string');
    const getUser = byKey['GET /api/v2/users/{user}'];
    expect(getUser.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'user', required: true })]);
    expect(getUser.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/User' });
    expect(doc.components.schemas.User.properties.organization_ids.type).toBe('array');
    // A 204 answers no content.
    expect(byKey['DELETE /api/v2/users/{user}/keys/{keyid}'].responses['204'].content).toBeUndefined();
    const tagNames = doc.tags.map((t: Doc) => t.name);
    for (const { op } of operations(doc)) for (const t of op.tags ?? []) expect(tagNames).toContain(t);
  });
});

describe('GET /docs', () => {
  it('is a self-contained page that loads the document from this server only', async () => {
    const res = await api('GET', '/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.body;
    expect(html).toContain('/api/v2/openapi.json');
    // Nothing loaded from elsewhere: no external script, stylesheet or absolute URL.
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html).not.toMatch(/https?:\/\//i);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    // The inline script parses.
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);
    expect(() => new Function(script)).not.toThrow();
  });
});
