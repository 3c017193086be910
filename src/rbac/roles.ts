// Roles: the permission sets a subject holds, the built-in ones (as in Coder's newest
// `coderd/rbac/roles.go`), role identifiers (`name` or `name:<org-uuid>`), expansion of stored role
// names into roles, and conversion to Coder's wire shapes.
//
// Built-in roles hand out *shared, frozen* permission arrays: every `organization-admin:<org>` holds
// the very same `org` array. The compiled-subject cache (authorize.ts) is keyed by array identity, so
// sharing them makes compiling a subject in a hundred orgs cost little more than in one.
import { RESOURCE_TYPES, WILDCARD, type Action, type ResourceType } from './policy.js';
import { NIL_UUID } from '../db/constants.js';

/** One grant (or, negated, one denial) of an action on a resource type. Wire shape of Coder's. */
export interface Permission {
  readonly negate: boolean;
  readonly resource_type: string;
  readonly action: string;
}

/**
 * A role as the authorizer sees it. Org-scoped roles carry their org in `organization_id` and
 * their org-level (`org`) and org-member-level (`member`) permissions apply to that org only.
 * Site roles have `organization_id === ''` and empty `org`/`member`.
 * Permission arrays must be treated as immutable once a role is built (they are cache keys).
 */
export interface Role {
  readonly name: string;
  readonly organization_id: string;
  readonly display_name: string;
  readonly site: readonly Permission[];
  readonly org: readonly Permission[];
  readonly user: readonly Permission[];
  readonly member: readonly Permission[];
}

// ---------------------------------------------------------------------------------------------
// Names

export const ROLE_OWNER = 'owner';
export const ROLE_MEMBER = 'member';
export const ROLE_AUDITOR = 'auditor';
export const ROLE_TEMPLATE_ADMIN = 'template-admin';
export const ROLE_USER_ADMIN = 'user-admin';

export const ROLE_ORG_ADMIN = 'organization-admin';
export const ROLE_ORG_MEMBER = 'organization-member';
export const ROLE_ORG_SERVICE_ACCOUNT = 'organization-service-account';
export const ROLE_ORG_AUDITOR = 'organization-auditor';
export const ROLE_ORG_USER_ADMIN = 'organization-user-admin';
export const ROLE_ORG_TEMPLATE_ADMIN = 'organization-template-admin';
export const ROLE_ORG_WORKSPACE_CREATION_BAN = 'organization-workspace-creation-ban';
export const ROLE_ORG_WORKSPACE_ACCESS = 'organization-workspace-access';

/** Placeholders used only by the assignment matrix to mean "any custom role". */
export const ROLE_CUSTOM_SITE = 'custom-site-role';
export const ROLE_CUSTOM_ORGANIZATION = 'custom-organization-role';

/** Built-in site role names, in the order Coder lists them. */
export const siteRoleNames: readonly string[] = Object.freeze([
  ROLE_OWNER,
  ROLE_MEMBER,
  ROLE_AUDITOR,
  ROLE_TEMPLATE_ADMIN,
  ROLE_USER_ADMIN,
]);

/**
 * Built-in org role names. `organization-member` and `organization-service-account` are Coder's
 * per-org *system* roles (no display name, so never listed or offered); the rest are assignable.
 */
export const orgRoleNames: readonly string[] = Object.freeze([
  ROLE_ORG_ADMIN,
  ROLE_ORG_MEMBER,
  ROLE_ORG_AUDITOR,
  ROLE_ORG_USER_ADMIN,
  ROLE_ORG_TEMPLATE_ADMIN,
  ROLE_ORG_WORKSPACE_CREATION_BAN,
  ROLE_ORG_WORKSPACE_ACCESS,
  ROLE_ORG_SERVICE_ACCOUNT,
]);

/** Roles every new organization grants its members (Coder's `DefaultOrgMemberRoles`). */
export function defaultOrgMemberRoles(): string[] {
  return [ROLE_ORG_WORKSPACE_ACCESS];
}

