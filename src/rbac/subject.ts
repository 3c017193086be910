// Compiling a subject: turning "user X holds these roles, is in these groups, uses this scope" into
// lookup tables, so that a check (authorize.ts) is a handful of array reads and one Map lookup,
// whatever the number of roles or organizations.
//
// Layout. Every (resource type, action) pair of the policy table gets a dense integer key. For each
// permission level the subject holds an Int8Array indexed by key whose cells are votes:
//   -1 a matching permission is negated, +1 at least one matching grant and no denial, 0 nothing.
// Wildcards are expanded into keys once, when a permission list is first compiled. Levels:
//   site     one vector;
//   user     one vector (objects owned by the subject outside any org);
//   per org  an OrgProfile {org vector, member vector}, found through one Map lookup by org id.
// Org membership is derived exactly as Coder's policy does: an org is a membership when any role
// is scoped to it.
//
// Cost control. A permission list compiles once per array and once per content (WeakMap and a
// bounded content map), and the lists a level holds are combined through a trie keyed by compiled
// lists whose nodes cache their vector and the org profiles built on them. Built-in roles share
// frozen arrays across orgs and custom roles re-read from the database have the same content, so a
// subject in a hundred orgs compiles with a few identity Map lookups per org. Types or actions
// outside the table are rare (a client's authcheck naming a new type) and are answered by
// interpreting the raw lists (see VoteView).
import { ACTIONS, RESOURCE_TYPES, WILDCARD, declaresUseShared } from './policy.js';
import type { Permission, Role } from './roles.js';

export type Vote = -1 | 0 | 1;

// ---------------------------------------------------------------------------------------------
// Keys

const TYPE_INDEX: ReadonlyMap<string, number> = new Map(RESOURCE_TYPES.map((t, i) => [t, i]));
const ACTION_INDEX: ReadonlyMap<string, number> = new Map(ACTIONS.map((a, i) => [a, i]));
const NUM_TYPES = RESOURCE_TYPES.length;
export const NUM_ACTIONS = ACTIONS.length;
export const NUM_KEYS = NUM_TYPES * NUM_ACTIONS;

/** The dense key of a (type, action) pair of the policy table, or -1 when either is unknown. */
export function permissionKey(type: string, action: string): number {
  const t = TYPE_INDEX.get(type);
  if (t === undefined) return -1;
  const a = ACTION_INDEX.get(action);
  if (a === undefined) return -1;
  return t * NUM_ACTIONS + a;
}

const USE_SHARED_INDEX = ACTION_INDEX.get('use_shared')!;

/**
 * Per type index: the key of (type, use_shared) when the type declares that action (its ACL grants
 * are gated on it), else -1.
 */
const USE_SHARED_KEY_BY_TYPE: Int32Array = Int32Array.from(RESOURCE_TYPES, (t, i) =>
  declaresUseShared(t) ? i * NUM_ACTIONS + USE_SHARED_INDEX : -1,
);

/** Key of (type of `key`, use_shared) when that type gates ACLs on it, else -1. */
export function useSharedKeyFor(key: number): number {
  return USE_SHARED_KEY_BY_TYPE[(key / NUM_ACTIONS) | 0];
}

// ---------------------------------------------------------------------------------------------
// Compiled permission lists and vote vectors

/** A permission list with its wildcards expanded into keys. */
interface CompiledPermissionList {
  readonly allow: Int32Array;
  readonly deny: Int32Array;
  /** A list with this content, kept for interpreting checks outside the table. */
  readonly raw: readonly Permission[];
}

// Lists compile once per array (built-in roles share their arrays across orgs), and once per content
// (a custom role re-read from the database on every session load is a new array with the same
// content). Content is found by a numeric hash of the permissions, checked field by field.
const compiledByArray = new WeakMap<readonly Permission[], CompiledPermissionList>();
const MAX_COMPILED_BY_CONTENT = 16_384;
let compiledByContentCount = 0;
const compiledByContent = new Map<number, CompiledPermissionList[]>();

