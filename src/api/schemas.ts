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
