// Coder's `q` search grammar (coderd/searchquery) and its query-parameter parser
// (coderd/httpapi/queryparams.go), with the same error texts.
//
// A query is split on spaces (double quotes keep a phrase together), each `key:value` element sets a
// key (keys are lower-cased, values may repeat and may be comma lists), and every element without a
// colon is joined into one free-text term handed to the endpoint's default key. The typed parsers
// then collect every problem at once as `{field, detail}` validations, as Coder does.
import { type ValidationError, NIL_UUID, goParseBool, goParseInt, goQuote, goTrimSpace, parseUuid } from './validation.js';

export type { ValidationError } from './validation.js';

/** Parsed query values in insertion order: key -> every value given for it (like Go's url.Values). */
export type QueryValues = Map<string, string[]>;

export type ParseResult<T> = { ok: true; filter: T } | { ok: false; validations: ValidationError[] };

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function addValue(values: QueryValues, key: string, value: string): void {
  const list = values.get(key);
  if (list) list.push(value);
  else values.set(key, [value]);
}

// ---------------------------------------------------------------------------------------------
// Tokenizing

/**
 * Splits on a delimiter outside double quotes, dropping empty pieces (Go's strings.FieldsFunc with
 * a quote toggle). Unless quotes are kept, leading and trailing quotes are trimmed from each piece.
 */
export function splitQueryParameterByDelimiter(query: string, delimiter: string, maintainQuotes: boolean): string[] {
  const parts: string[] = [];
  let quoted = false;
  let current = '';
  for (const ch of query) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === delimiter) {
      if (current !== '') parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') parts.push(current);
  return maintainQuotes ? parts : parts.map((p) => p.replace(/^"+|"+$/g, ''));
}

/** Keeps `key:value` tokens as they are and joins all the others, in order, into one trailing term. */
function processTokens(tokens: string[]): string[] {
  const results: string[] = [];
  const freeText: string[] = [];
  for (const token of tokens) {
    if (token.includes(':')) results.push(token);
    else freeText.push(token);
  }
  if (freeText.length > 0) results.push(freeText.join(' '));
  return results;
}

/**
 * Handles a term without a key: records it (typically under the endpoint's default key) or returns
 * an error text, which becomes a validation on field `q`.
 */
export type DefaultKeyHandler = (term: string, values: QueryValues) => string | null;

/**
 * Coder's `searchTerms`: tokenizes a query into values. Errors concern the whole query (field `q`),
 * and the first one stops parsing.
 *
 * Free text is handed to the default key with its double quotes removed (Coder passes them on, so
 * `"john doe"` would search for the quotes too).
 */
export function searchTerms(
  query: string,
  defaultKey: DefaultKeyHandler,
): { ok: true; values: QueryValues } | { ok: false; validations: ValidationError[] } {
  const values: QueryValues = new Map();
  const elements = processTokens(splitQueryParameterByDelimiter(query, ' ', true));
  for (const element of elements) {
    if (element.startsWith(':') || element.endsWith(':')) {
      return { ok: false, validations: [{ field: 'q', detail: `Query element ${goQuote(element)} cannot start or end with ':'` }] };
    }
    const parts = splitQueryParameterByDelimiter(element, ':', false);
    if (parts.length === 1) {
      const error = defaultKey(element.replaceAll('"', ''), values);
      if (error !== null) return { ok: false, validations: [{ field: 'q', detail: error }] };
    } else if (parts.length === 2) {
      addValue(values, parts[0].toLowerCase(), parts[1]);
    } else {
      return { ok: false, validations: [{ field: 'q', detail: `Query element ${goQuote(element)} can only contain 1 ':'` }] };
    }
  }
  return { ok: true, values };
}

// ---------------------------------------------------------------------------------------------
// Go's time.Parse, for the two layouts the search grammar uses, with Go's error texts

export const RFC3339_NANO_LAYOUT = '2006-01-02T15:04:05.999999999Z07:00';
export const DATE_LAYOUT = '2006-01-02';

