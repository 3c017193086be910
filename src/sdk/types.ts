// Wire types of /api/v2, derived with Static<> from the TypeBox schemas the server validates and
// serializes with. Imported as types only: the SDK bundles none of the server.
import type { Static } from '@sinclair/typebox';
import type * as S from '../api/schemas.js';

export type Response = Static<typeof S.ResponseSchema>;
export type ValidationErrorBody = Static<typeof S.ValidationErrorSchema>;

// General
export type BuildInfo = Static<typeof S.BuildInfoSchema>;

// Users and sign-in
export type LoginType = Static<typeof S.LoginTypeSchema>;
export type UserStatus = Static<typeof S.UserStatusSchema>;
export type SlimRole = Static<typeof S.SlimRoleSchema>;
export type MinimalUser = Static<typeof S.MinimalUserSchema>;
export type ReducedUser = Static<typeof S.ReducedUserSchema>;
export type User = Static<typeof S.UserSchema>;
export type GetUsersResponse = Static<typeof S.GetUsersResponseSchema>;
export type CreateFirstUserRequest = Static<typeof S.CreateFirstUserRequestSchema>;
export type CreateFirstUserResponse = Static<typeof S.CreateFirstUserResponseSchema>;
export type LoginWithPasswordRequest = Static<typeof S.LoginWithPasswordRequestSchema>;
export type LoginWithPasswordResponse = Static<typeof S.LoginWithPasswordResponseSchema>;
export type AuthMethods = Static<typeof S.AuthMethodsSchema>;

// API keys and tokens
export type APIKey = Static<typeof S.APIKeySchema>;
export type APIKeyWithOwner = Static<typeof S.APIKeyWithOwnerSchema>;
export type CreateTokenRequest = Static<typeof S.CreateTokenRequestSchema>;
export type GenerateAPIKeyResponse = Static<typeof S.GenerateAPIKeyResponseSchema>;
export type TokenConfig = Static<typeof S.TokenConfigSchema>;

// Users: managing them
export type CreateUserRequestWithOrgs = Static<typeof S.CreateUserRequestWithOrgsSchema>;
export type UpdateUserProfileRequest = Static<typeof S.UpdateUserProfileRequestSchema>;
export type UpdateUserPasswordRequest = Static<typeof S.UpdateUserPasswordRequestSchema>;
export type UserRoles = Static<typeof S.UserRolesSchema>;
export type UserLoginType = Static<typeof S.UserLoginTypeSchema>;
export type ValidateUserPasswordRequest = Static<typeof S.ValidateUserPasswordRequestSchema>;
export type ValidateUserPasswordResponse = Static<typeof S.ValidateUserPasswordResponseSchema>;
export type UserAppearanceSettings = Static<typeof S.UserAppearanceSettingsSchema>;
export type UpdateUserAppearanceSettingsRequest = Static<typeof S.UpdateUserAppearanceSettingsRequestSchema>;

// Organizations and members
export type Organization = Static<typeof S.OrganizationSchema>;
export type MinimalOrganization = Static<typeof S.MinimalOrganizationSchema>;
export type CreateOrganizationRequest = Static<typeof S.CreateOrganizationRequestSchema>;
export type UpdateOrganizationRequest = Static<typeof S.UpdateOrganizationRequestSchema>;
export type OrganizationMember = Static<typeof S.OrganizationMemberSchema>;
export type OrganizationMemberWithUserData = Static<typeof S.OrganizationMemberWithUserDataSchema>;
export type PaginatedMembersResponse = Static<typeof S.PaginatedMembersResponseSchema>;
export type UpdateOrganizationMemberRoles = Static<typeof S.UpdateOrganizationMemberRolesSchema>;
export type AddOrganizationMembersRequest = Static<typeof S.AddOrganizationMembersRequestSchema>;

// Roles and authorization
export type Permission = Static<typeof S.PermissionSchema>;
export type Role = Static<typeof S.RoleSchema>;
export type AssignableRoles = Static<typeof S.AssignableRolesSchema>;
export type CustomRoleRequest = Static<typeof S.CustomRoleRequestSchema>;
export type UpdateRoles = Static<typeof S.UpdateRolesSchema>;
export type AuthorizationObject = Static<typeof S.AuthorizationObjectSchema>;
export type AuthorizationCheck = Static<typeof S.AuthorizationCheckSchema>;
export type AuthorizationRequest = Static<typeof S.AuthorizationRequestSchema>;
export type AuthorizationResponse = Static<typeof S.AuthorizationResponseSchema>;

// Audit
export type AuditLog = Static<typeof S.AuditLogSchema>;
export type AuditLogResponse = Static<typeof S.AuditLogResponseSchema>;

// IdP sync settings
export type OrganizationSyncSettings = Static<typeof S.OrganizationSyncSettingsSchema>;
export type PatchOrganizationSyncSettings = Static<typeof S.PatchOrganizationSyncSettingsSchema>;
export type RoleSyncSettings = Static<typeof S.RoleSyncSettingsSchema>;
export type PatchRoleSyncSettings = Static<typeof S.PatchRoleSyncSettingsSchema>;
