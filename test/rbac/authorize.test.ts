import { afterEach, describe, expect, it } from 'vitest';
import {
  authorize,
  authorizeInterpreted,
  builtInRole,
  compileSubject,
  configureBuiltInRoles,
  type AuthzObject,
  type CompiledSubject,
  type Permission,
  type Role,
  type ScopeName,
} from '../../src/rbac/index.js';

const ORG_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ORG_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const GROUP = '33333333-3333-4333-8333-333333333333';

function grant(resource_type: string, action: string): Permission {
  return { negate: false, resource_type, action };
}

function customOrgRole(name: string, org: string, orgPerms: Permission[], memberPerms: Permission[] = []): Role {
  return { name, organization_id: org, display_name: name, site: [], org: orgPerms, user: [], member: memberPerms };
}

/**
 * A subject the way the session layer builds one: `member` always, `organization-member` in every
 * org it belongs to, plus the given roles.
 */
function subject(
  siteRoles: string[],
  orgRoles: Record<string, string[]> = {},
  options: { custom?: Role[]; groups?: string[]; scope?: ScopeName; userId?: string } = {},
): CompiledSubject {
  const roles: Role[] = ['member', ...siteRoles].map((name) => builtInRole(name)!);
  for (const [org, names] of Object.entries(orgRoles)) {
    for (const name of ['organization-member', ...names]) roles.push(builtInRole(`${name}:${org}`)!);
  }
  roles.push(...(options.custom ?? []));
  return compileSubject({
    userId: options.userId ?? ME,
    roles,
    groups: options.groups ?? [],
    scope: options.scope ?? 'all',
  });
}

const WS = 'organization-workspace-access';

const owner = subject(['owner'], { [ORG_A]: [WS] });
const plainMember = subject([], { [ORG_A]: [WS] });
const auditor = subject(['auditor'], { [ORG_A]: [WS] });
const userAdmin = subject(['user-admin'], { [ORG_A]: [WS] });
const templateAdmin = subject(['template-admin'], { [ORG_A]: [WS] });
const orgAdmin = subject([], { [ORG_A]: ['organization-admin'] });
const orgUserAdmin = subject([], { [ORG_A]: ['organization-user-admin'] });
const orgAuditor = subject([], { [ORG_A]: ['organization-auditor'] });
const orgTemplateAdmin = subject([], { [ORG_A]: ['organization-template-admin'] });
const memberOfB = subject([], { [ORG_B]: [WS] });
const customReader = subject([], { [ORG_A]: [] }, {
  custom: [customOrgRole('template-reader', ORG_A, [grant('template', 'read')], [grant('workspace', 'read')])],
});
const gatewayAccount = subject([], { [ORG_A]: [] });

const inA = (type: string, extra: Partial<AuthzObject> = {}): AuthzObject => ({ type, org: ORG_A, ...extra });
const inB = (type: string, extra: Partial<AuthzObject> = {}): AuthzObject => ({ type, org: ORG_B, ...extra });
const site = (type: string, extra: Partial<AuthzObject> = {}): AuthzObject => ({ type, ...extra });
const myWorkspaceIn = (org: string) => ({ type: 'workspace', org, owner: ME });
const theirWorkspaceIn = (org: string) => ({ type: 'workspace', org, owner: OTHER });
const myUser = { type: 'user', id: ME, owner: ME };
const theirUser = { type: 'user', id: OTHER, owner: OTHER };

type Case = [who: string, s: CompiledSubject, action: string, object: AuthzObject, expected: boolean];

