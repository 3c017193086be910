// The audit diff (Coder's enterprise/audit/diff.go): for each field a policy tracks, the old and new
// values when they differ, rendered as Coder's JSON would render them.
import { NIL_UUID } from '../db/constants.js';
import type { AuditPolicy, FieldRule } from './policies.js';

export interface AuditDiffEntry {
  old: unknown;
  new: unknown;
  secret: boolean;
}

/** Field name -> change. Keys are in sorted order, as Go's JSON encoding of a map writes them. */
export type AuditDiff = Record<string, AuditDiffEntry>;

/** Go's zero time.Time as JSON. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** A time as Go's encoding/json writes it: RFC 3339 in UTC with trailing fractional zeros dropped. */
export function formatGoTime(d: Date): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/**
 * Renders a value as it appears in a diff: Dates as Go times, the nil UUID as "", binary data as
 * standard base64, big integers as numbers when exact, nested arrays and objects element-wise.
 */
export function normalizeAuditValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v === NIL_UUID ? '' : v;
  if (v instanceof Date) return formatGoTime(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(normalizeAuditValue);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = normalizeAuditValue(val);
    return out;
  }
  return v;
}

/** A custom role permission list as strings: `resource.action`, prefixed with `-` when negated. */
export function formatPermissions(v: unknown): string[] {
  let list = v;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  return list.map((p: { negate?: boolean; resource_type?: string; action?: string }) => {
    const s = `${p?.resource_type ?? ''}.${p?.action ?? ''}`;
    return p?.negate ? `-${s}` : s;
  });
}

/** The zero value of a raw field's Go counterpart, as JSON: "", 0, false, the zero time, or null. */
function zeroOf(raw: unknown): unknown {
  if (raw instanceof Date) return ZERO_TIME;
  if (typeof raw === 'string') return '';
  if (typeof raw === 'number' || typeof raw === 'bigint') return 0;
  if (typeof raw === 'boolean') return false;
  return null; // slices, byte slices, pointers, nullable columns
}

function render(rule: FieldRule, raw: unknown, present: boolean, otherRaw: unknown): unknown {
  if (rule.format === 'permissions') return formatPermissions(present ? raw : undefined);
  if (!present) return zeroOf(otherRaw);
  return normalizeAuditValue(raw);
}

/** Deep equality on rendered values: arrays by position, objects regardless of key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Compares two snapshots of a resource under its policy. A missing side (creation: no old; deletion:
 * no new) counts as the zero value of every field, as in Coder, so a creation lists every tracked
 * field that is not at its zero value. Changed secrets show only the zero value on both sides.
 * Throws when a snapshot has a field the policy does not classify (a programming error that
 * `assertPolicyCovers` catches at start-up).
 */
export function computeDiff<T extends object>(
  policy: AuditPolicy<T>,
  oldValue: T | null | undefined,
  newValue: T | null | undefined,
): AuditDiff {
  const left = (oldValue ?? {}) as Record<string, unknown>;
  const right = (newValue ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  const diff: AuditDiff = {};
  for (const field of fields) {
    const rule = policy.fields[field];
    if (!rule) throw new Error(`audit policy for "${policy.resourceType}" lacks field "${field}"`);
    if (rule.action === 'ignore') continue;
    const hasLeft = Object.prototype.hasOwnProperty.call(left, field) && oldValue != null;
    const hasRight = Object.prototype.hasOwnProperty.call(right, field) && newValue != null;
    const oldRendered = render(rule, left[field], hasLeft, right[field]);
    const newRendered = render(rule, right[field], hasRight, left[field]);
    if (deepEqual(oldRendered, newRendered)) continue;
    if (rule.action === 'secret') {
      const zero = 'zero' in rule ? rule.zero : zeroOf(hasRight ? right[field] : left[field]);
      diff[field] = { old: zero, new: zero, secret: true };
    } else {
      diff[field] = { old: oldRendered, new: newRendered, secret: false };
    }
  }
  return diff;
}
