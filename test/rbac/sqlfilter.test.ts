import { describe, expect, it } from 'vitest';
import {
  authorize,
  builtInRole,
  compileSubject,
  filterIsEmpty,
  filterMatches,
  prepareFilter,
  type AuthzObject,
  type CompiledSubject,
  type Permission,
  type Role,
  type ScopeName,
} from '../../src/rbac/index.js';

const ORG_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ORG_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const ORG_C = 'cccccccc-0000-4000-8000-000000000003';
const ORG_OUTSIDE = 'dddddddd-0000-4000-8000-000000000004';
const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const GROUP_1 = '33333333-3333-4333-8333-333333333333';
const GROUP_2 = '44444444-4444-4444-8444-444444444444';

const WS = 'organization-workspace-access';

function subject(
  siteRoles: string[],
  orgRoles: Record<string, string[]>,
  options: { custom?: Role[]; groups?: string[]; scope?: ScopeName } = {},
): CompiledSubject {
  const roles: Role[] = ['member', ...siteRoles].map((name) => builtInRole(name)!);
  for (const [org, names] of Object.entries(orgRoles)) {
    for (const name of ['organization-member', ...names]) roles.push(builtInRole(`${name}:${org}`)!);
  }
  roles.push(...(options.custom ?? []));
  return compileSubject({ userId: ME, roles, groups: options.groups ?? [], scope: options.scope ?? 'all' });
}

describe('prepareFilter', () => {
  it('lets site-wide readers see every row', () => {
    expect(prepareFilter(subject(['owner'], {}), 'read', 'workspace').all).toBe(true);
    expect(prepareFilter(subject(['auditor'], {}), 'read', 'audit_log').all).toBe(true);
  });

  it('lists org-level orgs and member-level orgs separately', () => {
    const s = subject([], { [ORG_A]: ['organization-admin'], [ORG_B]: [WS], [ORG_C]: [] });
    const filter = prepareFilter(s, 'read', 'workspace');
    expect(filter.all).toBe(false);
    expect(filter.orgIds).toEqual([ORG_A]);
    expect(filter.memberOrgIds).toEqual([ORG_B]);
    expect(filter.userLevel).toBe(false);
    expect(filter.ownerId).toBe(ME);
    // ACLs on workspaces count only where the subject holds use_shared (A: admin has it at org
    // level only, so not there; B: workspace access grants it at member level).
    expect(filter.acl?.orgIds).toEqual([ORG_B]);
  });

  it('drops member-level orgs where the org level denies', () => {
    const s = subject([], { [ORG_A]: [WS, 'organization-workspace-creation-ban'], [ORG_B]: [WS] });
    const filter = prepareFilter(s, 'create', 'workspace');
    expect(filter.memberOrgIds).toEqual([ORG_B]);
  });

  it('uses the user level for rows outside any org', () => {
    const filter = prepareFilter(subject([], { [ORG_A]: [] }), 'read', 'api_key');
    expect(filter.userLevel).toBe(true);
    expect(filter.memberOrgIds).toEqual([ORG_A]);
  });

  it('matches nothing under a scope that excludes the action', () => {
    const filter = prepareFilter(subject(['owner'], { [ORG_A]: [] }, { scope: 'application_connect' }), 'read', 'workspace');
    expect(filterIsEmpty(filter)).toBe(true);
    expect(prepareFilter(subject(['owner'], {}, { scope: 'application_connect' }), 'application_connect', 'workspace').all).toBe(true);
  });

  it('costs one pass over memberships and no more', () => {
    const orgs: Record<string, string[]> = {};
    for (let i = 0; i < 100; i++) orgs[`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`] = [WS];
    const s = subject([], orgs);
    const filter = prepareFilter(s, 'read', 'workspace');
    expect(filter.memberOrgIds).toHaveLength(100);
    expect(filter.orgIds).toHaveLength(0);
  });
});

describe('prepareFilter agrees with authorize on every object', () => {
  const types = ['workspace', 'workspace_dormant', 'template', 'organization_member', 'group', 'user', 'api_key', 'audit_log', 'file', 'provisioner_daemon', 'widget'];
  const actions = ['read', 'create', 'update', 'delete', 'ssh', 'share', 'use', 'view_insights', 'application_connect', 'frobnicate'];
  const orgRoleNames = [
    'organization-admin',
    'organization-auditor',
    'organization-user-admin',
    'organization-template-admin',
    'organization-workspace-creation-ban',
    WS,
  ];

  it('for random subjects (built-in and custom roles, negations, wildcards, groups, scopes)', () => {
    const random = mulberry32(20240611);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const randomPermission = (): Permission => ({
      negate: random() < 0.25,
      resource_type: random() < 0.1 ? '*' : pick(types),
      action: random() < 0.1 ? '*' : pick(actions),
    });
    let compared = 0;
    let allowedCount = 0;

    for (let i = 0; i < 200; i++) {
      const memberships: Record<string, string[]> = {};
      for (const org of [ORG_A, ORG_B, ORG_C]) {
        if (random() < 0.7) memberships[org] = orgRoleNames.filter(() => random() < 0.25);
      }
      const custom: Role[] = [];
      for (const org of Object.keys(memberships)) {
        if (random() < 0.4) {
          custom.push({
            name: `custom-${i}`,
            organization_id: org,
            display_name: '',
            site: [],
            org: Array.from({ length: 1 + Math.floor(random() * 3) }, randomPermission),
            user: [],
            member: Array.from({ length: Math.floor(random() * 3) }, randomPermission),
          });
        }
      }
      if (random() < 0.2) {
        custom.push({ name: `site-${i}`, organization_id: '', display_name: '', site: [randomPermission()], org: [], user: [randomPermission()], member: [] });
      }
      const s = subject(['owner', 'auditor', 'template-admin', 'user-admin'].filter(() => random() < 0.1), memberships, {
        custom,
        groups: [GROUP_1, GROUP_2].filter(() => random() < 0.5),
        scope: random() < 0.15 ? 'application_connect' : 'all',
      });

      for (const type of types) {
        for (const action of actions) {
          if (random() < 0.6) continue;
          const filter = prepareFilter(s, action, type);
          for (let j = 0; j < 25; j++) {
            const org = pick([ORG_A, ORG_B, ORG_C, ORG_OUTSIDE, '']);
            const object: AuthzObject = {
              type,
              id: `obj-${j}`,
              org,
              owner: pick([ME, OTHER, '']),
              aclUsers: random() < 0.3 ? { [pick([ME, OTHER])]: [pick([...actions, '*'])] } : undefined,
              aclGroups:
                random() < 0.3
                  ? { [pick([GROUP_1, GROUP_2, ORG_A, ORG_B, ORG_OUTSIDE])]: [pick([...actions, '*'])] }
                  : undefined,
            };
            const allowed = authorize(s, action, object);
            expect(filterMatches(filter, object), JSON.stringify({ action, object, filter })).toBe(allowed);
            compared++;
            if (allowed) allowedCount++;
          }
        }
      }
    }
    // Guard against a vacuous comparison.
    expect(compared).toBeGreaterThan(10_000);
    expect(allowedCount).toBeGreaterThan(compared / 20);
  });
});

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