// Names a custom role can never take although no built-in answers to them any more: a retired
// built-in stays reserved so an older binary cannot resolve it to something else, and expands to
// nothing if still stored on a user.
const RETIRED_ROLE_NAMES: ReadonlySet<string> = new Set(['agents-access']);

const SITE_ROLE_SET: ReadonlySet<string> = new Set(siteRoleNames);
const ORG_ROLE_SET: ReadonlySet<string> = new Set(orgRoleNames);

export function isBuiltInRoleName(name: string): boolean {
  return SITE_ROLE_SET.has(name) || ORG_ROLE_SET.has(name);
}

export function isSiteRoleName(name: string): boolean {
  return SITE_ROLE_SET.has(name);
}

export function isOrgRoleName(name: string): boolean {
  return ORG_ROLE_SET.has(name);
}

export function isRetiredRoleName(name: string): boolean {
  return RETIRED_ROLE_NAMES.has(name);
}

/** A custom role may not use this name (built-in, system or retired; case-sensitive like Coder). */
export function isReservedRoleName(name: string): boolean {
  return isBuiltInRoleName(name) || RETIRED_ROLE_NAMES.has(name);
}

// ---------------------------------------------------------------------------------------------
// Identifiers

/** A role's identity: its name plus its org ('' for site-wide roles). */
export interface RoleIdentifier {
  readonly name: string;
  readonly organizationId: string;
}

