import { describe, expect, it } from 'vitest';
import {
  authorize,
  builtInRole,
  canManageCustomRoles,
  compileSubject,
  roleNameProblem,
  validateCustomRoleRequest,
  type CompiledSubject,
  type CustomRoleRequest,
  type Role,
} from '../../src/rbac/index.js';

const ORG_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ORG_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const ME = '11111111-1111-4111-8111-111111111111';

function actor(siteRoles: string[], orgRoles: Record<string, string[]> = {}): CompiledSubject {
  const roles: Role[] = ['member', ...siteRoles].map((n) => builtInRole(n)!);
  for (const [org, names] of Object.entries(orgRoles)) {
    for (const n of ['organization-member', ...names]) roles.push(builtInRole(`${n}:${org}`)!);
  }
  return compileSubject({ userId: ME, roles, groups: [], scope: 'all' });
}

const owner = actor(['owner']);
const orgAdmin = actor([], { [ORG_A]: ['organization-admin'] });
const orgUserAdmin = actor([], { [ORG_A]: ['organization-user-admin'] });

function request(extra: Partial<CustomRoleRequest> = {}): CustomRoleRequest {
  return {
    name: 'template-reader',
    display_name: 'Template Reader',
    site_permissions: [],
    organization_permissions: [{ negate: false, resource_type: 'template', action: 'read' }],
    user_permissions: [],
    ...extra,
  };
}

const create = (subject: CompiledSubject, extra: Partial<CustomRoleRequest> = {}) =>
  validateCustomRoleRequest(request(extra), { organizationId: ORG_A, actor: subject, mode: 'create' });

