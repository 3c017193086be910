// Coder's input rules for names, display names, real names, group names and e-mail addresses
// (codersdk/name.go and the go-playground `email` tag), plus the few Go formatting habits that leak
// into Coder's error texts (`%q`, `%v`, byte lengths, unicode.IsSpace).
//
// Every validator returns null when the input is fine, or the exact error text Coder produces.
import { NIL_UUID } from '../db/constants.js';

/** One entry of the `validations` array of a Coder error response. */
export interface ValidationError {
  field: string;
  detail: string;
}

// ---------------------------------------------------------------------------------------------
// Go compatibility helpers

const utf8 = new TextEncoder();

/** Go's `len(s)`: the length in UTF-8 bytes, which is what Coder compares against its limits. */
export function byteLength(s: string): number {
  return utf8.encode(s).length;
}

// unicode.IsSpace: the Latin-1 spaces plus the Unicode White_Space property. JS `\s` differs
// (it includes U+FEFF and excludes U+0085), so the set is spelled out.
const GO_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Go's `unicode.IsSpace` for one code point. */
export function isGoSpace(codePoint: number): boolean {
  return GO_SPACE.has(codePoint);
}

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  const chars = Array.from(s);
  let start = 0;
  let end = chars.length;
  while (start < end && isGoSpace(chars[start].codePointAt(0)!)) start++;
  while (end > start && isGoSpace(chars[end - 1].codePointAt(0)!)) end--;
  return chars.slice(start, end).join('');
}

function isGoPrintable(cp: number): boolean {
  // Close enough to strconv.IsPrint: letters, marks, numbers, punctuation, symbols and U+0020.
  if (cp === 0x20) return true;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}

/** Go's `%q` / strconv.Quote for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\\ufffd'; // a lone surrogate is invalid UTF-8 in Go
    } else if (isGoPrintable(cp)) {
      out += ch;
    } else if (cp < 0x80) {
      out += '\\x' + cp.toString(16).padStart(2, '0');
    } else if (cp < 0x10000) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else {
      out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out + '"';
}

function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    // %v uses %e below 1e-4 and from 1e21 on, with at least two exponent digits.
    const [mant, exp] = n.toExponential().split('e');
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** Go's `%v` for the JSON-ish values a request body can hold. */
export function goFormatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goFormatFloat(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return '[' + v.map(goFormatValue).join(' ') + ']';
  if (typeof v === 'object') {
    const entries = Object.keys(v as Record<string, unknown>)
      .sort()
      .map((k) => `${k}:${goFormatValue((v as Record<string, unknown>)[k])}`);
    return 'map[' + entries.join(' ') + ']';
  }
  return String(v);
}

export type GoParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function numError(fn: string, num: string, reason: 'invalid syntax' | 'value out of range'): string {
  return `strconv.${fn}: parsing ${goQuote(num)}: ${reason}`;
}

/**
 * Go's `strconv.ParseInt(s, 10, bitSize)` (or `Atoi` when fn is "Atoi"), including its error
 * texts, e.g. `strconv.ParseInt: parsing "x": invalid syntax` / `...: value out of range`.
 */
export function goParseInt(s: string, bitSize: 32 | 64, fn: 'ParseInt' | 'Atoi' = 'ParseInt'): GoParseResult<bigint> {
  if (s === '') return { ok: false, error: numError(fn, s, 'invalid syntax') };
  let digits = s;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    digits = s.slice(1);
  }
  if (digits === '') return { ok: false, error: numError(fn, s, 'invalid syntax') };
  const cutoff = 1n << BigInt(bitSize - 1);
  const uintMax = (1n << BigInt(bitSize)) - 1n;
  let n = 0n;
  for (const c of digits) {
    if (c < '0' || c > '9') return { ok: false, error: numError(fn, s, 'invalid syntax') };
    n = n * 10n + BigInt(c.charCodeAt(0) - 48);
    // ParseUint reports an overflow as soon as it happens, before looking at later characters.
    if (n > uintMax) return { ok: false, error: numError(fn, s, 'value out of range') };
  }
  if ((!neg && n >= cutoff) || (neg && n > cutoff)) {
    return { ok: false, error: numError(fn, s, 'value out of range') };
  }
  return { ok: true, value: neg ? -n : n };
}

/** Go's `strconv.ParseBool`. */
export function goParseBool(s: string): GoParseResult<boolean> {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'true':
    case 'TRUE':
    case 'True':
      return { ok: true, value: true };
    case '0':
    case 'f':
    case 'F':
    case 'false':
    case 'FALSE':
    case 'False':
      return { ok: true, value: false };
  }
  return { ok: false, error: numError('ParseBool', s, 'invalid syntax') };
}