// Each row is derived from the role tables of rbac.md §1.5/§1.6 (Coder's newest roles.go).
const MATRIX: Case[] = [
  // owner: everything site-wide, except other users' secrets, usage events and a few reserved verbs.
  ['owner', owner, 'read', theirUser, true],
  ['owner', owner, 'delete', inB('organization', { id: ORG_B }), true],
  ['owner', owner, 'ssh', theirWorkspaceIn(ORG_B), true],
  ['owner', owner, 'create', site('organization'), true],
  ['owner', owner, 'assign', site('assign_role'), true],
  ['owner', owner, 'read', site('user_secret', { owner: OTHER }), false],
  ['owner', owner, 'read', site('user_secret', { owner: ME }), true],
  ['owner', owner, 'read', site('usage_event'), false],
  ['owner', owner, 'read', site('boundary_log'), true],
  ['owner', owner, 'delete', site('boundary_log'), false],
  ['owner', owner, 'update', site('ai_gateway_key'), false],
  ['owner', owner, 'create', site('ai_gateway_key'), true],
  ['owner', owner, 'read', site('user_skill', { owner: OTHER }), true],
  ['owner', owner, 'update', site('user_skill', { owner: OTHER }), false],
  ['owner', owner, 'start', { type: 'workspace_dormant', org: ORG_B, owner: OTHER }, false],
  ['owner', owner, 'stop', { type: 'workspace_dormant', org: ORG_B, owner: OTHER }, true],

  // member: assignable roles, own user, own things outside orgs; workspaces through workspace-access.
  ['member', plainMember, 'read', site('assign_role'), true],
  ['member', plainMember, 'read', site('oauth2_app'), true],
  ['member', plainMember, 'read', site('workspace_proxy'), true],
  ['member', plainMember, 'read', theirUser, false],
  ['member', plainMember, 'read', myUser, true],
  ['member', plainMember, 'update_personal', myUser, true],
  ['member', plainMember, 'update', myUser, false],
  ['member', plainMember, 'delete', myUser, false],
  ['member', plainMember, 'create', site('api_key', { owner: ME }), true],
  ['member', plainMember, 'read', site('api_key', { owner: OTHER }), false],
  ['member', plainMember, 'create', myWorkspaceIn(ORG_A), true],
  ['member', plainMember, 'ssh', myWorkspaceIn(ORG_A), true],
  ['member', plainMember, 'share', myWorkspaceIn(ORG_A), true],
  ['member', plainMember, 'read', theirWorkspaceIn(ORG_A), false],
  ['member', plainMember, 'create', myWorkspaceIn(ORG_B), false],
  ['member', plainMember, 'create', { type: 'workspace', owner: ME }, false],
  ['member', plainMember, 'read', inA('organization', { id: ORG_A }), true],
  ['member', plainMember, 'read', inB('organization', { id: ORG_B }), false],
  ['member', plainMember, 'read', inA('organization_member', { owner: OTHER }), true],
  ['member', plainMember, 'update', inA('organization_member', { owner: ME }), false],
  ['member', plainMember, 'read', inA('group'), true],
  ['member', plainMember, 'read', inA('provisioner_daemon'), true],
  ['member', plainMember, 'read', inA('template'), false],
  ['member', plainMember, 'read', inA('audit_log'), false],
  ['member', plainMember, 'create', site('organization'), false],
  ['member', plainMember, 'read', inA('api_key', { owner: ME }), true],

  // a member of the org without organization-workspace-access (a "gateway account").
  ['gateway', gatewayAccount, 'create', myWorkspaceIn(ORG_A), false],
  ['gateway', gatewayAccount, 'read', inA('organization'), true],

  // auditor: reads what audit logs talk about, writes nothing.
  ['auditor', auditor, 'read', site('audit_log'), true],
  ['auditor', auditor, 'read', inB('audit_log'), true],
  ['auditor', auditor, 'create', site('audit_log'), false],
  ['auditor', auditor, 'read', inB('template'), true],
  ['auditor', auditor, 'view_insights', inB('template'), true],
  ['auditor', auditor, 'use', inB('template'), false],
  ['auditor', auditor, 'read', theirUser, true],
  ['auditor', auditor, 'read', inB('organization_member'), true],
  ['auditor', auditor, 'read', inB('assign_org_role'), true],
  ['auditor', auditor, 'read', theirWorkspaceIn(ORG_B), false],
  ['auditor', auditor, 'update', site('deployment_config'), false],
  ['auditor', auditor, 'read', site('deployment_config'), true],

  // template-admin: templates, files, provisioners everywhere; reads workspaces and people.
  ['template-admin', templateAdmin, 'create', inB('template'), true],
  ['template-admin', templateAdmin, 'delete', inB('template'), true],
  ['template-admin', templateAdmin, 'read', theirWorkspaceIn(ORG_B), true],
  ['template-admin', templateAdmin, 'update', theirWorkspaceIn(ORG_B), false],
  ['template-admin', templateAdmin, 'create', inB('file'), true],
  ['template-admin', templateAdmin, 'delete', inB('provisioner_daemon'), true],
  ['template-admin', templateAdmin, 'read', theirUser, true],
  ['template-admin', templateAdmin, 'update', theirUser, false],
  ['template-admin', templateAdmin, 'read', site('assign_org_role'), true],
  ['template-admin', templateAdmin, 'assign', site('assign_org_role'), false],

  // user-admin: users, groups, memberships and role assignment everywhere.
  ['user-admin', userAdmin, 'create', site('user'), true],
  ['user-admin', userAdmin, 'delete', theirUser, true],
  ['user-admin', userAdmin, 'assign', site('assign_role'), true],
  ['user-admin', userAdmin, 'unassign', site('assign_role'), true],
  ['user-admin', userAdmin, 'assign', inB('assign_org_role'), true],
  ['user-admin', userAdmin, 'create', inB('assign_org_role'), false],
  ['user-admin', userAdmin, 'delete', inB('organization_member'), true],
  ['user-admin', userAdmin, 'create', inB('group'), true],
  ['user-admin', userAdmin, 'update', inB('group_member'), false],
  ['user-admin', userAdmin, 'update', inB('idpsync_settings'), true],
  ['user-admin', userAdmin, 'read', inB('template'), false],
  ['user-admin', userAdmin, 'read', site('audit_log'), false],
  ['user-admin', userAdmin, 'update', inB('organization'), false],

  // organization-admin: everything in its org except exec and site-only types; nothing elsewhere.
  ['org-admin', orgAdmin, 'create', inA('template'), true],
  ['org-admin', orgAdmin, 'create', inB('template'), false],
  ['org-admin', orgAdmin, 'read', theirWorkspaceIn(ORG_A), true],
  ['org-admin', orgAdmin, 'update', theirWorkspaceIn(ORG_A), true],
  ['org-admin', orgAdmin, 'ssh', theirWorkspaceIn(ORG_A), false],
  ['org-admin', orgAdmin, 'application_connect', theirWorkspaceIn(ORG_A), false],
  ['org-admin', orgAdmin, 'read', theirUser, true],
  ['org-admin', orgAdmin, 'update', theirUser, false],
  ['org-admin', orgAdmin, 'assign', site('assign_role'), false],
  ['org-admin', orgAdmin, 'assign', inA('assign_org_role'), true],
  ['org-admin', orgAdmin, 'create', inA('assign_org_role'), true],
  ['org-admin', orgAdmin, 'assign', inB('assign_org_role'), false],
  ['org-admin', orgAdmin, 'read', inA('audit_log'), true],
  ['org-admin', orgAdmin, 'read', site('audit_log'), false],
  ['org-admin', orgAdmin, 'delete', inA('organization', { id: ORG_A }), true],
  ['org-admin', orgAdmin, 'read', inA('user_secret', { owner: OTHER }), false],
  ['org-admin', orgAdmin, 'read', inA('workspace_build_orchestration'), false],
  ['org-admin', orgAdmin, 'start', { type: 'workspace_dormant', org: ORG_A, owner: OTHER }, false],
  ['org-admin', orgAdmin, 'update', inA('idpsync_settings'), true],

  // organization-user-admin: members, groups and member roles of its org.
  ['org-user-admin', orgUserAdmin, 'create', inA('organization_member'), true],
  ['org-user-admin', orgUserAdmin, 'update', inA('group'), true],
  ['org-user-admin', orgUserAdmin, 'assign', inA('assign_org_role'), true],
  ['org-user-admin', orgUserAdmin, 'create', inA('assign_org_role'), false],
  ['org-user-admin', orgUserAdmin, 'read', inA('template'), false],
  ['org-user-admin', orgUserAdmin, 'read', theirUser, true],
  ['org-user-admin', orgUserAdmin, 'create', inB('organization_member'), false],

  // organization-auditor: reads its org's logs and the things they mention, nothing site-wide.
  ['org-auditor', orgAuditor, 'read', inA('audit_log'), true],
  ['org-auditor', orgAuditor, 'read', inB('audit_log'), false],
  ['org-auditor', orgAuditor, 'read', site('audit_log'), false],
  ['org-auditor', orgAuditor, 'view_insights', inA('template'), true],
  ['org-auditor', orgAuditor, 'update', inA('template'), false],
  ['org-auditor', orgAuditor, 'read', theirUser, false],

  // organization-template-admin: templates, provisioners and their jobs in its org.
  ['org-template-admin', orgTemplateAdmin, 'create', inA('template'), true],
  ['org-template-admin', orgTemplateAdmin, 'update', inA('provisioner_jobs'), true],
  ['org-template-admin', orgTemplateAdmin, 'read', theirWorkspaceIn(ORG_A), true],
  ['org-template-admin', orgTemplateAdmin, 'update', theirWorkspaceIn(ORG_A), false],
  ['org-template-admin', orgTemplateAdmin, 'create', inA('file'), true],
  ['org-template-admin', orgTemplateAdmin, 'create', inB('template'), false],

  // a member of another org sees nothing of org A.
  ['member of B', memberOfB, 'read', inA('organization'), false],
  ['member of B', memberOfB, 'create', myWorkspaceIn(ORG_A), false],
  ['member of B', memberOfB, 'read', inA('organization_member', { owner: OTHER }), false],
  ['member of B', memberOfB, 'read', inB('organization'), true],
  ['member of B', memberOfB, 'create', myWorkspaceIn(ORG_B), true],

  // a custom org role: org-level template read, member-level workspace read.
  ['custom', customReader, 'read', inA('template'), true],
  ['custom', customReader, 'update', inA('template'), false],
  ['custom', customReader, 'read', inB('template'), false],
  ['custom', customReader, 'read', myWorkspaceIn(ORG_A), true],
  ['custom', customReader, 'read', theirWorkspaceIn(ORG_A), false],
];