export class InvalidRoleIdentifierError extends Error {
  override readonly name = 'InvalidRoleIdentifierError';
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
const UUID36 = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Canonical lower-case hyphenated form of a UUID in any of the spellings Go's `uuid.Parse`
 * accepts (hyphenated, 32 hex digits, `{...}`, `urn:uuid:`), or undefined.
 */
export function normalizeUuid(input: string): string | undefined {
  let s = input;
  if (s.length === 45 && s.slice(0, 9).toLowerCase() === 'urn:uuid:') s = s.slice(9);
  else if (s.length === 38 && s[0] === '{' && s[37] === '}') s = s.slice(1, 37);
  if (UUID36.test(s)) return s.toLowerCase();
  if (HEX32.test(s)) {
    const h = s.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return undefined;
}

/** Parses `name` or `name:<org-uuid>`. Throws InvalidRoleIdentifierError. */
export function parseRoleIdentifier(input: string): RoleIdentifier {
  const parts = input.split(':');
  if (parts.length > 2) throw new InvalidRoleIdentifierError('too many colons in role name');
  const name = parts[0];
  if (name === '') throw new InvalidRoleIdentifierError('role cannot be the empty string');
  if (parts.length === 1) return { name, organizationId: '' };
  const org = normalizeUuid(parts[1]);
  if (org === undefined) {
    throw new InvalidRoleIdentifierError(`"${parts[1]}" not a valid uuid`);
  }
  // A nil org means "site-wide", as Coder's identifier treats uuid.Nil.
  return { name, organizationId: org === NIL_UUID ? '' : org };
}

/** Same as parseRoleIdentifier, without throwing. */
export function tryParseRoleIdentifier(input: string): RoleIdentifier | undefined {
  try {
    return parseRoleIdentifier(input);
  } catch {
    return undefined;
  }
}

/** `name` for site roles, `name:<org>` for org roles. */
export function formatRoleIdentifier(id: RoleIdentifier): string {
  return id.organizationId === '' ? id.name : `${id.name}:${id.organizationId}`;
}

export function roleIdentifierOf(role: Role): RoleIdentifier {
  return { name: role.name, organizationId: role.organization_id };
}

// ---------------------------------------------------------------------------------------------
// Permission list builders

type PermissionMap = Partial<Record<ResourceType, readonly (Action | typeof WILDCARD)[]>>;

/** Grants from a type -> actions map, sorted by type (Coder's deterministic order), de-duplicated. */
function grants(map: PermissionMap): Permission[] {
  const out: Permission[] = [];
  const types = (Object.keys(map) as ResourceType[]).sort();
  for (const type of types) {
    const seen = new Set<string>();
    for (const action of map[type] ?? []) {
      if (seen.has(action)) continue;
      seen.add(action);
      out.push({ negate: false, resource_type: type, action });
    }
  }
  return out;
}

function denials(pairs: ReadonlyArray<readonly [ResourceType, Action]>): Permission[] {
  return pairs.map(([resource_type, action]) => ({ negate: true, resource_type, action }));
}

/** `type:*` for every resource type except the listed ones (the wildcard type is never included). */
function everyTypeExcept(...excluded: ResourceType[]): Permission[] {
  const skip = new Set<string>(excluded);
  return RESOURCE_TYPES.filter((t) => !skip.has(t)).map((t) => ({
    negate: false,
    resource_type: t,
    action: WILDCARD,
  }));
}

function freezeList(list: Permission[]): readonly Permission[] {
  for (const p of list) Object.freeze(p);
  return Object.freeze(list);
}

const NONE: readonly Permission[] = Object.freeze([]);

const ALL_WORKSPACE_ACTIONS: readonly Action[] = [
  'application_connect',
  'create',
  'create_agent',
  'delete',
  'delete_agent',
  'read',
  'share',
  'ssh',
  'start',
  'stop',
  'update',
  'update_agent',
  'use_shared',
];

// Dormant workspaces: everything but building (start), exec (ssh, apps) and sharing.
const DORMANT_WORKSPACE_ACTIONS: readonly Action[] = [
  'read',
  'delete',
  'create',
  'update',
  'stop',
  'create_agent',
  'delete_agent',
  'update_agent',
];

// ---------------------------------------------------------------------------------------------
// Deployment options and org settings that change built-in roles

/** Deployment options that reshape built-in roles at boot (Coder's `RoleOptions`). */
export interface BuiltInRoleOptions {
  /** `--disable-owner-workspace-access`: owners lose ssh and application_connect on workspaces. */
  noOwnerWorkspaceExec?: boolean;
  /** Workspace sharing disabled deployment-wide: members get a site-level deny of workspace share. */
  noWorkspaceSharing?: boolean;
  /** Chat sharing disabled deployment-wide: site-level denies of share on chats and chat projects. */
  noChatSharing?: boolean;
}

/** Who may own shared workspaces in an org; shapes the per-org system roles. */
export type ShareableWorkspaceOwners = 'none' | 'everyone' | 'service_accounts';

export interface OrgSettings {
  shareableWorkspaceOwners: ShareableWorkspaceOwners;
}

/** Used when the org's sharing setting is not known (Coder's default is to allow sharing). */
export const DEFAULT_ORG_SETTINGS: OrgSettings = Object.freeze({ shareableWorkspaceOwners: 'everyone' });

interface OrgLevelPermissions {
  readonly org: readonly Permission[];
  readonly member: readonly Permission[];
}

/** Permissions of the `organization-member` system role for an org with these settings. */
export function orgMemberPermissions(settings: OrgSettings): OrgLevelPermissions {
  const orgMap: PermissionMap = {
    provisioner_daemon: ['read'],
    organization: ['read'],
    assign_org_role: ['read'],
    chat_project: ['create'],
  };
  // Unless sharing is off, members must see each other (to share, or to reach shared workspaces).
  if (settings.shareableWorkspaceOwners !== 'none') orgMap.organization_member = ['read'];
  // When anyone can share, they also need to see groups to share with.
  if (settings.shareableWorkspaceOwners === 'everyone') orgMap.group = ['read'];
  const org = grants(orgMap);
  // Sharing off: an org-level deny beats every grant in the org, org-admin's included.
  if (settings.shareableWorkspaceOwners === 'none') org.push(...denials([['workspace', 'share']]));

  const member = grants({
    organization_member: ['read'],
    group_member: ['read'],
    aibridge_interception: ['create', 'update'],
    api_key: ['create', 'read', 'update', 'delete'],
    notification_message: ['read', 'update'],
    notification_preference: ['read', 'update'],
    inbox_notification: ['create', 'read', 'update'],
    chat: ['create', 'read', 'share', 'update'],
    chat_project: ['read', 'update', 'delete', 'share'],
  });
  if (settings.shareableWorkspaceOwners !== 'everyone') member.push(...denials([['workspace', 'share']]));
  return { org: freezeList(org), member: freezeList(member) };
}

/** Permissions of the `organization-service-account` system role (org-member without chats). */
export function orgServiceAccountPermissions(settings: OrgSettings): OrgLevelPermissions {
  const orgMap: PermissionMap = {
    provisioner_daemon: ['read'],
    organization: ['read'],
    assign_org_role: ['read'],
  };
  if (settings.shareableWorkspaceOwners !== 'none') {
    orgMap.organization_member = ['read'];
    orgMap.group = ['read'];
  }
  const org = grants(orgMap);
  if (settings.shareableWorkspaceOwners === 'none') org.push(...denials([['workspace', 'share']]));
  const member = grants({
    organization_member: ['read'],
    group_member: ['read'],
    aibridge_interception: ['create', 'update'],
    api_key: ['create', 'read', 'update', 'delete'],
    notification_message: ['read', 'update'],
    notification_preference: ['read', 'update'],
    inbox_notification: ['create', 'read', 'update'],
  });
  return { org: freezeList(org), member: freezeList(member) };
}

// ---------------------------------------------------------------------------------------------
// The built-in role table

interface BuiltInRoleDefinition {
  readonly name: string;
  readonly displayName: string;
  readonly orgScoped: boolean;
  readonly site: readonly Permission[];
  readonly user: readonly Permission[];
  /** Org-scoped roles only; a function so system roles can follow per-org settings. */
  readonly orgLevels: (settings: OrgSettings) => OrgLevelPermissions;
}

const NO_ORG_LEVELS = (): OrgLevelPermissions => ({ org: NONE, member: NONE });

function buildDefinitions(options: BuiltInRoleOptions): Map<string, BuiltInRoleDefinition> {
  const siteDenials: Permission[] = [];
  if (options.noWorkspaceSharing) siteDenials.push(...denials([['workspace', 'share']]));
  if (options.noChatSharing) {
    siteDenials.push(
      ...denials([
        ['chat', 'share'],
        ['chat_project', 'share'],
      ]),
    );
  }

  const ownerWorkspaceActions = options.noOwnerWorkspaceExec
    ? ALL_WORKSPACE_ACTIONS.filter((a) => a !== 'ssh' && a !== 'application_connect')
    : ALL_WORKSPACE_ACTIONS;

  const owner = freezeList([
    // Owners may do anything, except on a short list of types handled explicitly below; other
    // users' secrets, usage events, boundary usage and AI seats are out of their reach entirely.
    ...everyTypeExcept(
      'workspace_dormant',
      'prebuilt_workspace',
      'workspace',
      'user_secret',
      'user_skill',
      'usage_event',
      'boundary_usage',
      'boundary_log',
      'ai_seat',
      'ai_gateway_key',
    ),
    ...grants({
      workspace: ownerWorkspaceActions,
      workspace_dormant: DORMANT_WORKSPACE_ACTIONS,
      // Inspect and remove personal skills (abuse handling), never author them.
      user_skill: ['read', 'delete'],
      // Updating a gateway key records liveness and is reserved to the system.
      ai_gateway_key: ['create', 'read', 'delete'],
      prebuilt_workspace: ['update', 'delete'],
      boundary_log: ['read'],
    }),
  ]);

  const memberSite = freezeList([
    ...grants({
      assign_role: ['read'],
      oauth2_app: ['read'],
      workspace_proxy: ['read'],
    }),
    ...siteDenials,
  ]);
  const memberUser = freezeList([
    // Everything on what the user owns outside any org, except types that are either org-owned
    // (workspaces), not self-manageable (their own user row, memberships) or read by auditors only.
    ...everyTypeExcept(
      'workspace_dormant',
      'prebuilt_workspace',
      'workspace',
      'user',
      'organization_member',
      'boundary_usage',
      'boundary_log',
      'aibridge_interception',
      'chat',
      'ai_seat',
    ),
    ...grants({
      user: ['read', 'read_personal', 'update_personal'],
      provisioner_daemon: ['read', 'create', 'update'],
      aibridge_interception: ['create', 'update'],
      boundary_log: ['create'],
    }),
  ]);

  const auditor = freezeList(
    grants({
      assign_org_role: ['read'],
      audit_log: ['read'],
      connection_log: ['read'],
      template: ['read', 'view_insights'],
      user: ['read'],
      group: ['read'],
      group_member: ['read'],
      organization: ['read'],
      organization_member: ['read'],
      deployment_stats: ['read'],
      deployment_config: ['read'],
      chat_model_config: ['read'],
      aibridge_interception: ['read'],
      boundary_log: ['read'],
    }),
  );

  const templateAdmin = freezeList(
    grants({
      assign_org_role: ['read'],
      template: ['create', 'read', 'update', 'delete', 'use', 'view_insights'],
      file: ['create', 'read'],
      workspace: ['read'],
      workspace_dormant: ['read'],
      prebuilt_workspace: ['update', 'delete'],
      provisioner_daemon: ['create', 'read', 'update', 'delete'],
      user: ['read'],
      group: ['read'],
      group_member: ['read'],
      organization: ['read'],
      organization_member: ['read'],
    }),
  );

  const userAdmin = freezeList(
    grants({
      assign_role: ['assign', 'unassign', 'read'],
      // Creating a user always places them in an org, so org roles are needed too.
      assign_org_role: ['assign', 'unassign', 'read'],
      user: ['create', 'read', 'update', 'delete', 'update_personal', 'read_personal'],
      group: ['create', 'read', 'update', 'delete'],
      group_member: ['read'],
      organization: ['read'],
      organization_member: ['create', 'read', 'update', 'delete'],
      idpsync_settings: ['read', 'update'],
    }),
  );

  // Org-scoped admins need to find users before adding them to the org.
  const readUsers = freezeList(grants({ user: ['read'] }));

  const orgAdminOrg = freezeList([
    ...everyTypeExcept(
      'workspace',
      'workspace_dormant',
      'prebuilt_workspace',
      'assign_role',
      'user_secret',
      'boundary_usage',
      'boundary_log',
      'ai_seat',
      'workspace_build_orchestration',
    ),
    ...grants({
      // No exec into members' workspaces.
      workspace: ALL_WORKSPACE_ACTIONS.filter((a) => a !== 'application_connect' && a !== 'ssh'),
      workspace_dormant: DORMANT_WORKSPACE_ACTIONS,
      prebuilt_workspace: ['update', 'delete'],
    }),
  ]);
  const orgAdminLevels: OrgLevelPermissions = { org: orgAdminOrg, member: NONE };

  const orgAuditorLevels: OrgLevelPermissions = {
    org: freezeList(
      grants({
        audit_log: ['read'],
        connection_log: ['read'],
        template: ['read', 'view_insights'],
        group: ['read'],
        group_member: ['read'],
        organization: ['read'],
        organization_member: ['read'],
        chat_model_config: ['read'],
      }),
    ),
    member: NONE,
  };

  const orgUserAdminLevels: OrgLevelPermissions = {
    org: freezeList(
      grants({
        assign_org_role: ['assign', 'unassign', 'read'],
        organization: ['read'],
        organization_member: ['create', 'read', 'update', 'delete'],
        group: ['create', 'read', 'update', 'delete'],
        group_member: ['read'],
        idpsync_settings: ['read', 'update'],
      }),
    ),
    member: NONE,
  };

  const orgTemplateAdminLevels: OrgLevelPermissions = {
    org: freezeList(
      grants({
        template: ['create', 'read', 'update', 'delete', 'use', 'view_insights'],
        file: ['create', 'read'],
        workspace: ['read'],
        workspace_dormant: ['read'],
        prebuilt_workspace: ['update', 'delete'],
        organization: ['read'],
        organization_member: ['read'],
        group: ['read'],
        group_member: ['read'],
        provisioner_daemon: ['create', 'read', 'update', 'delete'],
        provisioner_jobs: ['read', 'update', 'create'],
      }),
    ),
    member: NONE,
  };

  // Negative permissions at org level: they beat any grant in that org, from any role.
  const creationBanLevels: OrgLevelPermissions = {
    org: freezeList(
      denials([
        ['workspace', 'create'],
        ['workspace', 'delete'],
        ['workspace', 'create_agent'],
        ['workspace', 'delete_agent'],
      ]),
    ),
    member: NONE,
  };

  const workspaceAccessLevels: OrgLevelPermissions = {
    org: NONE,
    member: freezeList(
      grants({
        workspace: ALL_WORKSPACE_ACTIONS,
        workspace_dormant: DORMANT_WORKSPACE_ACTIONS,
        // Template files used while building.
        file: ['create', 'read'],
        // User-scoped provisioner daemons.
        provisioner_daemon: ['create', 'read'],
      }),
    ),
  };

  // System roles follow the org's sharing settings; the default settings' lists are built once.
  const defaultMemberLevels = orgMemberPermissions(DEFAULT_ORG_SETTINGS);
  const defaultServiceAccountLevels = orgServiceAccountPermissions(DEFAULT_ORG_SETTINGS);
  const memberLevelsFor = (s: OrgSettings) =>
    s.shareableWorkspaceOwners === DEFAULT_ORG_SETTINGS.shareableWorkspaceOwners
      ? defaultMemberLevels
      : orgMemberPermissions(s);
  const serviceAccountLevelsFor = (s: OrgSettings) =>
    s.shareableWorkspaceOwners === DEFAULT_ORG_SETTINGS.shareableWorkspaceOwners
      ? defaultServiceAccountLevels
      : orgServiceAccountPermissions(s);

  const site = (name: string, displayName: string, sitePerms: readonly Permission[], user = NONE) =>
    ({ name, displayName, orgScoped: false, site: sitePerms, user, orgLevels: NO_ORG_LEVELS }) as const;
  const org = (
    name: string,
    displayName: string,
    levels: (s: OrgSettings) => OrgLevelPermissions,
    sitePerms: readonly Permission[] = NONE,
  ) => ({ name, displayName, orgScoped: true, site: sitePerms, user: NONE, orgLevels: levels }) as const;

  const definitions: BuiltInRoleDefinition[] = [
    site(ROLE_OWNER, 'Owner', owner),
    site(ROLE_MEMBER, 'Member', memberSite, memberUser),
    site(ROLE_AUDITOR, 'Auditor', auditor),
    site(ROLE_TEMPLATE_ADMIN, 'Template Admin', templateAdmin),
    site(ROLE_USER_ADMIN, 'User Admin', userAdmin),
    org(ROLE_ORG_ADMIN, 'Organization Admin', () => orgAdminLevels, readUsers),
    org(ROLE_ORG_MEMBER, '', memberLevelsFor),
    org(ROLE_ORG_AUDITOR, 'Organization Auditor', () => orgAuditorLevels),
    org(ROLE_ORG_USER_ADMIN, 'Organization User Admin', () => orgUserAdminLevels, readUsers),
    org(ROLE_ORG_TEMPLATE_ADMIN, 'Organization Template Admin', () => orgTemplateAdminLevels),
    org(ROLE_ORG_WORKSPACE_CREATION_BAN, 'Organization Workspace Creation Ban', () => creationBanLevels),
    org(ROLE_ORG_WORKSPACE_ACCESS, 'Organization Workspace Access', () => workspaceAccessLevels),
    org(ROLE_ORG_SERVICE_ACCOUNT, '', serviceAccountLevelsFor),
  ];
  return new Map(definitions.map((d) => [d.name, d]));
}

let definitions = buildDefinitions({});
let currentOptions: BuiltInRoleOptions = {};

// Built roles are memoized per identifier so the same objects (and arrays) come back for every
// request; bounded because orgs come and go.
const MAX_MEMOIZED_ROLES = 100_000;
let memoizedRoles = new Map<string, Role>();

/**
 * Rebuilds the built-in roles for these deployment options (Coder's `ReloadBuiltinRoles`). Call at
 * boot; roles built before the call keep their old permissions.
 */
export function configureBuiltInRoles(options: BuiltInRoleOptions): void {
  currentOptions = { ...options };
  definitions = buildDefinitions(currentOptions);
  memoizedRoles = new Map();
}

export function builtInRoleOptions(): Readonly<BuiltInRoleOptions> {
  return currentOptions;
}

/** Display name of a built-in role ('' for system roles and unknown names). */
export function builtInDisplayName(name: string): string {
  return definitions.get(name)?.displayName ?? '';
}

/**
 * The built-in role for an identifier, or undefined when no built-in answers to it: unknown name,
 * an org role without an org, or a site role with one (a custom org role may share a site role's
 * name and must not resolve to it).
 */
export function builtInRole(id: RoleIdentifier | string, orgSettings?: OrgSettings): Role | undefined {
  const identifier = typeof id === 'string' ? tryParseRoleIdentifier(id) : id;
  if (identifier === undefined) return undefined;
  const definition = definitions.get(identifier.name);
  if (definition === undefined) return undefined;
  if (definition.orgScoped !== (identifier.organizationId !== '')) return undefined;

  const useMemo =
    orgSettings === undefined ||
    orgSettings.shareableWorkspaceOwners === DEFAULT_ORG_SETTINGS.shareableWorkspaceOwners;
  const memoKey = useMemo ? formatRoleIdentifier(identifier) : '';
  if (useMemo) {
    const memoized = memoizedRoles.get(memoKey);
    if (memoized !== undefined) return memoized;
  }

  const levels = definition.orgLevels(orgSettings ?? DEFAULT_ORG_SETTINGS);
  const role: Role = Object.freeze({
    name: definition.name,
    organization_id: identifier.organizationId,
    display_name: definition.displayName,
    site: definition.site,
    org: levels.org,
    user: definition.user,
    member: levels.member,
  });
  if (useMemo) {
    if (memoizedRoles.size >= MAX_MEMOIZED_ROLES) memoizedRoles.clear();
    memoizedRoles.set(memoKey, role);
  }
  return role;
}

/** Every built-in site role (for listing). */
export function siteBuiltInRoles(): Role[] {
  return siteRoleNames.map((name) => builtInRole({ name, organizationId: '' })!);
}

/** Every built-in org role of an org (for listing), system roles included. */
export function orgBuiltInRoles(organizationId: string, orgSettings?: OrgSettings): Role[] {
  return orgRoleNames.map((name) => builtInRole({ name, organizationId }, orgSettings)!);
}

// ---------------------------------------------------------------------------------------------
// Expansion of stored role identifiers

/**
 * Resolves role identifiers into roles: retired names expand to nothing, built-ins come from the
 * table, anything else is asked of `findCustomRole` and silently dropped when it no longer exists
 * (as Coder's rolestore does: a deleted custom role grants nothing).
 */
export function expandRoles(
  identifiers: Iterable<RoleIdentifier | string>,
  findCustomRole?: (id: RoleIdentifier) => Role | undefined,
  orgSettingsOf?: (organizationId: string) => OrgSettings | undefined,
): Role[] {
  const roles: Role[] = [];
  const seen = new Set<string>();
  for (const raw of identifiers) {
    const id = typeof raw === 'string' ? tryParseRoleIdentifier(raw) : raw;
    if (id === undefined || RETIRED_ROLE_NAMES.has(id.name)) continue;
    const key = formatRoleIdentifier(id);
    if (seen.has(key)) continue;
    seen.add(key);
    const settings = id.organizationId === '' ? undefined : orgSettingsOf?.(id.organizationId);
    const role = builtInRole(id, settings) ?? findCustomRole?.(id);
    if (role !== undefined) roles.push(role);
  }
  return roles;
}

/** A stored custom role row (table `custom_roles`) as the authorizer's Role. */
export interface CustomRoleRow {
  name: string;
  display_name: string;
  organization_id: string | null;
  site_permissions: readonly Permission[];
  org_permissions: readonly Permission[];
  user_permissions: readonly Permission[];
  member_permissions: readonly Permission[];
}

export function roleFromCustomRoleRow(row: CustomRoleRow): Role {
  const organizationId = row.organization_id ?? '';
  return {
    name: row.name,
    organization_id: organizationId,
    display_name: row.display_name,
    site: row.site_permissions,
    // Org-level permissions without an org would apply nowhere; keep the shape honest.
    org: organizationId === '' ? NONE : row.org_permissions,
    user: row.user_permissions,
    member: organizationId === '' ? NONE : row.member_permissions,
  };
}

// ---------------------------------------------------------------------------------------------
// Wire shapes (codersdk)

export interface SdkPermission {
  negate: boolean;
  resource_type: string;
  action: string;
}

/** codersdk.Role. `organization_member_permissions` exists in Coder's newest SDK. */
export interface SdkRole {
  name: string;
  organization_id: string;
  display_name: string;
  site_permissions: SdkPermission[];
  organization_permissions: SdkPermission[];
  user_permissions: SdkPermission[];
  organization_member_permissions: SdkPermission[];
}

/** codersdk.AssignableRoles: a role plus whether the caller may assign it and whether it is built in. */
export interface SdkAssignableRole extends SdkRole {
  assignable: boolean;
  built_in: boolean;
}

/** codersdk.SlimRole. */
export interface SdkSlimRole {
  name: string;
  display_name: string;
  organization_id: string;
}

function toSdkPermissions(list: readonly Permission[]): SdkPermission[] {
  return list.map((p) => ({ negate: p.negate, resource_type: p.resource_type, action: p.action }));
}

export function roleToSdk(role: Role): SdkRole {
  return {
    name: role.name,
    organization_id: role.organization_id,
    display_name: role.display_name,
    site_permissions: toSdkPermissions(role.site),
    organization_permissions: toSdkPermissions(role.org),
    user_permissions: toSdkPermissions(role.user),
    organization_member_permissions: toSdkPermissions(role.member),
  };
}

export function assignableRoleToSdk(role: Role, assignable: boolean, builtIn: boolean): SdkAssignableRole {
  return { ...roleToSdk(role), assignable, built_in: builtIn };
}

/**
 * The slim form used in user and member payloads. Built-in names get their display name; custom
 * roles need theirs passed in (they live in the database).
 */
export function slimRole(id: RoleIdentifier, customDisplayName = ''): SdkSlimRole {
  const builtIn = definitions.get(id.name);
  const displayName =
    builtIn !== undefined && builtIn.orgScoped === (id.organizationId !== '')
      ? builtIn.displayName
      : customDisplayName;
  return { name: id.name, display_name: displayName, organization_id: id.organizationId };
}
