// Wire types of /api/v2 as TypeBox schemas: the server validates and serializes with them, the
// OpenAPI document is generated from them, and the SDK's TypeScript types are derived from them.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ValidationErrorSchema = Type.Object({ field: Type.String(), detail: Type.String() });
export const ResponseSchema = Type.Object(
  { message: Type.String(), detail: Type.Optional(Type.String()), validations: Type.Optional(Type.Array(ValidationErrorSchema)) },
  { $id: 'Response' },
);
export type ApiResponse = Static<typeof ResponseSchema>;

export const LoginTypeSchema = Type.Union(
  ['password', 'github', 'oidc', 'token', 'none', ''].map((v) => Type.Literal(v)),
);
export const UserStatusSchema = Type.Union(['active', 'dormant', 'suspended'].map((v) => Type.Literal(v)));

export const SlimRoleSchema = Type.Object({
  name: Type.String(),
  display_name: Type.String(),
  organization_id: Type.Optional(Type.String()),
});
export type SlimRole = Static<typeof SlimRoleSchema>;

export const MinimalUserSchema = Type.Object({
  id: Uuid,
  username: Type.String(),
  name: Type.String(),
  avatar_url: Type.String(),
});

const reducedUserFields = {
  id: Uuid,
  username: Type.String(),
  name: Type.String(),
  avatar_url: Type.String(),
  email: Type.String(),
  created_at: Time,
  updated_at: Time,
  last_seen_at: Time,
  status: UserStatusSchema,
  login_type: LoginTypeSchema,
  is_service_account: Type.Optional(Type.Boolean()),
};
export const ReducedUserSchema = Type.Object(reducedUserFields);
export type ReducedUser = Static<typeof ReducedUserSchema>;

export const UserSchema = Type.Object(
  { ...reducedUserFields, organization_ids: Type.Array(Uuid), roles: Type.Array(SlimRoleSchema) },
  { $id: 'User' },
);
export type User = Static<typeof UserSchema>;

export const GetUsersResponseSchema = Type.Object({ users: Type.Array(UserSchema), count: Type.Integer() });
export type GetUsersResponse = Static<typeof GetUsersResponseSchema>;

/**
 * A string field with Coder's validator tags (`required,email`, `username`, ...). The app runs the
 * tags before schema validation so failures carry Coder's exact validation messages; the schema
 * keeps the field's type for validation, serialization and OpenAPI.
 */
export const Tagged = (tags: string, opts: object = {}) => Type.String({ ...opts, 'x-validate': tags });

export const CreateFirstUserRequestSchema = Type.Object({
  email: Tagged('required,email', { format: 'email' }),
  username: Tagged('required,username'),
  name: Type.Optional(Tagged('user_real_name')),
  password: Tagged('required'),
  trial: Type.Optional(Type.Boolean()),
  trial_info: Type.Optional(Type.Object({}, { additionalProperties: true })),
});
export type CreateFirstUserRequest = Static<typeof CreateFirstUserRequestSchema>;

export const CreateFirstUserResponseSchema = Type.Object({ user_id: Uuid, organization_id: Uuid });
export type CreateFirstUserResponse = Static<typeof CreateFirstUserResponseSchema>;

export const LoginWithPasswordRequestSchema = Type.Object({
  email: Tagged('required,email', { format: 'email' }),
  password: Tagged('required'),
});
export type LoginWithPasswordRequest = Static<typeof LoginWithPasswordRequestSchema>;
export const LoginWithPasswordResponseSchema = Type.Object({ session_token: Type.String() });
export type LoginWithPasswordResponse = Static<typeof LoginWithPasswordResponseSchema>;

export const AuthMethodsSchema = Type.Object({
  terms_of_service_url: Type.Optional(Type.String()),
  password: Type.Object({ enabled: Type.Boolean() }),
  github: Type.Object({ enabled: Type.Boolean(), default_provider_configured: Type.Boolean() }),
  oidc: Type.Object({ enabled: Type.Boolean(), signInText: Type.String(), iconUrl: Type.String() }),
});
export type AuthMethods = Static<typeof AuthMethodsSchema>;

export const BuildInfoSchema = Type.Object({
  external_url: Type.String(),
  version: Type.String(),
  dashboard_url: Type.String(),
  telemetry: Type.Boolean(),
  workspace_proxy: Type.Boolean(),
  agent_api_version: Type.String(),
  provisioner_api_version: Type.String(),
  upgrade_message: Type.String(),
  deployment_id: Type.String(),
  webpush_public_key: Type.Optional(Type.String()),
});
export type BuildInfo = Static<typeof BuildInfoSchema>;