describe('authorize: role matrix', () => {
  it.each(MATRIX)('%s may %s %j: %s', (_who, s, action, object, expected) => {
    expect(authorize(s, action, object)).toBe(expected);
    // The interpreter must reach the same answer as the compiled tables.
    expect(authorizeInterpreted(s, action, object)).toBe(expected);
  });
});

describe('authorize: negation', () => {
  it('organization-workspace-creation-ban beats org-admin and member grants in its org only', () => {
    const banned = subject([], { [ORG_A]: ['organization-admin', WS, 'organization-workspace-creation-ban'], [ORG_B]: [WS] });
    expect(authorize(banned, 'create', myWorkspaceIn(ORG_A))).toBe(false);
    expect(authorize(banned, 'delete', theirWorkspaceIn(ORG_A))).toBe(false);
    expect(authorize(banned, 'create_agent', myWorkspaceIn(ORG_A))).toBe(false);
    expect(authorize(banned, 'read', theirWorkspaceIn(ORG_A))).toBe(true);
    expect(authorize(banned, 'update', theirWorkspaceIn(ORG_A))).toBe(true);
    expect(authorize(banned, 'start', myWorkspaceIn(ORG_A))).toBe(true);
    expect(authorize(banned, 'create', myWorkspaceIn(ORG_B))).toBe(true);
  });

  it('an org-level ban does not touch a site-level grant', () => {
    const bannedOwner = subject(['owner'], { [ORG_A]: ['organization-workspace-creation-ban'] });
    expect(authorize(bannedOwner, 'create', myWorkspaceIn(ORG_A))).toBe(true);
  });

  it('a site-level denial beats every lower grant', () => {
    configureBuiltInRoles({ noWorkspaceSharing: true });
    try {
      const s = subject([], { [ORG_A]: [WS, 'organization-admin'] });
      expect(authorize(s, 'share', myWorkspaceIn(ORG_A))).toBe(false);
      expect(authorize(s, 'read', myWorkspaceIn(ORG_A))).toBe(true);
    } finally {
      configureBuiltInRoles({});
    }
  });

  it('org sharing "none" denies sharing at org level even to org admins', () => {
    const noneSettings = { shareableWorkspaceOwners: 'none' as const };
    const roles = [
      builtInRole('member')!,
      builtInRole(`organization-member:${ORG_A}`, noneSettings)!,
      builtInRole(`${WS}:${ORG_A}`)!,
      builtInRole(`organization-admin:${ORG_A}`)!,
    ];
    const s = compileSubject({ userId: ME, roles, groups: [], scope: 'all' });
    expect(authorize(s, 'share', myWorkspaceIn(ORG_A))).toBe(false);
    expect(authorize(s, 'share', theirWorkspaceIn(ORG_A))).toBe(false);
    expect(authorize(s, 'read', inA('organization_member'))).toBe(true); // org-admin still reads members
  });

  it('owners without workspace exec cannot ssh', () => {
    configureBuiltInRoles({ noOwnerWorkspaceExec: true });
    try {
      const s = subject(['owner']);
      expect(authorize(s, 'ssh', theirWorkspaceIn(ORG_B))).toBe(false);
      expect(authorize(s, 'read', theirWorkspaceIn(ORG_B))).toBe(true);
    } finally {
      configureBuiltInRoles({});
    }
  });
});

