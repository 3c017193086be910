// List filtering: which rows of a table may a subject see with an action? Instead of Coder's
// partial evaluation of the policy (milliseconds, one residual per org before mid-2026), the answer
// is read off the compiled subject in one pass over its memberships and handed to the database layer
// as plain data, which renders it as
//
//   organization_id = ANY($orgIds::uuid[])
//   OR (owner_id = $ownerId AND organization_id = ANY($memberOrgIds::uuid[]))
//   OR (owner_id = $ownerId AND organization_id IS NULL)                    -- userLevel
//   OR (organization_id = ANY($acl.orgIds::uuid[]) AND (
//         user_acl -> $acl.userId ?| array[$action, '*']
//      OR EXISTS (group ids in $acl.groupIds or = organization_id::text whose group_acl entry
//                 lists $action or '*')))                                   -- acl, tables with ACLs
//
// `filterMatches` evaluates the same description against an object; tests hold it equal to
// `authorize` for every object of the type, which is what makes the SQL correct by construction.
import type { AuthzObject } from './authorize.js';
import { WILDCARD } from './policy.js';
import { VoteView, type CompiledSubject } from './subject.js';

/** ACL grants a row can carry; only rows in `orgIds` (memberships where ACLs count) qualify. */
export interface AclRowFilter {
  readonly action: string;
  readonly userId: string;
  /** Groups the subject is in. The row's own org id also counts (its "Everyone" group). */
  readonly groupIds: readonly string[];
  readonly orgIds: readonly string[];
}

/** Which rows a list query may return. `all` short-circuits everything else. */
export interface RowFilter {
  readonly all: boolean;
  /** Rows whose org is one of these (org-level allow). */
  readonly orgIds: readonly string[];
  /** Rows owned by `ownerId` in one of these orgs (member-level allow, not denied at org level). */
  readonly memberOrgIds: readonly string[];
  /** Rows owned by `ownerId` that are in no org (user-level allow). */
  readonly userLevel: boolean;
  readonly ownerId: string;
  /** ACL grants, or null when no row can be reached through an ACL. */
  readonly acl: AclRowFilter | null;
}

const NOTHING: readonly string[] = Object.freeze([]);

function noRows(ownerId: string): RowFilter {
  return { all: false, orgIds: NOTHING, memberOrgIds: NOTHING, userLevel: false, ownerId, acl: null };
}

/** True when the filter can match no row at all (the caller may skip the query). */
export function filterIsEmpty(filter: RowFilter): boolean {
  return (
    !filter.all &&
    filter.orgIds.length === 0 &&
    filter.memberOrgIds.length === 0 &&
    !filter.userLevel &&
    filter.acl === null
  );
}

/** Prepares the row filter for `action` on objects of `type` (Coder's `Prepare`). */
export function prepareFilter(subject: CompiledSubject, action: string, type: string): RowFilter {
  const ownerId = subject.userId;
  const view = new VoteView(subject, type, action);
  // Both scopes orgd issues are site-level, so the scope is a constant for the whole list.
  if (!view.scopeAllows()) return noRows(ownerId);

  const site = view.site();
  if (site === 1) {
    return { all: true, orgIds: NOTHING, memberOrgIds: NOTHING, userLevel: false, ownerId, acl: null };
  }

  const orgIds: string[] = [];
  const memberOrgIds: string[] = [];
  const aclOrgIds: string[] = [];
  // A site-level denial silences every role level; ACLs are not role grants and still apply.
  const rolesCount = site !== -1;
  for (const [orgId, profile] of subject.orgs) {
    if (rolesCount) {
      const orgVote = view.org(profile);
      if (orgVote === 1) orgIds.push(orgId);
      else if (orgVote !== -1 && view.member(profile) === 1) memberOrgIds.push(orgId);
    }
    if (view.aclCountsIn(profile)) aclOrgIds.push(orgId);
  }

  return {
    all: false,
    orgIds,
    memberOrgIds,
    userLevel: rolesCount && ownerId !== '' && view.user() === 1,
    ownerId,
    acl:
      aclOrgIds.length === 0
        ? null
        : { action, userId: ownerId, groupIds: [...subject.groups], orgIds: aclOrgIds },
  };
}

/**
 * Whether a row (as an object of the filtered type, never `anyOrg`) passes the filter: the
 * in-memory meaning of the SQL the database layer emits.
 */
export function filterMatches(filter: RowFilter, object: AuthzObject): boolean {
  if (filter.all) return true;
  const org = object.org ?? '';
  const owner = object.owner ?? '';
  const ownedBySubject = owner !== '' && owner === filter.ownerId;
  if (org !== '') {
    if (filter.orgIds.includes(org)) return true;
    if (ownedBySubject && filter.memberOrgIds.includes(org)) return true;
  } else if (ownedBySubject && filter.userLevel) {
    return true;
  }

  const acl = filter.acl;
  if (acl === null || org === '' || !acl.orgIds.includes(org)) return false;
  const grants = (actions: readonly string[] | undefined) =>
    actions !== undefined && actions.some((a) => a === acl.action || a === WILDCARD);
  const users = object.aclUsers;
  if (users !== undefined && Object.hasOwn(users, acl.userId) && grants(users[acl.userId])) return true;
  const groups = object.aclGroups;
  if (groups !== undefined) {
    for (const groupId of Object.keys(groups)) {
      if ((groupId === org || acl.groupIds.includes(groupId)) && grants(groups[groupId])) return true;
    }
  }
  return false;
}
