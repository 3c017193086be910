import { describe, expect, it } from 'vitest';
import {
  builtInRole,
  canAssignRole,
  changeRoleSet,
  checkRoleChange,
  compileSubject,
  isAssignable,
  parseRoleIdentifier,
  roleIdentifierOf,
  type CompiledSubject,
  type Role,
  type RoleIdentifier,
} from '../../src/rbac/index.js';

const ORG_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ORG_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const ME = '11111111-1111-4111-8111-111111111111';

const ids = (...texts: string[]): RoleIdentifier[] => texts.map(parseRoleIdentifier);
const siteRole = (name: string): RoleIdentifier => ({ name, organizationId: '' });
const orgRole = (name: string, org = ORG_A): RoleIdentifier => ({ name, organizationId: org });

function actor(siteRoles: string[], orgRoles: Record<string, string[]> = {}, custom: Role[] = []): CompiledSubject {
  const roles: Role[] = ['member', ...siteRoles].map((n) => builtInRole(n)!);
  for (const [org, names] of Object.entries(orgRoles)) {
    for (const n of ['organization-member', ...names]) roles.push(builtInRole(`${n}:${org}`)!);
  }
  return compileSubject({ userId: ME, roles: [...roles, ...custom], groups: [], scope: 'all' });
}

describe('canAssignRole (the static matrix)', () => {
  const everySiteRole = ['owner', 'member', 'auditor', 'template-admin', 'user-admin', 'custom-site-role'];
  const everyOrgRole = [
    'organization-admin',
    'organization-member',
    'organization-auditor',
    'organization-user-admin',
    'organization-template-admin',
    'organization-workspace-creation-ban',
    'organization-workspace-access',
    'custom-organization-role',
  ];

  it('owner and system assign every built-in and custom role', () => {
    for (const holder of ['owner', 'system']) {
      for (const r of everySiteRole) expect(canAssignRole([siteRole(holder)], siteRole(r)), r).toBe(true);
      for (const r of everyOrgRole) expect(canAssignRole([siteRole(holder)], orgRole(r, ORG_B)), r).toBe(true);
    }
  });

  it('user-admin assigns member, organization-member and workspace access only', () => {
    const held = [siteRole('user-admin')];
    expect(canAssignRole(held, siteRole('member'))).toBe(true);
    expect(canAssignRole(held, orgRole('organization-member', ORG_B))).toBe(true);
    expect(canAssignRole(held, orgRole('organization-workspace-access', ORG_B))).toBe(true);
    for (const r of ['owner', 'auditor', 'template-admin', 'user-admin', 'custom-site-role']) {
      expect(canAssignRole(held, siteRole(r)), r).toBe(false);
    }
    expect(canAssignRole(held, orgRole('organization-admin'))).toBe(false);
  });

  it('organization-admin assigns org roles and custom org roles in its own org only', () => {
    const held = [siteRole('member'), orgRole('organization-admin', ORG_A)];
    for (const r of everyOrgRole) expect(canAssignRole(held, orgRole(r, ORG_A)), r).toBe(true);
    for (const r of everyOrgRole) expect(canAssignRole(held, orgRole(r, ORG_B)), r).toBe(false);
    expect(canAssignRole(held, siteRole('custom-site-role'))).toBe(false);
    expect(canAssignRole(held, siteRole('owner'))).toBe(false);
  });

  it('organization-user-admin assigns organization-member and workspace access in its org', () => {
    const held = [orgRole('organization-user-admin', ORG_A)];
    expect(canAssignRole(held, orgRole('organization-member'))).toBe(true);
    expect(canAssignRole(held, orgRole('organization-workspace-access'))).toBe(true);
    expect(canAssignRole(held, orgRole('organization-auditor'))).toBe(false);
    expect(canAssignRole(held, orgRole('organization-member', ORG_B))).toBe(false);
  });

  it('everyone else assigns nothing', () => {
    for (const holder of ['member', 'auditor', 'template-admin']) {
      expect(canAssignRole([siteRole(holder)], siteRole('member'))).toBe(false);
    }
    expect(canAssignRole([orgRole('organization-auditor')], orgRole('organization-member'))).toBe(false);
  });

  it('maps custom roles to the placeholders for the assignable flag', () => {
    const custom: Role = { name: 'reader', organization_id: ORG_A, display_name: 'Reader', site: [], org: [], user: [], member: [] };
    expect(isAssignable([orgRole('organization-admin')], custom, false)).toBe(true);
    expect(isAssignable([siteRole('user-admin')], custom, false)).toBe(false);
    expect(isAssignable([siteRole('user-admin')], builtInRole('member')!, true)).toBe(true);
  });
});