describe('authorize: any_org', () => {
  it('asks whether some membership allows', () => {
    expect(authorize(orgTemplateAdmin, 'create', { type: 'template', anyOrg: true })).toBe(true);
    expect(authorize(plainMember, 'create', { type: 'template', anyOrg: true })).toBe(false);
    expect(authorize(subject([]), 'read', { type: 'organization', anyOrg: true })).toBe(false);
    expect(authorize(plainMember, 'create', { type: 'workspace', anyOrg: true, owner: ME })).toBe(true);
    expect(authorize(plainMember, 'create', { type: 'workspace', anyOrg: true, owner: OTHER })).toBe(false);
  });

  it('takes the max over orgs, where an org-level denial can vote -1', () => {
    const bannedInAOnly = subject([], { [ORG_A]: [WS, 'organization-workspace-creation-ban'] });
    expect(authorize(bannedInAOnly, 'create', { type: 'workspace', anyOrg: true, owner: ME })).toBe(false);

    // A denies, B abstains at org level: the max is 0, so A's member-level grant still answers.
    const bannedInAPlainInB = subject([], { [ORG_A]: [WS, 'organization-workspace-creation-ban'], [ORG_B]: [] });
    expect(authorize(bannedInAPlainInB, 'create', { type: 'workspace', anyOrg: true, owner: ME })).toBe(true);

    const adminInB = subject([], { [ORG_A]: ['organization-admin', 'organization-workspace-creation-ban'], [ORG_B]: ['organization-admin'] });
    expect(authorize(adminInB, 'create', { type: 'workspace', anyOrg: true, owner: OTHER })).toBe(true);
  });
});