export const APIKeyScopeSchema = Type.String();
export const AllowListTargetSchema = Type.Object({ type: Type.String(), id: Type.String() });
const apiKeyFields = {
  id: Type.String(),
  user_id: Uuid,
  last_used: Time,
  expires_at: Time,
  created_at: Time,
  updated_at: Time,
  login_type: LoginTypeSchema,
  scope: APIKeyScopeSchema,
  scopes: Type.Array(APIKeyScopeSchema),
  token_name: Type.String(),
  lifetime_seconds: Type.Integer(),
  allow_list: Type.Array(AllowListTargetSchema),
};
export const APIKeySchema = Type.Object(apiKeyFields, { $id: 'APIKey' });
export type APIKey = Static<typeof APIKeySchema>;
export const APIKeyWithOwnerSchema = Type.Object({ ...apiKeyFields, username: Type.String() });
export type APIKeyWithOwner = Static<typeof APIKeyWithOwnerSchema>;

export const CreateTokenRequestSchema = Type.Object({
  lifetime: Type.Optional(Type.Number()),
  scope: Type.Optional(Type.String()),
  scopes: Type.Optional(Type.Array(Type.String())),
  token_name: Type.Optional(Type.String({ maxLength: 128 })),
  allow_list: Type.Optional(Type.Array(AllowListTargetSchema)),
});
export type CreateTokenRequest = Static<typeof CreateTokenRequestSchema>;
export const GenerateAPIKeyResponseSchema = Type.Object({ key: Type.String() });
export type GenerateAPIKeyResponse = Static<typeof GenerateAPIKeyResponseSchema>;
export const TokenConfigSchema = Type.Object({ max_token_lifetime: Type.Number() });
export type TokenConfig = Static<typeof TokenConfigSchema>;

export { Nullable };

// ---------------------------------------------------------------------------------------------
// Users (create, profile, password, roles, appearance)

export const CreateUserRequestWithOrgsSchema = Type.Object({
  email: Tagged('required,email', { format: 'email' }),
  username: Tagged('required,username'),
  name: Type.Optional(Tagged('user_real_name')),
  password: Type.Optional(Type.String()),
  // Checked by the handler, which answers Coder's `Unsupported login type "x" ...`.
  login_type: Type.Optional(Type.String()),
  user_status: Type.Optional(Nullable(UserStatusSchema)),
  organization_ids: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
});
export type CreateUserRequestWithOrgs = Static<typeof CreateUserRequestWithOrgsSchema>;

export const UpdateUserProfileRequestSchema = Type.Object({
  username: Tagged('required,username'),
  name: Type.Optional(Tagged('user_real_name')),
});
export type UpdateUserProfileRequest = Static<typeof UpdateUserProfileRequestSchema>;

// `password` is required, but checked by the handler: Coder decides whether the caller may change
// this password (404) before it reads the body.
export const UpdateUserPasswordRequestSchema = Type.Object({
  old_password: Type.Optional(Type.String()),
  password: Type.Optional(Type.String({ description: 'required' })),
});
export type UpdateUserPasswordRequest = Static<typeof UpdateUserPasswordRequestSchema>;

export const UserRolesSchema = Type.Object({
  roles: Type.Array(Type.String()),
  organization_roles: Type.Record(Type.String(), Type.Array(Type.String())),
});
export type UserRoles = Static<typeof UserRolesSchema>;

export const UserLoginTypeSchema = Type.Object({ login_type: LoginTypeSchema });
export type UserLoginType = Static<typeof UserLoginTypeSchema>;

export const ValidateUserPasswordRequestSchema = Type.Object({ password: Tagged('required') });
export type ValidateUserPasswordRequest = Static<typeof ValidateUserPasswordRequestSchema>;
export const ValidateUserPasswordResponseSchema = Type.Object({ valid: Type.Boolean(), details: Type.String() });
export type ValidateUserPasswordResponse = Static<typeof ValidateUserPasswordResponseSchema>;

/** Coder's TerminalFontName values; "" means the dashboard's default. */
export const TERMINAL_FONT_NAMES = ['', 'ibm-plex-mono', 'fira-code', 'source-code-pro', 'jetbrains-mono'] as const;
export const UserAppearanceSettingsSchema = Type.Object({ theme_preference: Type.String(), terminal_font: Type.String() });
export type UserAppearanceSettings = Static<typeof UserAppearanceSettingsSchema>;
export const UpdateUserAppearanceSettingsRequestSchema = Type.Object({
  theme_preference: Tagged('required', { maxLength: 64 }),
  terminal_font: Type.Optional(Type.String()),
});
export type UpdateUserAppearanceSettingsRequest = Static<typeof UpdateUserAppearanceSettingsRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Organizations and members (codersdk/organizations.go, idpsync.go)

