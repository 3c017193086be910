// The decision: may this subject perform this action on this object? Implements Coder's newest
// policy (rbac.md §1.4) over a compiled subject (subject.ts):
//
//   role_allow  = site = 1
//              or site != -1 and user = 1          (object owned by subject, no org, not any_org)
//              or site != -1 and org = 1           (known org: org level allows in that org;
//                                                   any_org: max org-level vote over memberships)
//              or site != -1 and org != -1 and org_member = 1
//                                                  (owned by subject; known org: member level
//                                                   allows and the org level does not deny)
//   acl_allow   = subject is a member of the object's org, and (for types declaring use_shared)
//                 holds use_shared there, and the user ACL, a group ACL or the org's "Everyone"
//                 group (id = org id) lists the action or '*'
//   allow       = (role_allow or acl_allow) and scope_allow
//
// A known org never votes -1 at org level: an org-level denial is folded into org_member, exactly
// as the policy's set difference does. AI-agent workspace designation is not modelled: orgd has no
// AI-agent subjects, and human subjects always pass that rule.
import {
  VoteView,
  anyMemberVote,
  anyOrgVote,
  holdsUseSharedAnywhere,
  maxOver,
  permissionKey,
  profileHoldsUseShared,
  useSharedKeyFor,
  type CompiledSubject,
} from './subject.js';
import { WILDCARD } from './policy.js';

/** An object as the policy sees it (Coder's rbac.Object). */
export interface AuthzObject {
  readonly type: string;
  readonly id?: string;
  /** Owning user id ('' or absent: not owned by a user). */
  readonly owner?: string;
  /** Owning org id ('' or absent: not in an org). */
  readonly org?: string;
  /** "In some org, whichever": UI questions such as "can I create a template anywhere?". */
  readonly anyOrg?: boolean;
  /** User id -> actions granted to that user on this object. */
  readonly aclUsers?: Readonly<Record<string, readonly string[]>>;
  /** Group id -> actions granted to that group; the org id itself is the org's "Everyone" group. */
  readonly aclGroups?: Readonly<Record<string, readonly string[]>>;
}

/** True when `subject` may perform `action` on `object`. */
export function authorize(subject: CompiledSubject, action: string, object: AuthzObject): boolean {
  const key = permissionKey(object.type, action);
  if (key < 0) return authorizeInterpreted(subject, action, object);

  const scope = subject.scope;
  if (!scope.unrestricted && scope.site[key] !== 1) return false;
  if (roleAllows(subject, key, object)) return true;
  if (object.aclUsers === undefined && object.aclGroups === undefined) return false;
  return aclAllows(subject, action, object, useSharedKeyFor(key));
}

function roleAllows(subject: CompiledSubject, key: number, object: AuthzObject): boolean {
  const site = subject.site[key];
  if (site === 1) return true;
  if (site === -1) return false;

  const owner = object.owner;
  const ownedBySubject = owner !== undefined && owner !== '' && owner === subject.userId;

  if (object.anyOrg === true) {
    const orgVote = anyOrgVote(subject, key);
    if (orgVote === 1) return true;
    // Only in the any-org case can the org level vote -1, and then it blocks org_member too.
    if (orgVote === -1) return false;
    return ownedBySubject && anyMemberVote(subject, key) === 1;
  }

  const org = object.org;
  if (org === undefined || org === '') return ownedBySubject && subject.user[key] === 1;

  const profile = subject.orgs.get(org);
  if (profile === undefined) return false;
  const orgVote = profile.org[key];
  if (orgVote === 1) return true;
  return ownedBySubject && orgVote !== -1 && profile.member[key] === 1;
}

function aclAllows(
  subject: CompiledSubject,
  action: string,
  object: AuthzObject,
  useSharedKey: number,
): boolean {
  // ACL entries only count for members of the object's org.
  let org: string;
  if (object.anyOrg === true) {
    if (subject.orgs.size === 0) return false;
    if (useSharedKey >= 0 && !holdsUseSharedAnywhere(subject, useSharedKey)) return false;
    org = '';
  } else {
    org = object.org ?? '';
    if (org === '') return false;
    const profile = subject.orgs.get(org);
    if (profile === undefined) return false;
    if (useSharedKey >= 0 && !profileHoldsUseShared(profile, useSharedKey)) return false;
  }
  return aclListsGrant(subject, action, object, org);
}