describe('authorize: ACLs', () => {
  const template = (acl: Partial<AuthzObject>) => inA('template', { id: 'tpl', ...acl });

  it('grants through the user ACL, only to org members', () => {
    const obj = template({ aclUsers: { [ME]: ['read', 'use'] } });
    expect(authorize(plainMember, 'read', obj)).toBe(true);
    expect(authorize(plainMember, 'use', obj)).toBe(true);
    expect(authorize(plainMember, 'update', obj)).toBe(false);
    expect(authorize(subject([], { [ORG_B]: [] }), 'read', obj)).toBe(false);
  });

  it('grants through group ACLs and the wildcard action', () => {
    const inGroup = subject([], { [ORG_A]: [] }, { groups: [GROUP] });
    expect(authorize(inGroup, 'delete', template({ aclGroups: { [GROUP]: ['*'] } }))).toBe(true);
    expect(authorize(plainMember, 'delete', template({ aclGroups: { [GROUP]: ['*'] } }))).toBe(false);
  });

  it('treats the org id as the Everyone group of that org', () => {
    expect(authorize(plainMember, 'read', template({ aclGroups: { [ORG_A]: ['read'] } }))).toBe(true);
    expect(authorize(memberOfB, 'read', template({ aclGroups: { [ORG_A]: ['read'] } }))).toBe(false);
    // Another org's Everyone group does not apply here.
    expect(authorize(memberOfB, 'read', template({ aclGroups: { [ORG_B]: ['read'] } }))).toBe(false);
  });

  it('never applies to objects outside any org', () => {
    expect(authorize(plainMember, 'read', { type: 'template', aclUsers: { [ME]: ['read'] } })).toBe(false);
  });

  it('counts shared workspaces only while the subject holds use_shared in the org', () => {
    const shared = { ...theirWorkspaceIn(ORG_A), aclUsers: { [ME]: ['read', 'ssh'] } };
    expect(authorize(plainMember, 'ssh', shared)).toBe(true);
    expect(authorize(gatewayAccount, 'ssh', shared)).toBe(false);
    // Templates do not declare use_shared, so their ACLs are not gated.
    expect(authorize(gatewayAccount, 'read', template({ aclUsers: { [ME]: ['read'] } }))).toBe(true);
  });
});