const UUID_HEX = /^[0-9a-fA-F]{32}$/;

/**
 * google/uuid's `Parse`: the 36-character form, optionally wrapped in `{}` or prefixed with
 * `urn:uuid:`, or 32 bare hex digits. Returns the canonical lowercase form, or null.
 */
export function parseUuid(s: string): string | null {
  let v = s;
  if (v.length === 45) {
    if (v.slice(0, 9).toLowerCase() !== 'urn:uuid:') return null;
    v = v.slice(9);
  } else if (v.length === 38) {
    if (v[0] !== '{' || v[37] !== '}') return null;
    v = v.slice(1, 37);
  }
  let hex: string;
  if (v.length === 36) {
    if (v[8] !== '-' || v[13] !== '-' || v[18] !== '-' || v[23] !== '-') return null;
    hex = v.slice(0, 8) + v.slice(9, 13) + v.slice(14, 18) + v.slice(19, 23) + v.slice(24);
  } else if (v.length === 32) {
    hex = v;
  } else {
    return null;
  }
  if (!UUID_HEX.test(hex)) return null;
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The nil UUID, which Coder uses for "none" (and, in `organization_ids`, for "the default organization"). */
export { NIL_UUID };

// ---------------------------------------------------------------------------------------------
// Names (codersdk/name.go)

/** Usernames, organization names, role names, template and workspace names. */
export const NAME_REGEX = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;

// Go RE2's `\s` is [\t\n\f\r ] and `.` is anything but \n.
const DISPLAY_NAME_REGEX = /^[^\t\n\f\r ](?:[^\n]*[^\t\n\f\r ])?$/u;

export const NAME_MAX_LENGTH = 32;
export const DISPLAY_NAME_MAX_LENGTH = 64;
export const USER_REAL_NAME_MAX_LENGTH = 128;
export const GROUP_NAME_MAX_LENGTH = 255;

/** Coder's generic name rule (`codersdk.NameValid`). */
export function validateName(s: string): string | null {
  const len = byteLength(s);
  if (len > NAME_MAX_LENGTH) return `must be <= ${NAME_MAX_LENGTH} characters`;
  if (len < 1) return 'must be >= 1 character';
  // Avoid conflicts with routes like /templates/new and /groups/create.
  if (s === 'new' || s === 'create') return `cannot use ${goQuote(s)} as a name`;
  if (!NAME_REGEX.test(s)) return 'must be alphanumeric with hyphens';
  return null;
}

/** Display names of organizations, groups and templates (`codersdk.DisplayNameValid`). Empty is fine. */
export function validateDisplayName(s: string): string | null {
  if (s.length === 0) return null;
  if (byteLength(s) > DISPLAY_NAME_MAX_LENGTH) return `must be <= ${DISPLAY_NAME_MAX_LENGTH} characters`;
  if (!DISPLAY_NAME_REGEX.test(s)) return 'must be alphanumeric with spaces';
  return null;
}

/** A user's real name (`codersdk.UserRealNameValid`), checked on profile updates. */
export function validateUserRealName(s: string): string | null {
  if (byteLength(s) > USER_REAL_NAME_MAX_LENGTH) return `must be <= ${USER_REAL_NAME_MAX_LENGTH} characters`;
  if (goTrimSpace(s) !== s) return 'must not have leading or trailing whitespace';
  return null;
}

/**
 * What user creation does with the real name instead of rejecting it: trim, then cut to 128 bytes.
 * Coder cuts at a byte offset and may split a character; we back off to the last whole character.
 */
export function normalizeRealName(s: string): string {
  let out = goTrimSpace(s);
  if (byteLength(out) <= USER_REAL_NAME_MAX_LENGTH) return out;
  let bytes = 0;
  let cut = '';
  for (const ch of out) {
    const n = byteLength(ch);
    if (bytes + n > USER_REAL_NAME_MAX_LENGTH) break;
    bytes += n;
    cut += ch;
  }
  out = cut;
  return out;
}

/** Group names (`codersdk.GroupNameValid`): the name rule with a 255 byte limit. */
export function validateGroupName(s: string): string | null {
  if (byteLength(s) > GROUP_NAME_MAX_LENGTH) return `must be <= ${GROUP_NAME_MAX_LENGTH} characters`;
  if (s === 'new' || s === 'create') return `cannot use ${goQuote(s)} as a name`;
  if (!NAME_REGEX.test(s)) return 'must be alphanumeric with hyphens';
  return null;
}

// ---------------------------------------------------------------------------------------------
// E-mail (go-playground/validator v10 `email` tag)

// The validator's regex (regexes.go, emailRegexString) accepts: a local part that is either a
// dot-atom or a quoted string, '@', one or more labels each followed by a dot, a final label that
// starts and ends with a letter, and an optional trailing dot. Go runs it on RE2 (linear time); the
// same pattern on a backtracking engine explodes on inputs like `"` + " \t" * 30, so the language
// is recognised here by hand, in at most quadratic time, rather than with a JS RegExp.

const inRanges = (cp: number, ranges: ReadonlyArray<readonly [number, number]>): boolean =>
  ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
const UNICODE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x00a0, 0xd7ff],
  [0xf900, 0xfdcf],
  [0xfdf0, 0xffef],
];
const isAlpha = (cp: number) => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
const isDigit = (cp: number) => cp >= 0x30 && cp <= 0x39;
const isU = (cp: number) => inRanges(cp, UNICODE_RANGES);
/** Letter or digit (or the Unicode ranges): may start and end a label. */
const isLD = (cp: number) => isAlpha(cp) || isDigit(cp) || isU(cp);
/** Letter (or the Unicode ranges): may start and end the last label. */
const isL = (cp: number) => isAlpha(cp) || isU(cp);
/** Characters allowed inside a label. */
const isLDX = (cp: number) => isLD(cp) || cp === 0x2d || cp === 0x2e || cp === 0x7e;
/** Characters allowed in a quoted local part (the regex's qtext or its backslash-less "quoted pair"). */
const isQChar = (cp: number) =>
  (cp >= 0x01 && cp <= 0x09) || cp === 0x0b || cp === 0x0c || (cp >= 0x0d && cp <= 0x7f) || isU(cp);