type Std = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'frac9' | 'tz' | null;
interface Chunk {
  prefix: string;
  std: Std;
  text: string;
}

const LAYOUT_CHUNKS: Record<string, Chunk[]> = {
  [RFC3339_NANO_LAYOUT]: [
    { prefix: '', std: 'year', text: '2006' },
    { prefix: '-', std: 'month', text: '01' },
    { prefix: '-', std: 'day', text: '02' },
    { prefix: 'T', std: 'hour', text: '15' },
    { prefix: ':', std: 'minute', text: '04' },
    { prefix: ':', std: 'second', text: '05' },
    { prefix: '', std: 'frac9', text: '.999999999' },
    { prefix: '', std: 'tz', text: 'Z07:00' },
    { prefix: '', std: null, text: '' },
  ],
  [DATE_LAYOUT]: [
    { prefix: '', std: 'year', text: '2006' },
    { prefix: '-', std: 'month', text: '01' },
    { prefix: '-', std: 'day', text: '02' },
    { prefix: '', std: null, text: '' },
  ],
};

/** The time package's own quoting: `"` and `\` escaped, other bytes outside printable ASCII as \xNN. */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += '\\x' + b.toString(16).padStart(2, '0');
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

const isDigitAt = (s: string, i: number) => i < s.length && s[i] >= '0' && s[i] <= '9';

/** time.getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): { n: number; rest: string } | null {
  if (!isDigitAt(s, 0)) return null;
  if (!isDigitAt(s, 1)) {
    if (fixed) return null;
    return { n: s.charCodeAt(0) - 48, rest: s.slice(1) };
  }
  return { n: (s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), rest: s.slice(2) };
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** A parsed instant: the Date (millisecond precision) and the nanoseconds within its second. */
export interface GoTime {
  date: Date;
  nanosecond: number;
}