const ALL_TYPE_INDEXES = RESOURCE_TYPES.map((_, i) => i);
const ALL_ACTION_INDEXES = ACTIONS.map((_, i) => i);
const NO_INDEXES: number[] = [];

function compileList(list: readonly Permission[]): CompiledPermissionList {
  const known = compiledByArray.get(list);
  if (known !== undefined) return known;
  const hash = contentHash(list);
  const bucket = compiledByContent.get(hash);
  if (bucket !== undefined) {
    // A known content in a new array is most likely a row re-read from the database that will not
    // be seen again: remembering the array would cost more than it saves.
    for (const candidate of bucket) if (samePermissions(candidate.raw, list)) return candidate;
  }
  const compiled = expandList(list);
  if (compiledByContentCount >= MAX_COMPILED_BY_CONTENT) {
    compiledByContent.clear();
    compiledByContentCount = 0;
  }
  if (bucket !== undefined && compiledByContent.has(hash)) bucket.push(compiled);
  else compiledByContent.set(hash, [compiled]);
  compiledByContentCount++;
  compiledByArray.set(list, compiled);
  return compiled;
}

/** A cheap hash of a permission list's content (table indexes; unknown names hash by length). */
function contentHash(list: readonly Permission[]): number {
  let hash = list.length;
  for (const p of list) {
    const t = TYPE_INDEX.get(p.resource_type) ?? (p.resource_type === WILDCARD ? -1 : p.resource_type.length + 1000);
    const a = ACTION_INDEX.get(p.action) ?? (p.action === WILDCARD ? -1 : p.action.length + 1000);
    hash = (Math.imul(hash, 31) + ((t * 2048 + a) * 2 + (p.negate ? 1 : 0))) | 0;
  }
  return hash;
}

function samePermissions(a: readonly Permission[], b: readonly Permission[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.negate !== y.negate || x.resource_type !== y.resource_type || x.action !== y.action) return false;
  }
  return true;
}

function expandList(list: readonly Permission[]): CompiledPermissionList {
  const allow: number[] = [];
  const deny: number[] = [];
  for (const p of list) {
    const types = p.resource_type === WILDCARD ? ALL_TYPE_INDEXES : indexOrNone(TYPE_INDEX, p.resource_type);
    const actions = p.action === WILDCARD ? ALL_ACTION_INDEXES : indexOrNone(ACTION_INDEX, p.action);
    // Types or actions outside the table expand to no key: they can only match a check that names
    // an unknown type or action, and those checks interpret the raw list instead.
    const target = p.negate ? deny : allow;
    for (const t of types) for (const a of actions) target.push(t * NUM_ACTIONS + a);
  }
  return { allow: Int32Array.from(allow), deny: Int32Array.from(deny), raw: list };
}

function indexOrNone(index: ReadonlyMap<string, number>, name: string): number[] {
  const i = index.get(name);
  return i === undefined ? NO_INDEXES : [i];
}

const ZERO_VECTOR = new Int8Array(NUM_KEYS);

/**
 * A set of permission lists held at one level, as a node of a trie keyed by compiled lists: the
 * node reached from the root through L1..Ln stands for "L1 to Ln together". Walking the trie costs
 * one identity Map lookup per list, and the node caches its vote vector and the org profiles built
 * on it, so subjects with the same roles (the common case) share everything. Nodes are immutable in
 * meaning; the whole trie is dropped when it grows past a bound.
 */
class PermissionSet {
  private children: Map<CompiledPermissionList, PermissionSet> | undefined;
  private cachedVector: Int8Array | undefined;
  /** Profiles whose org level is this set, by member-level set. */
  profiles: Map<PermissionSet, OrgProfile> | undefined;

  constructor(
    private readonly compiled: readonly CompiledPermissionList[],
    readonly lists: readonly (readonly Permission[])[],
  ) {}

