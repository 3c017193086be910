import { afterEach, describe, expect, it } from 'vitest';
import {
  ACTIONS,
  InvalidRoleIdentifierError,
  RESOURCE_TYPES,
  builtInDisplayName,
  builtInRole,
  configureBuiltInRoles,
  expandRoles,
  formatRoleIdentifier,
  isBuiltInRoleName,
  isReservedRoleName,
  isValidPermission,
  orgBuiltInRoles,
  orgMemberPermissions,
  orgRoleNames,
  parseRoleIdentifier,
  roleFromCustomRoleRow,
  roleToSdk,
  siteBuiltInRoles,
  siteRoleNames,
  slimRole,
  type Role,
} from '../../src/rbac/index.js';

const ORG = '7c60d51f-b44e-4682-87d6-449835ea4de6';

describe('policy table', () => {
  it('knows the types and actions clients ask about', () => {
    for (const type of ['workspace', 'workspace_dormant', 'prebuilt_workspace', 'template', 'file',
      'provisioner_daemon', 'provisioner_jobs', 'organization', 'organization_member', 'assign_role',
      'assign_org_role', 'audit_log', 'group', 'group_member', 'user', 'idpsync_settings']) {
      expect(RESOURCE_TYPES).toContain(type);
    }
    expect(ACTIONS).toContain('use_shared');
    expect(isValidPermission('workspace', 'ssh')).toBe(true);
    expect(isValidPermission('workspace', 'use_shared')).toBe(true);
    expect(isValidPermission('template', 'ssh')).toBe(false);
    expect(isValidPermission('template', '*')).toBe(true);
    expect(isValidPermission('*', 'anything')).toBe(true);
    expect(isValidPermission('no_such_type', 'read')).toBe(false);
    expect(isValidPermission('prebuilt_workspace', 'read')).toBe(false);
    expect(isValidPermission('group_member', 'read')).toBe(true);
    expect(isValidPermission('group_member', 'update')).toBe(false);
  });

  it('every built-in role only uses valid permissions', () => {
    const roles: Role[] = [...siteBuiltInRoles(), ...orgBuiltInRoles(ORG)];
    for (const role of roles) {
      for (const p of [...role.site, ...role.org, ...role.user, ...role.member]) {
        expect(isValidPermission(p.resource_type, p.action), `${role.name} ${p.resource_type}:${p.action}`).toBe(true);
      }
    }
  });
});

describe('role identifiers', () => {
  it('parses site and org identifiers', () => {
    expect(parseRoleIdentifier('owner')).toEqual({ name: 'owner', organizationId: '' });
    expect(parseRoleIdentifier(`organization-admin:${ORG.toUpperCase()}`)).toEqual({
      name: 'organization-admin',
      organizationId: ORG,
    });
    expect(parseRoleIdentifier(`x:${ORG.replaceAll('-', '')}`).organizationId).toBe(ORG);
    // The nil uuid means site-wide.
    expect(parseRoleIdentifier('member:00000000-0000-0000-0000-000000000000')).toEqual({
      name: 'member',
      organizationId: '',
    });
  });

  it('rejects empty names, extra colons and bad uuids', () => {
    expect(() => parseRoleIdentifier('')).toThrow('role cannot be the empty string');
    expect(() => parseRoleIdentifier(`:${ORG}`)).toThrow('role cannot be the empty string');
    expect(() => parseRoleIdentifier(`a:b:${ORG}`)).toThrow('too many colons in role name');
    expect(() => parseRoleIdentifier('a:not-a-uuid')).toThrow('"not-a-uuid" not a valid uuid');
    expect(() => parseRoleIdentifier('a:')).toThrow(InvalidRoleIdentifierError);
  });

  it('formats back to the text form', () => {
    for (const text of ['owner', `organization-admin:${ORG}`]) {
      expect(formatRoleIdentifier(parseRoleIdentifier(text))).toBe(text);
    }
  });
});