/** Go's `time.Parse(layout, value)` (result in UTC) for {@link RFC3339_NANO_LAYOUT} and {@link DATE_LAYOUT}. */
export function goParseTime(layout: string, value: string): Parsed<GoTime> {
  const chunks = LAYOUT_CHUNKS[layout];
  if (!chunks) throw new Error(`unsupported layout ${layout}`);
  const bad = (elemValue: string, elemLayout: string): Parsed<GoTime> => ({
    ok: false,
    error: `parsing time ${timeQuote(value)} as ${timeQuote(layout)}: cannot parse ${timeQuote(elemValue)} as ${timeQuote(elemLayout)}`,
  });
  const withMessage = (message: string): Parsed<GoTime> => ({ ok: false, error: `parsing time ${timeQuote(value)}${message}` });

  let v = value;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nsec = 0;
  let offsetSeconds = 0;
  for (const chunk of chunks) {
    // skip(): match the literal prefix byte by byte.
    for (let i = 0; i < chunk.prefix.length; i++) {
      if (v.length === 0 || v[0] !== chunk.prefix[i]) return bad(v, chunk.prefix);
      v = v.slice(1);
    }
    if (chunk.std === null) {
      if (v.length !== 0) return withMessage(`: extra text: ${timeQuote(v)}`);
      break;
    }
    const hold = v;
    let failed = false;
    let rangeErr = '';
    switch (chunk.std) {
      case 'year': {
        if (v.length < 4 || !isDigitAt(v, 0)) {
          failed = true;
          break;
        }
        const p = v.slice(0, 4);
        v = v.slice(4);
        if (!/^[0-9]{4}$/.test(p)) failed = true;
        else year = Number(p);
        break;
      }
      case 'month': {
        const r = getnum(v, true);
        if (!r) {
          failed = true;
          break;
        }
        month = r.n;
        v = r.rest;
        if (month <= 0 || month > 12) rangeErr = 'month';
        break;
      }
      case 'day': {
        const r = getnum(v, true);
        if (!r) {
          failed = true;
          break;
        }
        day = r.n;
        v = r.rest;
        break;
      }
      case 'hour': {
        const r = getnum(v, false);
        if (!r) {
          failed = true;
          break;
        }
        hour = r.n;
        v = r.rest;
        if (hour >= 24) rangeErr = 'hour';
        break;
      }
      case 'minute': {
        const r = getnum(v, true);
        if (!r) {
          failed = true;
          break;
        }
        minute = r.n;
        v = r.rest;
        if (minute >= 60) rangeErr = 'minute';
        break;
      }
      case 'second': {
        const r = getnum(v, true);
        if (!r) {
          failed = true;
          break;
        }
        second = r.n;
        v = r.rest;
        if (second >= 60) rangeErr = 'second';
        break;
      }
      case 'frac9': {
        // Optional: a '.' or ',' followed by any number of digits (only the first nine count).
        if (v.length < 2 || (v[0] !== '.' && v[0] !== ',') || !isDigitAt(v, 1)) break;
        let i = 0;
        while (isDigitAt(v, i + 1)) i++;
        const digits = v.slice(1, 1 + Math.min(i, 9));
        nsec = Number(digits) * 10 ** (9 - digits.length);
        v = v.slice(1 + i);
        break;
      }
      case 'tz': {
        if (v.length >= 1 && v[0] === 'Z') {
          v = v.slice(1);
          break;
        }
        if (v.length < 6 || v[3] !== ':') {
          failed = true;
          break;
        }
        const sign = v[0];
        const hh = getnum(v.slice(1, 3), true);
        const mm = hh ? getnum(v.slice(4, 6), true) : null;
        v = v.slice(6);
        if (!hh || !mm) {
          failed = true;
          break;
        }
        if (hh.n > 24) rangeErr = 'time zone offset hour';
        if (mm.n > 60) rangeErr = 'time zone offset minute';
        offsetSeconds = (hh.n * 60 + mm.n) * 60;
        if (sign === '-') offsetSeconds = -offsetSeconds;
        else if (sign !== '+') failed = true;
        break;
      }
    }
    if (rangeErr !== '') return withMessage(`: ${rangeErr} out of range`);
    if (failed) return bad(hold, chunk.text);
  }
  if (day < 1 || day > daysIn(month, year)) return withMessage(': day out of range');

  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Math.floor(nsec / 1e6));
  date.setTime(date.getTime() - offsetSeconds * 1000);
  return { ok: true, value: { date, nanosecond: nsec } };
}

// ---------------------------------------------------------------------------------------------
// Query parameter parser (httpapi.QueryParamParser)

/**
 * Collects validation errors for a set of query values, one typed getter per parameter, then flags
 * unexpected parameters with {@link QueryParamParser.errorExcessParams}. Error texts are Coder's.
 */
export class QueryParamParser {
  readonly errors: ValidationError[] = [];
  readonly parsed = new Set<string>();
  private readonly requiredParams = new Set<string>();

  /** Marks parameters that must be present and non-empty. */
  requiredNotEmpty(...params: string[]): this {
    for (const p of params) this.requiredParams.add(p);
    return this;
  }

  private fail(field: string, detail: string): void {
    this.errors.push({ field, detail });
  }

  /** parseQueryParamSet: absent or empty-first-value parameters give the default. */
  private parseSet<T>(vals: QueryValues, key: string, def: T, parse: (set: string[]) => Parsed<T>): Parsed<T> {
    this.parsed.add(key);
    const set = vals.get(key);
    const absent = set === undefined || set.length === 0 || set[0] === '';
    if (this.requiredParams.has(key) && absent) {
      this.fail(key, `Query param ${goQuote(key)} is required and cannot be empty`);
      return { ok: true, value: def };
    }
    if (absent) return { ok: true, value: def };
    return parse(set);
  }

  /** parseSingle: a repeated parameter is reported once and yields the default. */
  private single<T>(key: string, def: T, parse: (v: string) => Parsed<T>): (set: string[]) => Parsed<T> {
    return (set) => {
      if (set.length > 1) {
        this.fail(
          key,
          `Query param ${goQuote(key)} provided more than once, found ${set.length} times. Only provide 1 instance of this query param.`,
        );
        return { ok: true, value: def };
      }
      return parse(set[0]);
    };
  }