  with(list: CompiledPermissionList): PermissionSet {
    let children = this.children;
    if (children === undefined) children = this.children = new Map();
    let child = children.get(list);
    if (child === undefined) {
      child = new PermissionSet([...this.compiled, list], [...this.lists, list.raw]);
      children.set(list, child);
      trieSize++;
    }
    return child;
  }

  get vector(): Int8Array {
    let vector = this.cachedVector;
    if (vector !== undefined) return vector;
    if (this.compiled.length === 0) return (this.cachedVector = ZERO_VECTOR);
    vector = new Int8Array(NUM_KEYS);
    // Grants first, then denials: a denial anywhere in the level wins over any grant.
    for (const l of this.compiled) for (let i = 0; i < l.allow.length; i++) vector[l.allow[i]] = 1;
    for (const l of this.compiled) for (let i = 0; i < l.deny.length; i++) vector[l.deny[i]] = -1;
    return (this.cachedVector = vector);
  }
}

const MAX_TRIE_SIZE = 50_000;
let trieSize = 0;
let trieRoot = new PermissionSet([], []);

function currentTrieRoot(): PermissionSet {
  if (trieSize > MAX_TRIE_SIZE) {
    trieRoot = new PermissionSet([], []);
    trieSize = 0;
  }
  return trieRoot;
}

function profileFor(orgLevel: PermissionSet, memberLevel: PermissionSet): OrgProfile {
  let profiles = orgLevel.profiles;
  if (profiles === undefined) profiles = orgLevel.profiles = new Map();
  let profile = profiles.get(memberLevel);
  if (profile === undefined) {
    profile = {
      org: orgLevel.vector,
      member: memberLevel.vector,
      orgLists: orgLevel.lists,
      memberLists: memberLevel.lists,
    };
    profiles.set(memberLevel, profile);
    trieSize++;
  }
  return profile;
}

/** Vote of raw permission lists for a (type, action) pair: the policy's own matching rule. */
export function interpretVote(lists: readonly (readonly Permission[])[], type: string, action: string): Vote {
  let vote: Vote = 0;
  for (const list of lists) {
    for (const p of list) {
      if (p.action !== action && p.action !== WILDCARD) continue;
      if (p.resource_type !== type && p.resource_type !== WILDCARD) continue;
      if (p.negate) return -1;
      vote = 1;
    }
  }
  return vote;
}

// ---------------------------------------------------------------------------------------------
// Subjects

/** Token scopes orgd issues (Coder's legacy `all` and `application_connect`). */
export type ScopeName = 'all' | 'application_connect';

export interface SubjectInput {
  userId: string;
  /**
   * Already expanded: site roles including the implied `member`, org roles including the implied
   * `organization-member:<org>` of every membership, and custom roles.
   */
  roles: readonly Role[];
  groups: readonly string[];
  scope: ScopeName;
}

/** The permissions of one org for this subject. Shared between orgs whose roles are the same. */
export interface OrgProfile {
  readonly org: Int8Array;
  readonly member: Int8Array;
  readonly orgLists: readonly (readonly Permission[])[];
  readonly memberLists: readonly (readonly Permission[])[];
}

/**
 * A scope limits what a token may do whatever its user's roles are. Both scopes orgd issues are
 * site-level permission sets with an allow-everything list, so a scope is one site vector.
 */
export interface CompiledScope {
  readonly name: ScopeName;
  /** `all`: nothing is limited, the check is skipped. */
  readonly unrestricted: boolean;
  readonly site: Int8Array;
  readonly siteLists: readonly (readonly Permission[])[];
}