describe('built-in roles', () => {
  afterEach(() => configureBuiltInRoles({}));

  it('has the site and org role names of newest Coder', () => {
    expect([...siteRoleNames].sort()).toEqual(['auditor', 'member', 'owner', 'template-admin', 'user-admin']);
    for (const name of ['organization-admin', 'organization-member', 'organization-auditor',
      'organization-user-admin', 'organization-template-admin', 'organization-workspace-creation-ban',
      'organization-workspace-access']) {
      expect(orgRoleNames).toContain(name);
      expect(isBuiltInRoleName(name)).toBe(true);
    }
  });

  it('resolves only with the right scope', () => {
    expect(builtInRole('owner')?.name).toBe('owner');
    expect(builtInRole(`owner:${ORG}`)).toBeUndefined();
    expect(builtInRole('organization-admin')).toBeUndefined();
    expect(builtInRole(`organization-admin:${ORG}`)?.organization_id).toBe(ORG);
    expect(builtInRole('no-such-role')).toBeUndefined();
    expect(builtInRole('owner:not-a-uuid')).toBeUndefined();
  });

  it('returns the same object for the same identifier, sharing permission arrays across orgs', () => {
    const a = builtInRole(`organization-admin:${ORG}`)!;
    expect(builtInRole(`organization-admin:${ORG}`)).toBe(a);
    const b = builtInRole('organization-admin:11111111-1111-1111-1111-111111111111')!;
    expect(b.org).toBe(a.org);
  });

  it('carries display names; system roles have none', () => {
    expect(builtInDisplayName('owner')).toBe('Owner');
    expect(builtInDisplayName('template-admin')).toBe('Template Admin');
    expect(builtInDisplayName('user-admin')).toBe('User Admin');
    expect(builtInDisplayName('organization-admin')).toBe('Organization Admin');
    expect(builtInDisplayName('organization-workspace-creation-ban')).toBe('Organization Workspace Creation Ban');
    expect(builtInDisplayName('organization-member')).toBe('');
    expect(builtInDisplayName('organization-service-account')).toBe('');
    expect(slimRole({ name: 'organization-auditor', organizationId: ORG })).toEqual({
      name: 'organization-auditor',
      display_name: 'Organization Auditor',
      organization_id: ORG,
    });
    expect(slimRole({ name: 'my-role', organizationId: ORG }, 'Mine').display_name).toBe('Mine');
  });

  it('reserves built-in, system and retired names', () => {
    for (const name of ['owner', 'member', 'organization-admin', 'organization-member', 'agents-access']) {
      expect(isReservedRoleName(name)).toBe(true);
    }
    expect(isReservedRoleName('my-role')).toBe(false);
    expect(isReservedRoleName('Owner')).toBe(false);
  });

  it('drops ssh and apps from owners when owner workspace access is disabled', () => {
    const has = (role: Role | undefined, action: string) =>
      role!.site.some((p) => p.resource_type === 'workspace' && p.action === action);
    expect(has(builtInRole('owner'), 'ssh')).toBe(true);
    configureBuiltInRoles({ noOwnerWorkspaceExec: true });
    expect(has(builtInRole('owner'), 'ssh')).toBe(false);
    expect(has(builtInRole('owner'), 'application_connect')).toBe(false);
    expect(has(builtInRole('owner'), 'read')).toBe(true);
  });

  it('adds site denials of sharing when sharing is disabled', () => {
    configureBuiltInRoles({ noWorkspaceSharing: true, noChatSharing: true });
    const denials = builtInRole('member')!.site.filter((p) => p.negate).map((p) => `${p.resource_type}:${p.action}`);
    expect(denials.sort()).toEqual(['chat:share', 'chat_project:share', 'workspace:share']);
  });

  it('shapes organization-member by the org sharing setting', () => {
    const none = orgMemberPermissions({ shareableWorkspaceOwners: 'none' });
    expect(none.org.some((p) => p.resource_type === 'organization_member')).toBe(false);
    expect(none.org).toContainEqual({ negate: true, resource_type: 'workspace', action: 'share' });
    const everyone = orgMemberPermissions({ shareableWorkspaceOwners: 'everyone' });
    expect(everyone.org).toContainEqual({ negate: false, resource_type: 'group', action: 'read' });
    expect(everyone.member.some((p) => p.negate)).toBe(false);
    const accounts = orgMemberPermissions({ shareableWorkspaceOwners: 'service_accounts' });
    expect(accounts.member).toContainEqual({ negate: true, resource_type: 'workspace', action: 'share' });
  });
});

describe('expansion and wire shape', () => {
  it('expands built-ins, finds custom roles, drops retired and vanished ones', () => {
    const custom: Role = roleFromCustomRoleRow({
      name: 'reader',
      display_name: 'Reader',
      organization_id: ORG,
      site_permissions: [],
      org_permissions: [{ negate: false, resource_type: 'template', action: 'read' }],
      user_permissions: [],
      member_permissions: [],
    });
    const roles = expandRoles(
      ['member', 'agents-access', `organization-member:${ORG}`, `reader:${ORG}`, `gone:${ORG}`, 'member', 'bad:id'],
      (id) => (id.name === 'reader' && id.organizationId === ORG ? custom : undefined),
    );
    expect(roles.map((r) => `${r.name}:${r.organization_id}`)).toEqual([
      'member:',
      `organization-member:${ORG}`,
      `reader:${ORG}`,
    ]);
  });

  it('converts to codersdk.Role with member permissions', () => {
    const sdk = roleToSdk(builtInRole(`organization-workspace-access:${ORG}`)!);
    expect(Object.keys(sdk).sort()).toEqual([
      'display_name',
      'name',
      'organization_id',
      'organization_member_permissions',
      'organization_permissions',
      'site_permissions',
      'user_permissions',
    ]);
    expect(sdk.organization_id).toBe(ORG);
    expect(sdk.organization_permissions).toEqual([]);
    expect(sdk.organization_member_permissions).toContainEqual({
      negate: false,
      resource_type: 'workspace',
      action: 'ssh',
    });
    expect(roleToSdk(builtInRole('owner')!).organization_id).toBe('');
  });
});