  private scalar<T>(vals: QueryValues, key: string, def: T, parse: (v: string) => Parsed<T>, message: (err: string) => string): T {
    const r = this.parseSet(vals, key, def, this.single(key, def, parse));
    if (!r.ok) {
      this.fail(key, message(r.error));
      return def;
    }
    return r.value;
  }

  string(vals: QueryValues, def: string, key: string): string {
    return this.scalar(vals, key, def, (v) => ({ ok: true, value: v }), (e) => `Query param ${goQuote(key)} must be a valid string: ${e}`);
  }

  strings(vals: QueryValues, def: string[], key: string): string[] {
    return this.customList(vals, def, key, (v) => ({ ok: true, value: v }));
  }

  /** A UUID (any form google/uuid accepts), returned in canonical lowercase form. */
  uuid(vals: QueryValues, def: string | null, key: string): string | null {
    return this.scalar<string | null>(
      vals,
      key,
      def,
      (v) => {
        const id = parseUuid(v);
        return id === null ? { ok: false, error: 'invalid UUID' } : { ok: true, value: id };
      },
      () => `Query param ${goQuote(key)} must be a valid uuid`,
    );
  }

  uuids(vals: QueryValues, def: string[], key: string): string[] {
    return this.customList(vals, def, key, (v) => {
      const id = parseUuid(goTrimSpace(v));
      return id === null ? { ok: false, error: `invalid UUID length: ${Buffer.byteLength(goTrimSpace(v))}` } : { ok: true, value: id };
    });
  }

  /** strconv.Atoi on a 64-bit platform. */
  int(vals: QueryValues, def: number, key: string): number {
    const r = this.scalar<bigint>(vals, key, BigInt(def), (v) => goParseInt(v, 64, 'Atoi'), (e) => `Query param ${goQuote(key)} must be a valid integer: ${e}`);
    return Number(r);
  }

  int64(vals: QueryValues, def: bigint, key: string): bigint {
    return this.scalar(vals, key, def, (v) => goParseInt(v, 64), (e) => `Query param ${goQuote(key)} must be a valid 64-bit integer: ${e}`);
  }

  /** 0 <= n <= 2^31-1, as the database's LIMIT/OFFSET want it. */
  positiveInt32(vals: QueryValues, def: number, key: string): number {
    const r = this.scalar<bigint>(
      vals,
      key,
      BigInt(def),
      (v) => {
        const n = goParseInt(v, 32);
        if (!n.ok) return n;
        if (n.value < 0n) return { ok: false, error: 'value is negative' };
        return n;
      },
      (e) => `Query param ${goQuote(key)} must be a valid 32-bit positive integer: ${e}`,
    );
    return Number(r);
  }

  boolean(vals: QueryValues, def: boolean, key: string): boolean {
    return this.scalar(vals, key, def, goParseBool, (e) => `Query param ${goQuote(key)} must be a valid boolean: ${e}`);
  }

  /** A boolean that is null when the parameter is absent. */
  nullableBoolean(vals: QueryValues, def: boolean | null, key: string): boolean | null {
    return this.scalar<boolean | null>(vals, key, def, goParseBool, (e) => `Query param ${goQuote(key)} must be a valid boolean: ${e}`);
  }

  /** A time in the given layout ({@link DATE_LAYOUT} or {@link RFC3339_NANO_LAYOUT}), in UTC. */
  time(vals: QueryValues, def: Date | null, key: string, layout: string, mutate?: (term: string) => string): Date | null {
    return this.scalar<Date | null>(
      vals,
      key,
      def,
      (v) => {
        const t = goParseTime(layout, mutate ? mutate(v) : v);
        return t.ok ? { ok: true, value: t.value.date } : t;
      },
      (e) => `Query param ${goQuote(key)} must be a valid date format (${layout}): ${e}`,
    );
  }