export interface CompiledSubject {
  readonly userId: string;
  readonly roles: readonly Role[];
  readonly groups: ReadonlySet<string>;
  readonly groupList: readonly string[];
  readonly scope: CompiledScope;
  readonly site: Int8Array;
  readonly user: Int8Array;
  /** Membership org id -> that org's permissions. Its keys are the subject's memberships. */
  readonly orgs: ReadonlyMap<string, OrgProfile>;
  /** The distinct profiles among `orgs` (any-org questions take a max over them). */
  readonly distinctProfiles: readonly OrgProfile[];
  readonly siteLists: readonly (readonly Permission[])[];
  readonly userLists: readonly (readonly Permission[])[];
  /**
   * Any-org maxima, filled per key on first use (2 = not computed yet): org level, member level,
   * and "holds use_shared somewhere" for ACL gating.
   */
  anyOrgVotes: Int8Array | undefined;
  anyMemberVotes: Int8Array | undefined;
  anyUseShared: Int8Array | undefined;
}

const APPLICATION_CONNECT_SCOPE: readonly Permission[] = Object.freeze([
  Object.freeze({ negate: false, resource_type: 'workspace', action: 'application_connect' }),
]);
const ALL_SCOPE: readonly Permission[] = Object.freeze([
  Object.freeze({ negate: false, resource_type: WILDCARD, action: WILDCARD }),
]);

function scopeOf(name: ScopeName, permissions: readonly Permission[], unrestricted: boolean): CompiledScope {
  const set = new PermissionSet([], []).with(compileList(permissions));
  return { name, unrestricted, site: set.vector, siteLists: set.lists };
}

const SCOPES: Record<ScopeName, CompiledScope> = {
  all: scopeOf('all', ALL_SCOPE, true),
  application_connect: scopeOf('application_connect', APPLICATION_CONNECT_SCOPE, false),
};

export function isScopeName(value: string): value is ScopeName {
  return value === 'all' || value === 'application_connect';
}

interface OrgAccumulator {
  orgLevel: PermissionSet;
  memberLevel: PermissionSet;
}

