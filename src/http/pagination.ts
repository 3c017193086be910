// Pagination query parameters (coderd/pagination.go): `after_id`, `limit`, `offset`, with Coder's
// messages. A 400 answer carries the message {@link INVALID_QUERY_PARAMS_MESSAGE} and the
// validations returned here.
import { QueryParamParser, queryValuesFromRaw } from './searchquery.js';
import { type ValidationError, NIL_UUID, goQuote } from './validation.js';

/** The response message Coder uses for any invalid query parameter. */
export const INVALID_QUERY_PARAMS_MESSAGE = 'Query parameters have invalid values.';

/** A raw query object as Fastify parses it: each key maps to a string or, when repeated, a string[]. */
export type RawQuery = Readonly<Record<string, string | string[] | undefined>>;

export interface Pagination {
  /** Keyset cursor: rows strictly after the row with this id in the endpoint's order. */
  afterId?: string;
  /** Page size; 0 means no limit. */
  limit: number;
  offset: number;
}

export type PaginationResult = { ok: true; value: Pagination } | { ok: false; validations: ValidationError[] };

/**
 * Parses `after_id` (a UUID), `limit` and `offset` (0 to 2^31-1). Absent or empty parameters take
 * their defaults (no cursor, no limit, offset 0); a nil UUID cursor means no cursor. Every problem
 * is reported, e.g. `Query param "limit" must be a valid 32-bit positive integer: value is negative`.
 */
export function parsePagination(raw: RawQuery | null | undefined): PaginationResult {
  const values = queryValuesFromRaw(raw);
  const parser = new QueryParamParser();
  const afterId = parser.uuid(values, null, 'after_id');
  const limit = parser.positiveInt32(values, 0, 'limit');
  const offset = parser.positiveInt32(values, 0, 'offset');
  if (parser.errors.length > 0) return { ok: false, validations: parser.errors };
  const value: Pagination = { limit, offset };
  if (afterId !== null && afterId !== NIL_UUID) value.afterId = afterId;
  return { ok: true, value };
}

/**
 * Reports every parameter given more than once (optionally only among `names`), with Coder's text:
 * `Query param "limit" provided more than once, found 2 times. Only provide 1 instance of this query param.`
 */
export function findRepeatedParams(raw: RawQuery | null | undefined, names?: readonly string[]): ValidationError[] {
  const errors: ValidationError[] = [];
  if (!raw) return errors;
  const keys = names ?? Object.keys(raw);
  for (const key of keys) {
    const v = raw[key];
    if (Array.isArray(v) && v.length > 1) {
      errors.push({
        field: key,
        detail: `Query param ${goQuote(key)} provided more than once, found ${v.length} times. Only provide 1 instance of this query param.`,
      });
    }
  }
  return errors;
}