describe('authorize: scope', () => {
  it('application_connect limits a token to opening workspace apps', () => {
    const s = subject(['owner'], {}, { scope: 'application_connect' });
    expect(authorize(s, 'application_connect', theirWorkspaceIn(ORG_B))).toBe(true);
    expect(authorize(s, 'read', theirWorkspaceIn(ORG_B))).toBe(false);
    expect(authorize(s, 'read', theirUser)).toBe(false);
    const m = subject([], { [ORG_A]: [WS] }, { scope: 'application_connect' });
    expect(authorize(m, 'application_connect', myWorkspaceIn(ORG_A))).toBe(true);
    expect(authorize(m, 'application_connect', theirWorkspaceIn(ORG_A))).toBe(false);
  });

  it('limits ACL grants too', () => {
    const m = subject([], { [ORG_A]: [] }, { scope: 'application_connect' });
    expect(authorize(m, 'read', inA('template', { aclUsers: { [ME]: ['read'] } }))).toBe(false);
  });
});

describe('authorize: types and actions outside the table', () => {
  it('matches wildcards exactly as the policy does', () => {
    // The owner holds template:* so an unknown action on templates is allowed...
    expect(authorize(owner, 'frobnicate', inB('template'))).toBe(true);
    // ...but it holds no type wildcard, so an unknown type is not.
    expect(authorize(owner, 'read', site('widget'))).toBe(false);
    const wildcard = compileSubject({
      userId: ME,
      roles: [{ name: 'x', organization_id: '', display_name: '', site: [grant('*', '*')], org: [], user: [], member: [] }],
      groups: [],
      scope: 'all',
    });
    expect(authorize(wildcard, 'read', site('widget'))).toBe(true);
    expect(authorize(plainMember, 'frobnicate', inA('template'))).toBe(false);
  });
});

describe('authorize: compiled and interpreted paths agree', () => {
  it('on random subjects, objects and actions', () => {
    const random = mulberry32(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const orgs = [ORG_A, ORG_B, 'cccccccc-0000-4000-8000-000000000003'];
    const types = ['workspace', 'workspace_dormant', 'template', 'user', 'group', 'organization_member', 'api_key', 'audit_log', 'file'];
    const actions = ['read', 'create', 'update', 'delete', 'ssh', 'use', 'share', 'start', 'application_connect'];
    const orgRoleNames = ['organization-admin', 'organization-auditor', 'organization-template-admin', 'organization-user-admin', WS, 'organization-workspace-creation-ban'];
    for (let i = 0; i < 300; i++) {
      const orgRoles: Record<string, string[]> = {};
      for (const org of orgs) if (random() < 0.6) orgRoles[org] = orgRoleNames.filter(() => random() < 0.3);
      const s = subject(
        ['owner', 'auditor', 'template-admin', 'user-admin'].filter(() => random() < 0.15),
        orgRoles,
        {
          groups: random() < 0.5 ? [GROUP] : [],
          scope: random() < 0.2 ? 'application_connect' : 'all',
          custom: random() < 0.5 ? [customOrgRole('c', pick(orgs), [{ negate: random() < 0.3, resource_type: pick(types), action: pick(actions) }], [grant(pick(types), pick(actions))])] : [],
        },
      );
      for (let j = 0; j < 40; j++) {
        const object: AuthzObject = {
          type: pick(types),
          org: pick([...orgs, '']),
          owner: pick([ME, OTHER, '']),
          anyOrg: random() < 0.1,
          aclUsers: random() < 0.3 ? { [pick([ME, OTHER])]: [pick([...actions, '*'])] } : undefined,
          aclGroups: random() < 0.3 ? { [pick([GROUP, ...orgs])]: [pick([...actions, '*'])] } : undefined,
        };
        const action = pick(actions);
        expect(authorize(s, action, object), JSON.stringify({ action, object })).toBe(authorizeInterpreted(s, action, object));
      }
    }
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