  /** An RFC 3339 timestamp; the term is upper-cased first because search queries are lower-cased. */
  time3339Nano(vals: QueryValues, def: Date | null, key: string): Date | null {
    return this.time(vals, def, key, RFC3339_NANO_LAYOUT, (t) => t.toUpperCase());
  }

  /** httpapi.ParseCustom: one value through a custom parser. */
  custom<T>(vals: QueryValues, def: T, key: string, parse: (v: string) => Parsed<T>): T {
    return this.scalar(vals, key, def, parse, (e) => `Query param ${goQuote(key)} has invalid value: ${e}`);
  }

  /** httpapi.ParseCustomList: every value and every comma-separated item; all bad items are reported together. */
  customList<T>(vals: QueryValues, def: T[], key: string, parse: (v: string) => Parsed<T>): T[] {
    const r = this.parseSet<T[]>(vals, key, def, (set) => {
      const out: T[] = [];
      const errors: string[] = [];
      for (const item of set.flatMap((s) => s.split(','))) {
        const p = parse(item);
        if (p.ok) out.push(p.value);
        else errors.push(p.error);
      }
      if (errors.length > 0) return { ok: false, error: errors.join('\n') };
      return { ok: true, value: out };
    });
    if (!r.ok) {
      this.fail(key, `Query param ${goQuote(key)} has invalid values: ${r.error}`);
      return [];
    }
    return r.value;
  }

  /** Flags every value key no getter asked for: `"<key>" is not a valid query param`. */
  errorExcessParams(vals: QueryValues): void {
    for (const key of vals.keys()) {
      if (!this.parsed.has(key)) this.fail(key, `${goQuote(key)} is not a valid query param`);
    }
  }
}

/** httpapi.ParseEnum: a parser accepting exactly the given values. */
export function enumParser<T extends string>(allowed: readonly T[]): (v: string) => Parsed<T> {
  const set = new Set<string>(allowed);
  return (v) => (set.has(v) ? { ok: true, value: v as T } : { ok: false, error: `${goQuote(v)} is not a valid value` });
}