describe('custom role requests', () => {
  it('builds an org role from a valid request', () => {
    const result = create(orgAdmin);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.role.organization_id).toBe(ORG_A);
    expect(result.role.display_name).toBe('Template Reader');
    expect(result.role.org).toEqual([{ negate: false, resource_type: 'template', action: 'read' }]);
    expect(result.role.member).toEqual([]);
    // And the role does what it says once held.
    const holder = compileSubject({ userId: 'x', roles: [builtInRole(`organization-member:${ORG_A}`)!, result.role], groups: [], scope: 'all' });
    expect(authorize(holder, 'read', { type: 'template', org: ORG_A })).toBe(true);
    expect(authorize(holder, 'read', { type: 'template', org: ORG_B })).toBe(false);
  });

  it('refuses reserved names', () => {
    for (const name of ['owner', 'organization-admin', 'organization-member', 'agents-access']) {
      expect(create(owner, { name })).toEqual({
        ok: false,
        status: 400,
        message: 'Reserved role name',
        detail: `"${name}" is a reserved role name, and not allowed to be used`,
      });
    }
  });

  it('applies the name rule', () => {
    const cases: Array<[string, string]> = [
      ['', 'must be >= 1 character'],
      ['a'.repeat(33), 'must be <= 32 characters'],
      ['new', 'cannot use "new" as a name'],
      ['create', 'cannot use "create" as a name'],
      ['bad_name', 'must be alphanumeric with hyphens'],
      ['-lead', 'must be alphanumeric with hyphens'],
      ['double--dash', 'must be alphanumeric with hyphens'],
    ];
    for (const [name, detail] of cases) {
      expect(create(owner, { name })).toEqual({ ok: false, status: 400, message: 'Invalid role name', detail });
    }
    expect(roleNameProblem('a'.repeat(32))).toBeUndefined();
    expect(roleNameProblem('Mixed-Case-1')).toBeUndefined();
  });

  it('refuses site and user permissions on an org role', () => {
    expect(create(owner, { site_permissions: [{ negate: false, resource_type: 'user', action: 'read' }] })).toEqual({
      ok: false,
      status: 400,
      message: 'Invalid request, not allowed to assign site wide permissions for an organization role.',
      detail: 'organization scoped roles may not contain site wide permissions',
    });
    expect(create(owner, { user_permissions: [{ negate: false, resource_type: 'api_key', action: 'read' }] })).toEqual({
      ok: false,
      status: 400,
      message: 'Invalid request, not allowed to assign user permissions for an organization role.',
      detail: 'organization scoped roles may not contain user permissions',
    });
  });

  it('refuses negative and wildcard permissions, even from an owner', () => {
    const negative = create(owner, { organization_permissions: [{ negate: true, resource_type: 'workspace', action: 'create' }] });
    expect(negative).toEqual({
      ok: false,
      status: 400,
      message: 'Failed to update role permissions',
      detail: `org="${ORG_A}": invalid permission for action="create" type="workspace", no negative permissions`,
    });
    const wildcard = create(owner, { organization_permissions: [{ negate: false, resource_type: 'template', action: '*' }] });
    expect(wildcard.ok).toBe(false);
    if (!wildcard.ok) expect(wildcard.detail).toContain('no wildcard symbols');
  });

  it('refuses invalid permissions on create and drops them on update', () => {
    const bad = { organization_permissions: [
      { negate: false, resource_type: 'template', action: 'read' },
      { negate: false, resource_type: 'template', action: 'ssh' },
      { negate: false, resource_type: 'no_such_type', action: 'read' },
    ] };
    const created = create(owner, bad);
    expect(created.ok).toBe(false);
    if (!created.ok) {
      expect(created.detail).toBe(
        `invalid role: org="${ORG_A}": org invalid action "ssh" for resource "template"\n` +
          `org="${ORG_A}": org invalid resource type "no_such_type"`,
      );
    }
    const updated = validateCustomRoleRequest(request(bad), { organizationId: ORG_A, actor: owner, mode: 'update' });
    expect(updated.ok).toBe(true);
    if (updated.ok) expect(updated.role.org).toEqual([{ negate: false, resource_type: 'template', action: 'read' }]);
  });

  it('refuses permissions the actor does not hold in that org (escalation)', () => {
    // organization-user-admin cannot read templates, so it cannot hand that out.
    expect(create(orgUserAdmin)).toEqual({
      ok: false,
      status: 400,
      message: 'Failed to update role permissions',
      detail: `org="${ORG_A}": invalid permission for action="read" type="template", not allowed to grant this permission`,
    });
    // organization-admin has no workspace ssh.
    const ssh = create(orgAdmin, { organization_permissions: [{ negate: false, resource_type: 'workspace', action: 'ssh' }] });
    expect(ssh.ok).toBe(false);
    // An admin of A cannot write roles for B.
    const forB = validateCustomRoleRequest(request(), { organizationId: ORG_B, actor: orgAdmin, mode: 'create' });
    expect(forB.ok).toBe(false);
    // Member-level permissions are refused outright through the API (newest Coder), even for owners.
    for (const who of [orgAdmin, owner]) {
      expect(
        create(who, {
          organization_permissions: [],
          organization_member_permissions: [{ negate: false, resource_type: 'workspace', action: 'read' }],
        }),
      ).toEqual({
        ok: false,
        status: 400,
        message: 'Invalid request, not allowed to assign organization member permissions for an organization role.',
        detail: 'organization scoped roles may not contain organization member permissions',
      });
    }
    expect(create(owner, { organization_permissions: [{ negate: false, resource_type: 'workspace', action: 'ssh' }] }).ok).toBe(true);
  });

  it('gates managing custom roles on assign_org_role in the org', () => {
    expect(canManageCustomRoles(owner, ORG_A, 'create')).toBe(true);
    expect(canManageCustomRoles(orgAdmin, ORG_A, 'create')).toBe(true);
    expect(canManageCustomRoles(orgAdmin, ORG_A, 'delete')).toBe(true);
    expect(canManageCustomRoles(orgAdmin, ORG_B, 'create')).toBe(false);
    expect(canManageCustomRoles(orgUserAdmin, ORG_A, 'create')).toBe(false);
    expect(canManageCustomRoles(orgUserAdmin, ORG_A, 'read')).toBe(true);
    expect(canManageCustomRoles(actor(['user-admin']), ORG_A, 'update')).toBe(false);
  });
});
