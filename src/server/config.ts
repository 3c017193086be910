// Server configuration: flags win over environment variables, which win over defaults.
import { defaultDataDir } from '../db/embedded.js';

export interface ServerConfig {
  httpAddress: string;
  /** Absent: start the embedded PostgreSQL in dataDir. */
  postgresUrl?: string;
  dataDir: string;
  accessUrl: string;
  /** Browser/password sessions, sliding. */
  sessionDurationSeconds: number;
  disableSessionExpiryRefresh: boolean;
  defaultTokenLifetimeSeconds: number;
  maxTokenLifetimeSeconds: number;
  /** Requests per minute per IP on the login group; <= 0 disables. */
  loginRateLimit: number;
  passwordIterations: number;
  logLevel: string;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
}

export const HOUR = 3600;
export const DAY = 24 * HOUR;

export function defaultConfig(): ServerConfig {
  return {
    httpAddress: '127.0.0.1:3000',
    dataDir: process.env.ORGD_DATA_DIR || defaultDataDir(),
    postgresUrl: process.env.ORGD_PG_CONNECTION_URL || undefined,
    accessUrl: process.env.ORGD_ACCESS_URL || '',
    sessionDurationSeconds: DAY,
    disableSessionExpiryRefresh: false,
    defaultTokenLifetimeSeconds: 7 * DAY,
    maxTokenLifetimeSeconds: 876_600 * HOUR,
    loginRateLimit: 60,
    passwordIterations: 65_535,
    logLevel: process.env.ORGD_LOG_LEVEL || 'info',
    bodyLimit: 1024 * 1024,
  };
}

/** Parses a Go-style duration (`24h`, `90m`, `1h30m`, `45s`) into seconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * HOUR : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`invalid duration "${text}"`);
  return total;
}

export function parseHttpAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`invalid --http-address "${addr}": expected host:port`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port in --http-address "${addr}"`);
  return { host, port };
}

export const VERSION: string = process.env.ORGD_VERSION || 'v2.28.0+orgd.0.1.0';