/** Turns a raw query object (as Fastify gives it: string or string[] per key) into {@link QueryValues}. */
export function queryValuesFromRaw(raw: Readonly<Record<string, unknown>> | null | undefined): QueryValues {
  const values: QueryValues = new Map();
  if (!raw) return values;
  for (const [key, v] of Object.entries(raw)) {
    if (v === undefined || v === null) continue;
    const list = Array.isArray(v) ? v.map(String) : [String(v)];
    if (list.length > 0) values.set(key, list);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Enumerations

export const USER_STATUSES = ['active', 'dormant', 'suspended'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const LOGIN_TYPES = ['password', 'github', 'oidc', 'token', 'none'] as const;
export type LoginType = (typeof LOGIN_TYPES)[number];

/** Audit actions (codersdk.AuditAction / database.AuditAction). */
export const AUDIT_ACTIONS = [
  'create',
  'write',
  'delete',
  'start',
  'stop',
  'login',
  'logout',
  'register',
  'request_password_reset',
  'connect',
  'disconnect',
  'open',
  'close',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Audit resource types (database.ResourceType). */
export const AUDIT_RESOURCE_TYPES = [
  'api_key',
  'convert_login',
  'custom_role',
  'git_ssh_key',
  'group',
  'health_settings',
  'idp_sync_settings_group',
  'idp_sync_settings_organization',
  'idp_sync_settings_role',
  'license',
  'notification_template',
  'notifications_settings',
  'oauth2_provider_app',
  'oauth2_provider_app_secret',
  'organization',
  'organization_member',
  'template',
  'template_version',
  'user',
  'workspace',
  'workspace_agent',
  'workspace_app',
  'workspace_build',
  'workspace_proxy',
] as const;
export type AuditResourceType = (typeof AUDIT_RESOURCE_TYPES)[number];

/** Workspace build reasons (database.BuildReason); only meaningful for workspace builds. */
export const BUILD_REASONS = [
  'initiator',
  'autostart',
  'autostop',
  'dormancy',
  'failedstop',
  'autodelete',
  'dashboard',
  'cli',
  'ssh_connection',
  'vscode_connection',
  'jetbrains_connection',
] as const;
export type BuildReason = (typeof BUILD_REASONS)[number];

// ---------------------------------------------------------------------------------------------
// Endpoint grammars

function finish<T>(parser: QueryParamParser, values: QueryValues, filter: T): ParseResult<T> {
  parser.errorExcessParams(values);
  return parser.errors.length > 0 ? { ok: false, validations: parser.errors } : { ok: true, filter };
}

/** Filters of `GET /users?q=` (searchquery.Users). Empty strings and lists mean "no filter". */
export interface UsersFilter {
  /** Substring of username or email (free text, or `search:`). */
  search: string;
  /** Match on the real name (`name:`). */
  name: string;
  /** Exact username, case-insensitive (`username:`; orgd addition). */
  username: string;
  /** Exact e-mail, case-insensitive (`email:`; orgd addition). */
  email: string;
  status: UserStatus[];
  /** `service_account:<bool>`; null when absent. */
  serviceAccount: boolean | null;
  /** Site role names (`role:owner`). */
  role: string[];
  lastSeenAfter: Date | null;
  lastSeenBefore: Date | null;
  createdAfter: Date | null;
  createdBefore: Date | null;
  /** Decimal string of the GitHub user id; null when absent or 0 (Coder treats 0 as "any"). */
  githubComUserId: string | null;
  loginType: LoginType[];
}

/** Parses the users search (`GET /users?q=`, also usable for paginated members). The query is lower-cased first. */
export function parseUsersQuery(q: string | null | undefined): ParseResult<UsersFilter> {
  const st = searchTerms((q ?? '').toLowerCase(), (term, values) => {
    addValue(values, 'search', term);
    return null;
  });
  if (!st.ok) return st;
  const { values } = st;
  const p = new QueryParamParser();
  const githubId = (): string | null => {
    const id = p.int64(values, 0n, 'github_com_user_id');
    return id === 0n ? null : id.toString();
  };
  const filter: UsersFilter = {
    search: p.string(values, '', 'search'),
    name: p.string(values, '', 'name'),
    status: p.customList(values, [], 'status', enumParser(USER_STATUSES)),
    serviceAccount: p.nullableBoolean(values, null, 'service_account'),
    role: p.strings(values, [], 'role'),
    lastSeenAfter: p.time3339Nano(values, null, 'last_seen_after'),
    lastSeenBefore: p.time3339Nano(values, null, 'last_seen_before'),
    createdAfter: p.time3339Nano(values, null, 'created_after'),
    createdBefore: p.time3339Nano(values, null, 'created_before'),
    githubComUserId: githubId(),
    loginType: p.customList(values, [], 'login_type', enumParser(LOGIN_TYPES)),
    username: p.string(values, '', 'username'),
    email: p.string(values, '', 'email'),
  };
  return finish(p, values, filter);
}

/** Filters of the deprecated `GET /organizations/{org}/members?q=` (searchquery.Members). */
export interface MembersFilter {
  userId: string | null;
  includeSystem: boolean;
  /** Decimal string; null when absent or 0. */
  githubUserId: string | null;
}

const MEMBER_KEYS = new Set(['user_id', 'github_user_id', 'include_system']);

/**
 * Parses the members search: keys only (`user_id:<uuid>`, `github_user_id:<int>`,
 * `include_system:<bool>`); a bare key name sets that key empty, any other bare term is
 * `invalid search term: <term>`. Not lower-cased; an empty query lists all non-system members.
 */
export function parseMembersQuery(q: string | null | undefined): ParseResult<MembersFilter> {
  const query = goTrimSpace(q ?? '');
  if (query === '') return { ok: true, filter: { userId: null, includeSystem: false, githubUserId: null } };
  const st = searchTerms(query, (term, values) => {
    if (!MEMBER_KEYS.has(term)) return `invalid search term: ${term}`;
    values.set(term, ['']);
    return null;
  });
  if (!st.ok) return st;
  const { values } = st;
  const p = new QueryParamParser();
  const userId = p.uuid(values, null, 'user_id');
  const filter: MembersFilter = {
    userId: userId === NIL_UUID ? null : userId,
    includeSystem: p.boolean(values, false, 'include_system'),
    githubUserId: null,
  };
  const gh = p.int64(values, 0n, 'github_user_id');
  filter.githubUserId = gh === 0n ? null : gh.toString();
  return finish(p, values, filter);
}

/** Filters of `GET /audit?q=` (searchquery.AuditLogs). Null means "no filter". */
export interface AuditFilter {
  requestId: string | null;
  resourceId: string | null;
  resourceTarget: string | null;
  /** A username, or `me` (the handler substitutes the caller). */
  username: string | null;
  email: string | null;
  /** Start of the `date_from` day (UTC). */
  dateFrom: Date | null;
  /** End of the `date_to` day (UTC): 23:59:59.999, so the whole day is included. */
  dateTo: Date | null;
  /**
   * The `organization` key: an id when the value is a UUID, else a name the handler must resolve
   * (unknown or unreadable name: {@link organizationNotFoundValidation}).
   */
  organization: { id: string } | { name: string } | null;
  resourceType: AuditResourceType | null;
  action: AuditAction | null;
  buildReason: BuildReason | null;
}

/** Parses the audit search (`GET /audit?q=`). Lower-cased first; free text is the resource type. */
export function parseAuditQuery(q: string | null | undefined): ParseResult<AuditFilter> {
  const st = searchTerms((q ?? '').toLowerCase(), (term, values) => {
    addValue(values, 'resource_type', term);
    return null;
  });
  if (!st.ok) return st;
  const { values } = st;
  const p = new QueryParamParser();
  const orEmpty = (s: string) => (s === '' ? null : s);
  const requestId = p.uuid(values, null, 'request_id');
  const resourceId = p.uuid(values, null, 'resource_id');
  const resourceTarget = orEmpty(p.string(values, '', 'resource_target'));
  const username = orEmpty(p.string(values, '', 'username'));
  const email = orEmpty(p.string(values, '', 'email'));
  const dateFrom = p.time(values, null, 'date_from', DATE_LAYOUT);
  let dateTo = p.time(values, null, 'date_to', DATE_LAYOUT);
  if (dateTo) dateTo = new Date(dateTo.getTime() + (24 * 60 * 60 * 1000 - 1));
  const orgRaw = p.custom<string>(values, '', 'organization', (v) => ({ ok: true, value: v }));
  let organization: AuditFilter['organization'] = null;
  if (orgRaw !== '') {
    const id = parseUuid(orgRaw);
    organization = id !== null ? { id } : { name: orgRaw };
  }
  const filter: AuditFilter = {
    requestId: requestId === NIL_UUID ? null : requestId,
    resourceId: resourceId === NIL_UUID ? null : resourceId,
    resourceTarget,
    username,
    email,
    dateFrom,
    dateTo,
    organization,
    resourceType: p.custom<AuditResourceType | null>(values, null, 'resource_type', enumParser(AUDIT_RESOURCE_TYPES)),
    action: p.custom<AuditAction | null>(values, null, 'action', enumParser(AUDIT_ACTIONS)),
    buildReason: p.custom<BuildReason | null>(values, null, 'build_reason', enumParser(BUILD_REASONS)),
  };
  return finish(p, values, filter);
}

/** The validation Coder gives when the audit search names an organization that cannot be found or read. */
export function organizationNotFoundValidation(name: string): ValidationError {
  return {
    field: 'organization',
    detail: `Query param "organization" has invalid value: organization ${goQuote(name)} either does not exist, or you are unauthorized to view it`,
  };
}