const organizationFields = {
  id: Uuid,
  name: Type.String(),
  display_name: Type.String(),
  icon: Type.String(),
  description: Type.String(),
  created_at: Time,
  updated_at: Time,
  is_default: Type.Boolean(),
  default_org_member_roles: Type.Array(Type.String()),
};
export const OrganizationSchema = Type.Object(organizationFields, { $id: 'Organization' });
export type Organization = Static<typeof OrganizationSchema>;
export const MinimalOrganizationSchema = Type.Object({ id: Uuid, name: Type.String(), display_name: Type.String(), icon: Type.String() });
export type MinimalOrganization = Static<typeof MinimalOrganizationSchema>;

export const CreateOrganizationRequestSchema = Type.Object({
  name: Tagged('required,organization_name'),
  display_name: Type.Optional(Tagged('omitempty,organization_display_name')),
  description: Type.Optional(Type.String()),
  icon: Type.Optional(Type.String()),
});
export type CreateOrganizationRequest = Static<typeof CreateOrganizationRequestSchema>;

export const UpdateOrganizationRequestSchema = Type.Object({
  name: Type.Optional(Tagged('omitempty,organization_name')),
  display_name: Type.Optional(Tagged('omitempty,organization_display_name')),
  description: Type.Optional(Nullable(Type.String())),
  icon: Type.Optional(Nullable(Type.String())),
  default_org_member_roles: Type.Optional(Nullable(Type.Array(Type.String()))),
});
export type UpdateOrganizationRequest = Static<typeof UpdateOrganizationRequestSchema>;

const organizationMemberFields = {
  user_id: Uuid,
  organization_id: Uuid,
  created_at: Time,
  updated_at: Time,
  roles: Type.Array(SlimRoleSchema),
};
export const OrganizationMemberSchema = Type.Object(organizationMemberFields, { $id: 'OrganizationMember' });
export type OrganizationMember = Static<typeof OrganizationMemberSchema>;

/** Go field order of codersdk.OrganizationMemberWithUserData (the embedded member comes last). */
export const OrganizationMemberWithUserDataSchema = Type.Object(
  {
    username: Type.String(),
    name: Type.Optional(Type.String()),
    avatar_url: Type.Optional(Type.String()),
    email: Type.String(),
    status: UserStatusSchema,
    login_type: LoginTypeSchema,
    last_seen_at: Type.Optional(Time),
    user_created_at: Time,
    user_updated_at: Time,
    is_service_account: Type.Optional(Type.Boolean()),
    global_roles: Type.Array(SlimRoleSchema),
    has_ai_seat: Type.Boolean(),
    ...organizationMemberFields,
  },
  { $id: 'OrganizationMemberWithUserData' },
);
export type OrganizationMemberWithUserData = Static<typeof OrganizationMemberWithUserDataSchema>;

export const PaginatedMembersResponseSchema = Type.Object({
  members: Type.Array(OrganizationMemberWithUserDataSchema),
  count: Type.Integer(),
});
export type PaginatedMembersResponse = Static<typeof PaginatedMembersResponseSchema>;

/** codersdk.UpdateRoles as the org member route takes it (bare org role names). */
export const UpdateOrganizationMemberRolesSchema = Type.Object({ roles: Type.Array(Type.String()) });
export type UpdateOrganizationMemberRoles = Static<typeof UpdateOrganizationMemberRolesSchema>;

/** codersdk.AddOrganizationMembersRequest: 1 to 100 user ids. */
export const AddOrganizationMembersRequestSchema = Type.Object({
  user_ids: Type.Array(Uuid, { minItems: 1, maxItems: 100 }),
});
export type AddOrganizationMembersRequest = Static<typeof AddOrganizationMembersRequestSchema>;

export const OrganizationSyncSettingsSchema = Type.Object({
  field: Type.String(),
  mapping: Type.Record(Type.String(), Type.Array(Uuid)),
  organization_assign_default: Type.Boolean(),
});
export type OrganizationSyncSettings = Static<typeof OrganizationSyncSettingsSchema>;
export const PatchOrganizationSyncSettingsSchema = Type.Object({
  field: Type.Optional(Type.String()),
  mapping: Type.Optional(Nullable(Type.Record(Type.String(), Nullable(Type.Array(Uuid))))),
  organization_assign_default: Type.Optional(Type.Boolean()),
});
export type PatchOrganizationSyncSettings = Static<typeof PatchOrganizationSyncSettingsSchema>;

export const RoleSyncSettingsSchema = Type.Object({
  field: Type.String(),
  mapping: Type.Record(Type.String(), Type.Array(Type.String())),
});
export type RoleSyncSettings = Static<typeof RoleSyncSettingsSchema>;
export const PatchRoleSyncSettingsSchema = Type.Object({
  field: Type.Optional(Type.String()),
  mapping: Type.Optional(Nullable(Type.Record(Type.String(), Nullable(Type.Array(Type.String()))))),
});
export type PatchRoleSyncSettings = Static<typeof PatchRoleSyncSettingsSchema>;