/** Compiles a subject once per request (or per cached session); checks then cost ~100 ns. */
export function compileSubject(input: SubjectInput): CompiledSubject {
  const root = currentTrieRoot();
  let siteLevel = root;
  let userLevel = root;
  const byOrg = new Map<string, OrgAccumulator>();

  for (const role of input.roles) {
    if (role.site.length > 0) siteLevel = siteLevel.with(compileList(role.site));
    if (role.user.length > 0) userLevel = userLevel.with(compileList(role.user));
    const orgId = role.organization_id;
    if (orgId === '') continue;
    let acc = byOrg.get(orgId);
    if (acc === undefined) {
      acc = { orgLevel: root, memberLevel: root };
      byOrg.set(orgId, acc);
    }
    if (role.org.length > 0) acc.orgLevel = acc.orgLevel.with(compileList(role.org));
    if (role.member.length > 0) acc.memberLevel = acc.memberLevel.with(compileList(role.member));
  }

  const orgs = new Map<string, OrgProfile>();
  const distinctProfiles = new Set<OrgProfile>();
  for (const [orgId, acc] of byOrg) {
    const profile = profileFor(acc.orgLevel, acc.memberLevel);
    orgs.set(orgId, profile);
    distinctProfiles.add(profile);
  }

  return {
    userId: input.userId,
    roles: input.roles,
    groups: new Set(input.groups),
    groupList: [...new Set(input.groups)],
    scope: SCOPES[input.scope] ?? SCOPES.application_connect,
    site: siteLevel.vector,
    user: userLevel.vector,
    orgs,
    distinctProfiles: [...distinctProfiles],
    siteLists: siteLevel.lists,
    userLists: userLevel.lists,
    anyOrgVotes: undefined,
    anyMemberVotes: undefined,
    anyUseShared: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Any-org maxima (lazy, per key)

const NOT_COMPUTED = 2;

function freshLazyVector(): Int8Array {
  return new Int8Array(NUM_KEYS).fill(NOT_COMPUTED);
}

/** Highest org-level vote over every membership (0 with no memberships). */
export function anyOrgVote(subject: CompiledSubject, key: number): Vote {
  let cache = subject.anyOrgVotes;
  if (cache === undefined) cache = subject.anyOrgVotes = freshLazyVector();
  const cached = cache[key];
  if (cached !== NOT_COMPUTED) return cached as Vote;
  const vote = maxOver(subject.distinctProfiles, (p) => p.org[key] as Vote);
  cache[key] = vote;
  return vote;
}

/** Highest member-level vote over every membership (0 with no memberships). */
export function anyMemberVote(subject: CompiledSubject, key: number): Vote {
  let cache = subject.anyMemberVotes;
  if (cache === undefined) cache = subject.anyMemberVotes = freshLazyVector();
  const cached = cache[key];
  if (cached !== NOT_COMPUTED) return cached as Vote;
  const vote = maxOver(subject.distinctProfiles, (p) => p.member[key] as Vote);
  cache[key] = vote;
  return vote;
}

/** Whether some membership lets ACL grants count for the type of `useSharedKey`. */
export function holdsUseSharedAnywhere(subject: CompiledSubject, useSharedKey: number): boolean {
  let cache = subject.anyUseShared;
  if (cache === undefined) cache = subject.anyUseShared = freshLazyVector();
  const cached = cache[useSharedKey];
  if (cached !== NOT_COMPUTED) return cached === 1;
  const holds = subject.distinctProfiles.some((p) => profileHoldsUseShared(p, useSharedKey));
  cache[useSharedKey] = holds ? 1 : 0;
  return holds;
}

/**
 * `use_shared` is read at member level, with an org-level denial in the same org winning (the same
 * folding the policy applies to every member-level grant of a known org).
 */
export function profileHoldsUseShared(profile: OrgProfile, useSharedKey: number): boolean {
  return profile.member[useSharedKey] === 1 && profile.org[useSharedKey] !== -1;
}

export function maxOver<T>(items: readonly T[], voteOf: (item: T) => Vote): Vote {
  if (items.length === 0) return 0;
  let max: Vote = -1;
  for (const item of items) {
    const v = voteOf(item);
    if (v === 1) return 1;
    if (v > max) max = v;
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// Votes for any (type, action), including ones outside the table

/**
 * Reads a subject's votes for one (type, action) pair: from the vectors when the pair has a key,
 * by interpreting the raw permission lists otherwise. Used where a check is not on the hot path
 * (list filters, unknown types) so it can afford the indirection.
 */
export class VoteView {
  readonly key: number;
  readonly useSharedKey: number;

  constructor(
    readonly subject: CompiledSubject,
    readonly type: string,
    readonly action: string,
  ) {
    this.key = permissionKey(type, action);
    const typeKey = permissionKey(type, 'use_shared');
    this.useSharedKey = typeKey >= 0 && declaresUseShared(type) ? typeKey : -1;
  }

  site(): Vote {
    return this.key >= 0
      ? (this.subject.site[this.key] as Vote)
      : interpretVote(this.subject.siteLists, this.type, this.action);
  }

  user(): Vote {
    return this.key >= 0
      ? (this.subject.user[this.key] as Vote)
      : interpretVote(this.subject.userLists, this.type, this.action);
  }

  org(profile: OrgProfile): Vote {
    return this.key >= 0
      ? (profile.org[this.key] as Vote)
      : interpretVote(profile.orgLists, this.type, this.action);
  }

  member(profile: OrgProfile): Vote {
    return this.key >= 0
      ? (profile.member[this.key] as Vote)
      : interpretVote(profile.memberLists, this.type, this.action);
  }

  scopeAllows(): boolean {
    const scope = this.subject.scope;
    if (scope.unrestricted) return true;
    const vote = this.key >= 0 ? scope.site[this.key] : interpretVote(scope.siteLists, this.type, this.action);
    return vote === 1;
  }

  /** Whether ACL grants on objects of this type count in this org (always, unless gated). */
  aclCountsIn(profile: OrgProfile): boolean {
    return this.useSharedKey < 0 || profileHoldsUseShared(profile, this.useSharedKey);
  }
}