function aclListsGrant(subject: CompiledSubject, action: string, object: AuthzObject, org: string): boolean {
  const users = object.aclUsers;
  if (users !== undefined) {
    const granted = users[subject.userId];
    if (granted !== undefined && Object.hasOwn(users, subject.userId) && listsAction(granted, action)) return true;
  }
  const groups = object.aclGroups;
  if (groups === undefined) return false;
  // The org id as a group id is the org's implicit "Everyone" group.
  if (groupGrants(groups, org, action)) return true;
  // Look up the subject's few groups rather than walk the object's keys: ACL objects have
  // all-different key sets, which makes walking them slow.
  const groupList = subject.groupList;
  if (groupList.length <= 16) {
    for (let i = 0; i < groupList.length; i++) if (groupGrants(groups, groupList[i], action)) return true;
    return false;
  }
  for (const groupId in groups) {
    if (subject.groups.has(groupId) && groupGrants(groups, groupId, action)) return true;
  }
  return false;
}

function groupGrants(groups: Readonly<Record<string, readonly string[]>>, groupId: string, action: string): boolean {
  const granted = groups[groupId];
  return granted !== undefined && Object.hasOwn(groups, groupId) && listsAction(granted, action);
}

function listsAction(actions: readonly string[] | undefined, action: string): boolean {
  if (actions === undefined) return false;
  for (const a of actions) if (a === action || a === WILDCARD) return true;
  return false;
}

/**
 * The same decision for a (type, action) pair outside the policy table, by reading the raw
 * permission lists. Exported for tests, which check it agrees with the compiled path.
 */
export function authorizeInterpreted(subject: CompiledSubject, action: string, object: AuthzObject): boolean {
  const view = new VoteView(subject, object.type, action);
  if (!view.scopeAllows()) return false;
  if (roleAllowsInterpreted(view, object)) return true;
  if (object.aclUsers === undefined && object.aclGroups === undefined) return false;

  let org: string;
  if (object.anyOrg === true) {
    if (subject.orgs.size === 0) return false;
    if (!subject.distinctProfiles.some((p) => view.aclCountsIn(p))) return false;
    org = '';
  } else {
    org = object.org ?? '';
    const profile = org === '' ? undefined : subject.orgs.get(org);
    if (profile === undefined || !view.aclCountsIn(profile)) return false;
  }
  return aclListsGrant(subject, action, object, org);
}

function roleAllowsInterpreted(view: VoteView, object: AuthzObject): boolean {
  const subject = view.subject;
  const site = view.site();
  if (site === 1) return true;
  if (site === -1) return false;
  const owner = object.owner;
  const ownedBySubject = owner !== undefined && owner !== '' && owner === subject.userId;
  if (object.anyOrg === true) {
    const orgVote = maxOver(subject.distinctProfiles, (p) => view.org(p));
    if (orgVote === 1) return true;
    if (orgVote === -1) return false;
    return ownedBySubject && maxOver(subject.distinctProfiles, (p) => view.member(p)) === 1;
  }
  const org = object.org;
  if (org === undefined || org === '') return ownedBySubject && view.user() === 1;
  const profile = subject.orgs.get(org);
  if (profile === undefined) return false;
  const orgVote = view.org(profile);
  if (orgVote === 1) return true;
  return ownedBySubject && orgVote !== -1 && view.member(profile) === 1;
}

/** The org ids the subject is a member of (derived from its org-scoped roles). */
export function membershipOrgIds(subject: CompiledSubject): string[] {
  return [...subject.orgs.keys()];
}

export function isOrgMember(subject: CompiledSubject, orgId: string): boolean {
  return subject.orgs.has(orgId);
}