// ---------------------------------------------------------------------------------------------
// Audit log (codersdk.AuditLog, AuditLogResponse)

export const AuditDiffFieldSchema = Type.Object({
  old: Type.Optional(Type.Unknown()),
  new: Type.Optional(Type.Unknown()),
  secret: Type.Boolean(),
});
export const AuditLogSchema = Type.Object(
  {
    id: Uuid,
    request_id: Uuid,
    time: Time,
    ip: Type.String(),
    user_agent: Type.String(),
    resource_type: Type.String(),
    resource_id: Uuid,
    resource_target: Type.String(),
    resource_icon: Type.String(),
    action: Type.String(),
    diff: Type.Record(Type.String(), AuditDiffFieldSchema),
    status_code: Type.Integer(),
    additional_fields: Type.Object({}, { additionalProperties: true }),
    description: Type.String(),
    resource_link: Type.String(),
    is_deleted: Type.Boolean(),
    /** Deprecated by Coder in favour of organization.id; the nil uuid when in no organization. */
    organization_id: Uuid,
    organization: Type.Optional(
      Type.Object({ id: Uuid, name: Type.String(), display_name: Type.String(), icon: Type.String() }),
    ),
    user: Nullable(UserSchema),
  },
  { $id: 'AuditLog' },
);
export type AuditLog = Static<typeof AuditLogSchema>;
export const AuditLogResponseSchema = Type.Object({
  audit_logs: Type.Array(AuditLogSchema),
  /** Matches, counted up to count_cap + 1: a count above count_cap means "more than count_cap". */
  count: Type.Integer(),
  count_cap: Type.Integer(),
});
export type AuditLogResponse = Static<typeof AuditLogResponseSchema>;

// --- Roles and authorization (issue 3) ---

export const PermissionSchema = Type.Object({
  negate: Type.Boolean(),
  resource_type: Type.String(),
  action: Type.String(),
});
export type PermissionWire = Static<typeof PermissionSchema>;

const roleFields = {
  name: Type.String(),
  organization_id: Type.Optional(Type.String()),
  display_name: Type.String(),
  site_permissions: Type.Array(PermissionSchema),
  organization_permissions: Type.Array(PermissionSchema),
  user_permissions: Type.Array(PermissionSchema),
  organization_member_permissions: Type.Array(PermissionSchema),
};
export const RoleSchema = Type.Object(roleFields, { $id: 'Role' });
export type RoleWire = Static<typeof RoleSchema>;
export const AssignableRolesSchema = Type.Object({ ...roleFields, assignable: Type.Boolean(), built_in: Type.Boolean() });
export type AssignableRoles = Static<typeof AssignableRolesSchema>;

/** A permission as a request may send it: `negate` may be left out (Go's zero value). */
const RequestPermissionSchema = Type.Object({
  negate: Type.Optional(Type.Boolean()),
  resource_type: Type.String(),
  action: Type.String(),
});
const RequestPermissions = Type.Optional(Nullable(Type.Array(RequestPermissionSchema)));
export const CustomRoleRequestSchema = Type.Object({
  name: Tagged('username'),
  display_name: Type.Optional(Type.String()),
  site_permissions: RequestPermissions,
  organization_permissions: RequestPermissions,
  user_permissions: RequestPermissions,
  organization_member_permissions: RequestPermissions,
});
export type CustomRoleRequestWire = Static<typeof CustomRoleRequestSchema>;

export const UpdateRolesSchema = Type.Object({ roles: Type.Optional(Nullable(Type.Array(Type.String()))) });
export type UpdateRoles = Static<typeof UpdateRolesSchema>;

export const AuthorizationObjectSchema = Type.Object({
  resource_type: Type.Optional(Type.String()),
  owner_id: Type.Optional(Type.String()),
  organization_id: Type.Optional(Type.String()),
  resource_id: Type.Optional(Type.String()),
  any_org: Type.Optional(Type.Boolean()),
});
export const AuthorizationCheckSchema = Type.Object({
  object: Type.Optional(AuthorizationObjectSchema),
  action: Type.Optional(Type.String()),
});
export const AuthorizationRequestSchema = Type.Object({
  checks: Type.Optional(Nullable(Type.Record(Type.String(), AuthorizationCheckSchema))),
});
export type AuthorizationRequest = Static<typeof AuthorizationRequestSchema>;
export const AuthorizationResponseSchema = Type.Record(Type.String(), Type.Boolean());
export type AuthorizationResponse = Static<typeof AuthorizationResponseSchema>;