const isWsp = (cp: number) => cp === 0x20 || cp === 0x09;

const DOT_ATOM_REGEX = new RegExp(
  "^[a-zA-Z0-9!#$%&'*+\\-/=?^_`{|}~\\u{00A0}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFEF}]+" +
    "(?:\\.[a-zA-Z0-9!#$%&'*+\\-/=?^_`{|}~\\u{00A0}-\\u{D7FF}\\u{F900}-\\u{FDCF}\\u{FDF0}-\\u{FFEF}]+)*$",
  'u',
);

/** Ends of a folding white space (`([ \t]*\r\n)?[ \t]+`) starting at i. */
function fwsEnds(cps: number[], i: number): number[] {
  const ends: number[] = [];
  let a = i;
  while (a < cps.length && isWsp(cps[a])) a++;
  for (let j = i + 1; j <= a; j++) ends.push(j);
  if (cps[a] === 0x0d && cps[a + 1] === 0x0a) {
    let b = a + 2;
    while (b < cps.length && isWsp(cps[b])) {
      b++;
      ends.push(b);
    }
  }
  return ends;
}

/** The inside of a quoted local part: `(FWS? qchar)* FWS?`. */
function isQuotedContent(cps: number[]): boolean {
  const n = cps.length;
  const reach = new Array<boolean>(n + 1).fill(false);
  reach[0] = true;
  for (let i = 0; i < n; i++) {
    if (!reach[i]) continue;
    if (isQChar(cps[i])) reach[i + 1] = true;
    for (const j of fwsEnds(cps, i)) if (j < n && isQChar(cps[j])) reach[j + 1] = true;
  }
  for (let i = 0; i <= n; i++) {
    if (!reach[i]) continue;
    if (i === n || fwsEnds(cps, i).includes(n)) return true;
  }
  return false;
}

/** `(label '.')+ lastLabel '.'?` where a label may itself contain dots, hyphens and tildes. */
function isDomain(cps: number[]): boolean {
  const n = cps.length;
  // reached[i]: cps[0..i) is one or more "label." pieces.
  const reached = new Array<boolean>(n + 1).fill(false);
  const starts = [0];
  const seen = new Set<number>([0]);
  while (starts.length > 0) {
    const i = starts.pop()!;
    if (i >= n || !isLD(cps[i])) continue;
    for (let j = i + 1; j < n && isLDX(cps[j - 1]); j++) {
      // cps[i..j) is a label when it ends with a letter/digit; a dot must follow it.
      if (isLD(cps[j - 1]) && cps[j] === 0x2e && !seen.has(j + 1)) {
        reached[j + 1] = true;
        seen.add(j + 1);
        starts.push(j + 1);
      }
    }
  }
  const isLastLabel = (i: number, e: number) => {
    if (e <= i || !isL(cps[i]) || !isL(cps[e - 1])) return false;
    for (let k = i + 1; k < e - 1; k++) if (!isLDX(cps[k])) return false;
    return true;
  };
  for (let i = 1; i <= n; i++) {
    if (!reached[i]) continue;
    if (isLastLabel(i, n)) return true;
    if (cps[n - 1] === 0x2e && isLastLabel(i, n - 1)) return true;
  }
  return false;
}

