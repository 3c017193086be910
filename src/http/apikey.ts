// Session tokens and API tokens: `<10-char id>-<22-char secret>`, both from [0-9A-Za-z]. The id is
// the row's primary key; only the SHA-256 of the secret is stored and it is compared in constant time.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_ID_LENGTH = 10;
export const KEY_SECRET_LENGTH = 22;

/** Unbiased: randomInt draws uniformly from [0, 62). */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function generateApiKey(): { id: string; secret: string; token: string; hashedSecret: Buffer } {
  const id = randomAlphanumeric(KEY_ID_LENGTH);
  const secret = randomAlphanumeric(KEY_SECRET_LENGTH);
  return { id, secret, token: `${id}-${secret}`, hashedSecret: hashSecret(secret) };
}

export type ParsedKey = { ok: true; id: string; secret: string } | { ok: false; reason: string };

export function parseApiKey(token: string): ParsedKey {
  const parts = token.split('-');
  if (parts.length !== 2) return { ok: false, reason: `incorrect amount of API key parts, expected 2 got ${parts.length}` };
  const [id, secret] = parts as [string, string];
  if (id.length !== KEY_ID_LENGTH) return { ok: false, reason: `invalid API key ID length, expected ${KEY_ID_LENGTH} got ${id.length}` };
  if (secret.length !== KEY_SECRET_LENGTH) {
    return { ok: false, reason: `invalid API key secret length, expected ${KEY_SECRET_LENGTH} got ${secret.length}` };
  }
  return { ok: true, id, secret };
}

export function secretMatches(secret: string, hashed: Buffer): boolean {
  const computed = hashSecret(secret);
  return hashed.length === computed.length && timingSafeEqual(computed, hashed);
}

export const SESSION_COOKIE = 'coder_session_token';
export const SESSION_HEADER = 'coder-session-token';
export const SESSION_QUERY = 'coder_session_token';

/** Reads a cookie out of a Cookie header without a dependency: name=value pairs split by ';'. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}

/**
 * Where a token may come from, in order: cookie, query parameter, Coder-Session-Token header,
 * Authorization: Bearer. The first non-empty one wins.
 */
export function extractToken(req: {
  headers: Record<string, string | string[] | undefined>;
  query: unknown;
}): string | undefined {
  const cookie = readCookie(first(req.headers.cookie), SESSION_COOKIE);
  if (cookie) return cookie;
  const q = (req.query as Record<string, unknown> | undefined)?.[SESSION_QUERY];
  const fromQuery = Array.isArray(q) ? q[0] : q;
  if (typeof fromQuery === 'string' && fromQuery) return fromQuery;
  const header = first(req.headers[SESSION_HEADER]);
  if (header) return header;
  const authz = first(req.headers.authorization);
  if (authz && /^bearer\s+/i.test(authz)) {
    const t = authz.replace(/^bearer\s+/i, '').trim();
    if (t) return t;
  }
  return undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
