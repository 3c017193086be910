// The RBAC vocabulary: every resource type a permission or an authorization check can name, and the
// actions that are legal for it. This mirrors Coder's `coderd/rbac/policy/policy.go` (newest seen),
// so that `POST /authcheck` answers for every type Coder's clients ask about, and so custom roles are
// validated against the same table.
//
// The table is the union of the newest files read: it carries `use_shared` and `share` on workspaces,
// `share` on chat projects, and the AI/chat types. A type or action outside the table is still
// accepted by the authorizer (Coder's policy rejects nothing by type; a `*` permission matches it),
// it is only rejected where a permission is *validated* (custom roles).

/** The wildcard: as a resource type it matches every type, as an action every action. */
export const WILDCARD = '*';

/** Every action (verb) known to the policy. */
export const ACTIONS = [
  'application_connect',
  'assign',
  'create',
  'create_agent',
  'delete',
  'delete_agent',
  'read',
  'read_personal',
  'share',
  'ssh',
  'start',
  'stop',
  'unassign',
  'update',
  'update_agent',
  'update_personal',
  'use',
  'use_shared',
  'view_insights',
] as const;

export type Action = (typeof ACTIONS)[number];

// Workspaces and dormant workspaces share one action set (dormant workspaces can be stopped but
// the role tables simply do not grant `start` on them). `use_shared` is never performed on an
// object: the policy reads it from the subject's member-level permissions to decide whether ACL
// grants (workspace sharing) count at all.
const WORKSPACE_ACTIONS = [
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
] as const satisfies readonly Action[];

const CRUD = ['create', 'read', 'update', 'delete'] as const satisfies readonly Action[];

/** Resource type -> legal actions. The wildcard type has no actions of its own. */
export const RESOURCE_ACTIONS = {
  '*': [],
  ai_gateway_key: CRUD,
  ai_model_price: ['read', 'update'],
  ai_provider: CRUD,
  ai_seat: ['create', 'read'],
  aibridge_interception: ['create', 'read', 'update'],
  api_key: CRUD,
  assign_org_role: ['assign', 'unassign', 'create', 'read', 'update', 'delete'],
  assign_role: ['assign', 'unassign', 'read'],
  audit_log: ['create', 'read'],
  boundary_log: ['create', 'read', 'delete'],
  boundary_usage: ['read', 'update', 'delete'],
  chat: ['create', 'read', 'update', 'delete', 'share'],
  chat_automation: CRUD,
  chat_model_config: ['create', 'read', 'update', 'delete', 'share'],
  chat_project: ['create', 'read', 'update', 'delete', 'share'],
  connection_log: ['read', 'update'],
  crypto_key: CRUD,
  debug_info: ['read'],
  deployment_config: ['read', 'update'],
  deployment_stats: ['read'],
  file: ['create', 'read'],
  group: CRUD,
  group_member: ['read'],
  idpsync_settings: ['read', 'update'],
  inbox_notification: ['create', 'read', 'update'],
  license: ['create', 'read', 'delete'],
  mcp_server_config: ['create', 'read', 'update', 'delete', 'share'],
  notification_message: CRUD,
  notification_preference: ['read', 'update'],
  notification_template: ['read', 'update'],
  oauth2_app: CRUD,
  oauth2_app_code_token: ['create', 'read', 'delete'],
  oauth2_app_secret: CRUD,
  organization: CRUD,
  organization_member: CRUD,
  prebuilt_workspace: ['update', 'delete'],
  provisioner_daemon: CRUD,
  provisioner_jobs: ['create', 'read', 'update'],
  replicas: ['read'],
  system: CRUD,
  tailnet_coordinator: CRUD,
  task: CRUD,
  template: ['create', 'read', 'update', 'delete', 'use', 'view_insights'],
  usage_event: ['create', 'read', 'update'],
  user: ['create', 'read', 'update', 'delete', 'read_personal', 'update_personal'],
  user_secret: CRUD,
  user_skill: CRUD,
  webpush_subscription: ['create', 'read', 'delete'],
  workspace: WORKSPACE_ACTIONS,
  workspace_agent_devcontainers: ['create'],
  workspace_agent_resource_monitor: ['create', 'read', 'update'],
  workspace_build_orchestration: CRUD,
  workspace_dormant: WORKSPACE_ACTIONS,
  workspace_proxy: CRUD,
} as const satisfies Record<string, readonly Action[]>;

export type ResourceType = keyof typeof RESOURCE_ACTIONS;

/** Every concrete resource type (the wildcard excluded), in table order. */
export const RESOURCE_TYPES: readonly ResourceType[] = Object.keys(RESOURCE_ACTIONS).filter(
  (t): t is ResourceType => t !== WILDCARD,
);

const ACTION_SET: ReadonlySet<string> = new Set<string>(ACTIONS);
const LEGAL: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(RESOURCE_ACTIONS).map(([type, actions]) => [type, new Set<string>(actions)]),
);

export function isResourceType(type: string): type is ResourceType {
  return LEGAL.has(type);
}

export function isAction(action: string): action is Action {
  return ACTION_SET.has(action);
}

/** The legal actions of a type ([] for the wildcard or an unknown type). */
export function actionsOf(type: string): readonly Action[] {
  return (RESOURCE_ACTIONS as Record<string, readonly Action[]>)[type] ?? [];
}

/**
 * Whether `action` is legal on `type`, with Coder's `Permission.Valid()` rules: a wildcard type
 * accepts anything, a wildcard action is legal on every known type.
 */
export function isValidPermission(type: string, action: string): boolean {
  if (type === WILDCARD) return true;
  const legal = LEGAL.get(type);
  if (legal === undefined) return false;
  return action === WILDCARD || legal.has(action);
}

/** Why a permission is invalid, in Coder's words, or undefined when it is valid. */
export function permissionProblem(type: string, action: string): string | undefined {
  if (type === WILDCARD) return undefined;
  const legal = LEGAL.get(type);
  if (legal === undefined) return `invalid resource type "${type}"`;
  if (action === WILDCARD || legal.has(action)) return undefined;
  return `invalid action "${action}" for resource "${type}"`;
}

/** Types whose ACL grants only count while the subject holds `use_shared` in the object's org. */
export function declaresUseShared(type: string): boolean {
  return LEGAL.get(type)?.has('use_shared') ?? false;
}