/** Longest address accepted; the users table stores at most 320 characters. */
export const EMAIL_MAX_LENGTH = 320;

/**
 * The `email` validation tag (go-playground/validator v10). Addresses longer than
 * {@link EMAIL_MAX_LENGTH} are refused (Go has no limit, but orgd could not store them, and the
 * recogniser is quadratic in the worst case).
 */
export function isValidEmail(s: string): boolean {
  if (s.length > EMAIL_MAX_LENGTH) return false;
  const at = s.lastIndexOf('@'); // the domain cannot contain '@', so the last one separates
  if (at <= 0) return false;
  const local = s.slice(0, at);
  const domain = Array.from(s.slice(at + 1), (c) => c.codePointAt(0)!);
  if (!isDomain(domain)) return false;
  if (DOT_ATOM_REGEX.test(local)) return true;
  const lcps = Array.from(local, (c) => c.codePointAt(0)!);
  return lcps.length >= 2 && lcps[0] === 0x22 && lcps[lcps.length - 1] === 0x22 && isQuotedContent(lcps.slice(1, -1));
}

// ---------------------------------------------------------------------------------------------
// Body validation with Coder's validation tags

/** Coder's per-field detail for a failed validation tag: `Validation failed for tag "<tag>" with value: "<value>"`. */
export function validationFailedDetail(tag: string, value: unknown): string {
  return `Validation failed for tag ${goQuote(tag)} with value: "${goFormatValue(value)}"`;
}

/** go-playground's `required`: the value is not the zero value of its type (a present empty list passes). */
export function hasValue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v !== '';
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'boolean') return v;
  return true;
}

type TagCheck = (v: unknown) => boolean;
const asString = (check: (s: string) => boolean): TagCheck => (v) => typeof v === 'string' && check(v);

/** The validation tags Coder registers (httpapi.go) plus the stock ones its request types use. */
export const VALIDATION_TAGS: Readonly<Record<string, TagCheck>> = {
  required: hasValue,
  email: asString(isValidEmail),
  username: asString((s) => validateName(s) === null),
  organization_name: asString((s) => validateName(s) === null),
  template_name: asString((s) => validateName(s) === null),
  workspace_name: asString((s) => validateName(s) === null),
  oauth2_app_name: asString((s) => validateName(s) === null),
  organization_display_name: asString((s) => validateDisplayName(s) === null),
  template_display_name: asString((s) => validateDisplayName(s) === null),
  group_display_name: asString((s) => validateDisplayName(s) === null),
  user_real_name: asString((s) => validateUserRealName(s) === null),
  group_name: asString((s) => validateGroupName(s) === null),
};

/**
 * Validates a decoded body the way `httpapi.Read` does: for each field, its comma-separated tags in
 * order, stopping at the first failure of that field; `omitempty` skips the remaining tags when the
 * field holds its zero value. An absent field is shown as Go's zero string (`""`) in the detail.
 *
 * @example validateFields(body, [['email', 'required,email'], ['username', 'required,username'], ['name', 'user_real_name']])
 */
export function validateFields(
  body: Record<string, unknown> | null | undefined,
  rules: ReadonlyArray<readonly [field: string, tags: string]>,
): ValidationError[] {
  const errors: ValidationError[] = [];
  for (const [field, tagList] of rules) {
    const value = body?.[field];
    const shown = value === undefined || value === null ? '' : value;
    for (const tag of tagList.split(',').map((t) => t.trim()).filter(Boolean)) {
      if (tag === 'omitempty') {
        if (!hasValue(value)) break;
        continue;
      }
      const check = VALIDATION_TAGS[tag];
      if (!check) throw new Error(`unknown validation tag ${goQuote(tag)}`);
      // Custom tags only see strings; an absent string field is the empty string in Go.
      const subject = tag !== 'required' && (value === undefined || value === null) ? '' : value;
      if (!check(subject)) {
        errors.push({ field, detail: validationFailedDetail(tag, shown) });
        break;
      }
    }
  }
  return errors;
}