describe('changeRoleSet', () => {
  it('is the symmetric difference', () => {
    const { added, removed } = changeRoleSet(ids('a', 'b', 'b'), ids('b', 'c', 'c'));
    expect(added).toEqual(ids('c'));
    expect(removed).toEqual(ids('a'));
  });
});

describe('checkRoleChange', () => {
  const noCustom = () => false;

  it('lets an owner grant site roles, reporting what changed', () => {
    const result = checkRoleChange({ subject: actor(['owner']), oldRoles: [], newRoles: ['auditor', 'member'], customRoleExists: noCustom });
    expect(result).toEqual({ ok: true, added: [siteRole('auditor')], removed: [] });
  });

  it('treats member and organization-member as implied: no change, no check', () => {
    const nobody = actor([]);
    expect(checkRoleChange({ subject: nobody, oldRoles: [], newRoles: ['member'], customRoleExists: noCustom }).ok).toBe(true);
    expect(
      checkRoleChange({ subject: nobody, oldRoles: [], newRoles: ['organization-member'], orgId: ORG_A, customRoleExists: noCustom }).ok,
    ).toBe(true);
  });

  it('refuses actors without assign on assign_role', () => {
    const result = checkRoleChange({ subject: actor([]), oldRoles: [], newRoles: ['auditor'], customRoleExists: noCustom });
    expect(result).toEqual({ ok: false, kind: 'forbidden', message: 'not authorized to assign roles' });
  });

  it('refuses roles outside the matrix even with the RBAC permission', () => {
    const result = checkRoleChange({ subject: actor(['user-admin']), oldRoles: [], newRoles: ['auditor'], customRoleExists: noCustom });
    expect(result).toEqual({ ok: false, kind: 'forbidden', message: 'not authorized to assign role "auditor"' });
    expect(
      checkRoleChange({ subject: actor(['user-admin']), oldRoles: ['template-admin'], newRoles: [], customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'forbidden', message: 'not authorized to assign role "template-admin"' });
  });

  it('fails unknown names clearly, including org roles given as site roles', () => {
    expect(checkRoleChange({ subject: actor(['owner']), oldRoles: [], newRoles: ['bogus'], customRoleExists: noCustom })).toEqual({
      ok: false,
      kind: 'invalid',
      message: '"bogus" is not a supported role',
    });
    expect(
      checkRoleChange({ subject: actor(['owner']), oldRoles: [], newRoles: ['organization-admin'], customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'invalid', message: '"organization-admin" is not a supported role' });
    expect(
      checkRoleChange({ subject: actor(['owner']), oldRoles: [], newRoles: ['owner'], orgId: ORG_A, customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'invalid', message: `"owner:${ORG_A}" is not a supported role` });
  });

  it('accepts existing custom roles through the placeholders', () => {
    const exists = (id: RoleIdentifier) => id.name === 'site-custom' || (id.name === 'reader' && id.organizationId === ORG_A);
    expect(checkRoleChange({ subject: actor(['owner']), oldRoles: [], newRoles: ['site-custom'], customRoleExists: exists }).ok).toBe(true);
    expect(checkRoleChange({ subject: actor(['user-admin']), oldRoles: [], newRoles: ['site-custom'], customRoleExists: exists })).toEqual({
      ok: false,
      kind: 'forbidden',
      message: 'not authorized to assign role "custom-site-role"',
    });
    expect(
      checkRoleChange({ subject: actor([], { [ORG_A]: ['organization-admin'] }), oldRoles: [], newRoles: ['reader'], orgId: ORG_A, customRoleExists: exists }).ok,
    ).toBe(true);
  });

  it('checks org changes against the URL org', () => {
    const orgAdminA = actor([], { [ORG_A]: ['organization-admin'] });
    expect(
      checkRoleChange({ subject: orgAdminA, oldRoles: [], newRoles: ['organization-auditor'], orgId: ORG_A, customRoleExists: noCustom }),
    ).toEqual({ ok: true, added: [orgRole('organization-auditor')], removed: [] });
    // Not an admin of B: the RBAC assign check on assign_org_role in B fails.
    expect(
      checkRoleChange({ subject: orgAdminA, oldRoles: [], newRoles: ['organization-auditor'], orgId: ORG_B, customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'forbidden', message: 'not authorized to assign roles' });
    expect(
      checkRoleChange({ subject: orgAdminA, oldRoles: [], newRoles: [`organization-auditor:${ORG_A}`], orgId: ORG_A, customRoleExists: noCustom }),
    ).toEqual({
      ok: false,
      kind: 'invalid',
      message: `attempt to assign a role "organization-auditor:${ORG_A}", remove the ':<organization_id> suffix`,
    });
    expect(
      checkRoleChange({ subject: orgAdminA, oldRoles: [], newRoles: [orgRole('organization-auditor', ORG_B)], orgId: ORG_A, customRoleExists: noCustom }),
    ).toEqual({
      ok: false,
      kind: 'invalid',
      message: `attempted to assign role from a different org, role "organization-auditor:${ORG_B}" to "${ORG_A}"`,
    });
    expect(
      checkRoleChange({ subject: orgAdminA, oldRoles: [], newRoles: [siteRole('auditor')], orgId: ORG_A, customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'invalid', message: 'Must only update org roles' });
    expect(
      checkRoleChange({ subject: actor(['owner']), oldRoles: [], newRoles: [orgRole('organization-admin')], customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'invalid', message: 'Must only update site wide roles' });
  });

  it('limits organization-user-admin to membership roles', () => {
    const orgUserAdmin = actor([], { [ORG_A]: ['organization-user-admin'] });
    expect(
      checkRoleChange({ subject: orgUserAdmin, oldRoles: [], newRoles: ['organization-workspace-access'], orgId: ORG_A, customRoleExists: noCustom }).ok,
    ).toBe(true);
    expect(
      checkRoleChange({ subject: orgUserAdmin, oldRoles: [], newRoles: ['organization-admin'], orgId: ORG_A, customRoleExists: noCustom }),
    ).toEqual({ ok: false, kind: 'forbidden', message: `not authorized to assign role "organization-admin:${ORG_A}"` });
  });

  it('needs unassign to remove, separately from assign', () => {
    const assignOnly: Role = {
      name: 'assigner',
      organization_id: ORG_A,
      display_name: '',
      site: [],
      org: [{ negate: false, resource_type: 'assign_org_role', action: 'assign' }],
      user: [],
      member: [],
    };
    const s = actor([], { [ORG_A]: [] }, [assignOnly]);
    const actorRoles = [...s.roles.map(roleIdentifierOf), siteRole('user-admin')];
    const base = { subject: s, actorRoles, orgId: ORG_A, customRoleExists: noCustom };
    expect(checkRoleChange({ ...base, oldRoles: [], newRoles: ['organization-workspace-access'] }).ok).toBe(true);
    expect(checkRoleChange({ ...base, oldRoles: ['organization-workspace-access'], newRoles: [] })).toEqual({
      ok: false,
      kind: 'forbidden',
      message: 'not authorized to unassign roles',
    });
  });

  it('lets a retired role be removed but never added', () => {
    const owner = actor(['owner']);
    expect(checkRoleChange({ subject: owner, oldRoles: ['agents-access'], newRoles: [], customRoleExists: () => true })).toEqual({
      ok: true,
      added: [],
      removed: [siteRole('agents-access')],
    });
    expect(checkRoleChange({ subject: owner, oldRoles: [], newRoles: ['agents-access'], customRoleExists: () => true })).toEqual({
      ok: false,
      kind: 'invalid',
      message: '"agents-access" is not a supported role',
    });
  });
});
