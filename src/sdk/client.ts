// The typed client of orgd's /api/v2 (and of Coder's, for the routes orgd speaks). Method names
// follow Coder's Go SDK (`codersdk`): `createFirstUser`, `organizationMembers`, `deleteAPIKey`...
// It needs nothing but a global `fetch`, so it runs in Node 20+ and in browsers alike.
import { ApiError, ConnectionError, type ValidationError } from './errors.js';
import type * as T from './types.js';

/** The header Coder's clients send the session token in. */
export const SESSION_TOKEN_HEADER = 'Coder-Session-Token';
/** Every answer of an orgd (or Coder) server carries this header. */
export const BUILD_VERSION_HEADER = 'X-Coder-Build-Version';

export interface ClientOptions {
  /** Session or API token, sent as `Coder-Session-Token`. */
  token?: string;
  /** Replaces the global fetch (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** Sent as fetch's `credentials` (e.g. `include` for a dashboard on another origin using the cookie). */
  credentials?: 'omit' | 'same-origin' | 'include';
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** Pagination as query parameters (`after_id` is the keyset cursor). */
export interface Pagination {
  after_id?: string;
  limit?: number;
  offset?: number;
}

/** `GET /users`: the search terms are joined into Coder's `q` grammar. */
export interface UsersRequest extends Pagination {
  /** Free text: matches username or email. */
  search?: string;
  status?: T.UserStatus;
  role?: string;
  /** Raw `q` terms, appended as given (e.g. `login_type:password`). */
  q?: string;
}

export interface TokensFilter {
  /** Tokens of every user the caller may read, not only `{user}`'s. */
  includeAll?: boolean;
  includeExpired?: boolean;
}

const seg = (v: string) => encodeURIComponent(v);

export class OrgdClient {
  /** The deployment's URL, without a trailing slash. */
  readonly url: string;
  #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;
  readonly #credentials: ClientOptions['credentials'];

  constructor(url: string | URL, opts: ClientOptions = {}) {
    const parsed = new URL(String(url));
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TypeError(`The URL must be http(s), got "${parsed.protocol}"`);
    }
    this.url = parsed.href.replace(/\/+$/, '');
    this.#token = opts.token || undefined;
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.#headers = { ...opts.headers };
    this.#credentials = opts.credentials;
  }

  get sessionToken(): string | undefined {
    return this.#token;
  }

  /** Sets (or, with undefined, clears) the token sent with every later request. */
  setSessionToken(token: string | undefined): void {
    this.#token = token || undefined;
  }

  /**
   * One request: JSON in, JSON out. A 2xx answers the decoded body (undefined when empty); any other
   * status throws ApiError with the server's message, detail and validations.
   */
  async request<R>(method: string, path: string, opts: RequestOptions = {}): Promise<R> {
    const res = await this.raw(method, path, opts);
    const text = await res.text();
    if (!res.ok) throw errorOf(method, res, text);
    if (text === '' || res.status === 204) return undefined as R;
    try {
      return JSON.parse(text) as R;
    } catch {
      throw new ApiError({
        status: res.status,
        message: 'The server answered something that is not JSON.',
        detail: `${res.headers.get('content-type') ?? 'no content type'}: ${text.slice(0, 200)}`,
        method,
        url: res.url,
      });
    }
  }

  /** The fetch Response itself, for callers that need headers or a non-JSON body. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<globalThis.Response> {
    const url = new URL(this.url + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { Accept: 'application/json', ...this.#headers };
    if (this.#token) headers[SESSION_TOKEN_HEADER] = this.#token;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    try {
      return await this.#fetch(url, { method, headers, body, signal: opts.signal, credentials: this.#credentials });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      throw new ConnectionError(this.url, err);
    }
  }

  // ---- General ----------------------------------------------------------------------------

  /** `GET /buildinfo` (build-info). */
  buildInfo(): Promise<T.BuildInfo> {
    return this.request('GET', '/api/v2/buildinfo');
  }

  // ---- Sign-in ----------------------------------------------------------------------------

  /**
   * `GET /users/first` (check-initial-user-created): whether the first user exists. A 404 without
   * Coder's build-version header means the URL is not an orgd or Coder server.
   */
  async hasFirstUser(): Promise<boolean> {
    const res = await this.raw('GET', '/api/v2/users/first');
    const text = await res.text();
    if (res.status === 404) {
      if (!res.headers.get(BUILD_VERSION_HEADER)) {
        throw new ApiError({
          status: 404,
          message: `The URL ${this.url} does not look like an orgd server.`,
          detail: 'GET /api/v2/users/first answered 404 without an X-Coder-Build-Version header.',
          method: 'GET',
          url: res.url,
        });
      }
      return false;
    }
    if (!res.ok) throw errorOf('GET', res, text);
    return true;
  }

  /** `POST /users/first` (create-initial-user). It creates no session: call `login` next. */
  createFirstUser(req: T.CreateFirstUserRequest): Promise<T.CreateFirstUserResponse> {
    return this.request('POST', '/api/v2/users/first', { body: req });
  }

  /** `POST /users/login` (log-in-user). Does not change this client's token: see `setSessionToken`. */
  login(req: T.LoginWithPasswordRequest): Promise<T.LoginWithPasswordResponse> {
    return this.request('POST', '/api/v2/users/login', { body: req });
  }

  /** `POST /users/logout` (log-out-user): ends this client's session and forgets its token. */
  async logout(): Promise<T.Response> {
    const res = await this.request<T.Response>('POST', '/api/v2/users/logout');
    this.#token = undefined;
    return res;
  }

  /** `GET /users/authmethods` (get-authentication-methods). */
  authMethods(): Promise<T.AuthMethods> {
    return this.request('GET', '/api/v2/users/authmethods');
  }

  // ---- Users ------------------------------------------------------------------------------

  /** `GET /users/{user}` (get-user-by-name): by id, username or `me`. */
  user(user: string = 'me'): Promise<T.User> {
    return this.request('GET', `/api/v2/users/${seg(user)}`);
  }

  /** `GET /users` (get-users): one page of the users the caller may read, and the total count. */
  users(req: UsersRequest = {}): Promise<T.GetUsersResponse> {
    const terms = [req.search, req.status && `status:${req.status}`, req.role && `role:${req.role}`, req.q].filter(Boolean);
    return this.request('GET', '/api/v2/users', {
      query: { q: terms.join(' ') || undefined, after_id: req.after_id, limit: req.limit, offset: req.offset },
    });
  }

  /**
   * `POST /users` (create-new-user). `organization_ids` is required by the server; the nil uuid
   * stands for the default organization.
   */
  createUser(req: T.CreateUserRequestWithOrgs): Promise<T.User> {
    return this.request('POST', '/api/v2/users', { body: req });
  }

  /** `DELETE /users/{user}` (delete-user). */
  deleteUser(user: string): Promise<T.Response> {
    return this.request('DELETE', `/api/v2/users/${seg(user)}`);
  }

  /** `PUT /users/{user}/profile` (update-user-profile). */
  updateUserProfile(user: string, req: T.UpdateUserProfileRequest): Promise<T.User> {
    return this.request('PUT', `/api/v2/users/${seg(user)}/profile`, { body: req });
  }

  /** `PUT /users/{user}/status/{suspend|activate}` (suspend-user-account, activate-user-account). */
  updateUserStatus(user: string, status: 'active' | 'suspended'): Promise<T.User> {
    const action = status === 'suspended' ? 'suspend' : 'activate';
    return this.request('PUT', `/api/v2/users/${seg(user)}/status/${action}`);
  }

  suspendUser(user: string): Promise<T.User> {
    return this.updateUserStatus(user, 'suspended');
  }

  activateUser(user: string): Promise<T.User> {
    return this.updateUserStatus(user, 'active');
  }

  /** `PUT /users/{user}/password` (update-user-password). Signs the user out everywhere. */
  async updateUserPassword(user: string, req: T.UpdateUserPasswordRequest): Promise<void> {
    await this.request('PUT', `/api/v2/users/${seg(user)}/password`, { body: req });
  }

  /** `POST /users/validate-password` (validate-user-password). */
  validateUserPassword(password: string): Promise<T.ValidateUserPasswordResponse> {
    return this.request('POST', '/api/v2/users/validate-password', { body: { password } });
  }

  /** `GET /users/{user}/roles` (get-user-roles): site roles and organization roles by org id. */
  userRoles(user: string = 'me'): Promise<T.UserRoles> {
    return this.request('GET', `/api/v2/users/${seg(user)}/roles`);
  }

  /** `PUT /users/{user}/roles` (assign-role-to-user): the full list of the user's site roles. */
  updateUserRoles(user: string, req: T.UpdateRoles): Promise<T.User> {
    return this.request('PUT', `/api/v2/users/${seg(user)}/roles`, { body: req });
  }

  /** `GET /users/{user}/login-type` (get-user-login-type). */
  userLoginType(user: string = 'me'): Promise<T.UserLoginType> {
    return this.request('GET', `/api/v2/users/${seg(user)}/login-type`);
  }

  /** `GET /users/{user}/appearance` (get-user-appearance-settings). */
  userAppearanceSettings(user: string = 'me'): Promise<T.UserAppearanceSettings> {
    return this.request('GET', `/api/v2/users/${seg(user)}/appearance`);
  }

  /** `PUT /users/{user}/appearance` (update-user-appearance-settings). */
  updateUserAppearanceSettings(user: string, req: T.UpdateUserAppearanceSettingsRequest): Promise<T.UserAppearanceSettings> {
    return this.request('PUT', `/api/v2/users/${seg(user)}/appearance`, { body: req });
  }

  // ---- API keys and tokens ----------------------------------------------------------------

  /** `POST /users/{user}/keys` (create-new-session-key): a 7-day key, as Coder's CLI login makes. */
  createAPIKey(user: string = 'me'): Promise<T.GenerateAPIKeyResponse> {
    return this.request('POST', `/api/v2/users/${seg(user)}/keys`);
  }

  /** `POST /users/{user}/keys/tokens` (create-token-api-key). `lifetime` is in nanoseconds, as Go's Duration. */
  createToken(user: string, req: T.CreateTokenRequest = {}): Promise<T.GenerateAPIKeyResponse> {
    return this.request('POST', `/api/v2/users/${seg(user)}/keys/tokens`, { body: req });
  }

  /** `GET /users/{user}/keys/tokens` (get-user-tokens). */
  async tokens(user: string = 'me', filter: TokensFilter = {}): Promise<T.APIKeyWithOwner[]> {
    const list = await this.request<T.APIKeyWithOwner[] | null>('GET', `/api/v2/users/${seg(user)}/keys/tokens`, {
      query: { include_all: filter.includeAll || undefined, include_expired: filter.includeExpired || undefined },
    });
    return list ?? [];
  }

  /** `GET /users/{user}/keys/tokens/{keyname}` (get-api-key-by-token-name). */
  apiKeyByName(user: string, name: string): Promise<T.APIKey> {
    return this.request('GET', `/api/v2/users/${seg(user)}/keys/tokens/${seg(name)}`);
  }

  /** `GET /users/{user}/keys/{keyid}` (get-api-key-by-id). */
  apiKeyByID(user: string, id: string): Promise<T.APIKey> {
    return this.request('GET', `/api/v2/users/${seg(user)}/keys/${seg(id)}`);
  }

  /** `DELETE /users/{user}/keys/{keyid}` (delete-api-key). */
  async deleteAPIKey(user: string, id: string): Promise<void> {
    await this.request('DELETE', `/api/v2/users/${seg(user)}/keys/${seg(id)}`);
  }

  /** `GET /users/{user}/keys/tokens/tokenconfig` (get-token-config): `max_token_lifetime` in nanoseconds. */
  tokenConfig(user: string = 'me'): Promise<T.TokenConfig> {
    return this.request('GET', `/api/v2/users/${seg(user)}/keys/tokens/tokenconfig`);
  }

  // ---- Organizations ----------------------------------------------------------------------

  /** `GET /organizations` (get-organizations): every organization the caller may read. */
  organizations(): Promise<T.Organization[]> {
    return this.request('GET', '/api/v2/organizations');
  }

  /** `GET /organizations/{organization}` (get-organization-by-id): by id, name or `default`. */
  organization(organization: string): Promise<T.Organization> {
    return this.request('GET', `/api/v2/organizations/${seg(organization)}`);
  }

  /** `POST /organizations` (create-organization). */
  createOrganization(req: T.CreateOrganizationRequest): Promise<T.Organization> {
    return this.request('POST', '/api/v2/organizations', { body: req });
  }

  /** `PATCH /organizations/{organization}` (update-organization). */
  updateOrganization(organization: string, req: T.UpdateOrganizationRequest): Promise<T.Organization> {
    return this.request('PATCH', `/api/v2/organizations/${seg(organization)}`, { body: req });
  }

  /** `DELETE /organizations/{organization}` (delete-organization). */
  deleteOrganization(organization: string): Promise<T.Response> {
    return this.request('DELETE', `/api/v2/organizations/${seg(organization)}`);
  }

  /** `GET /users/{user}/organizations` (get-organizations-by-user). */
  organizationsByUser(user: string = 'me'): Promise<T.Organization[]> {
    return this.request('GET', `/api/v2/users/${seg(user)}/organizations`);
  }

  /** `GET /users/{user}/organizations/{organizationname}` (get-organization-by-user-and-organization-name). */
  organizationByUserAndName(user: string, name: string): Promise<T.Organization> {
    return this.request('GET', `/api/v2/users/${seg(user)}/organizations/${seg(name)}`);
  }

  // ---- Members ----------------------------------------------------------------------------

  /** `GET /organizations/{organization}/members` (list-organization-members). */
  organizationMembers(organization: string, opts: { q?: string } = {}): Promise<T.OrganizationMemberWithUserData[]> {
    return this.request('GET', `/api/v2/organizations/${seg(organization)}/members`, { query: { q: opts.q } });
  }

  /** `GET /organizations/{organization}/paginated-members` (paginated-organization-members). */
  paginatedMembers(organization: string, req: Pagination & { q?: string } = {}): Promise<T.PaginatedMembersResponse> {
    return this.request('GET', `/api/v2/organizations/${seg(organization)}/paginated-members`, {
      query: { q: req.q, after_id: req.after_id, limit: req.limit, offset: req.offset },
    });
  }

  /** `GET /organizations/{organization}/members/{user}` (get-organization-member). */
  organizationMember(organization: string, user: string): Promise<T.OrganizationMemberWithUserData> {
    return this.request('GET', `/api/v2/organizations/${seg(organization)}/members/${seg(user)}`);
  }

  /** `POST /organizations/{organization}/members/{user}` (add-organization-member): by id or username. */
  postOrganizationMember(organization: string, user: string): Promise<T.OrganizationMember> {
    return this.request('POST', `/api/v2/organizations/${seg(organization)}/members/${seg(user)}`);
  }

  /** `POST /organizations/{organization}/members` (add-organization-members): 1 to 100 users by id, all or none. */
  addOrganizationMembers(organization: string, req: T.AddOrganizationMembersRequest): Promise<T.OrganizationMember[]> {
    return this.request('POST', `/api/v2/organizations/${seg(organization)}/members`, { body: req });
  }

  /** `DELETE /organizations/{organization}/members/{user}` (remove-organization-member). */
  async deleteOrganizationMember(organization: string, user: string): Promise<void> {
    await this.request('DELETE', `/api/v2/organizations/${seg(organization)}/members/${seg(user)}`);
  }

  /** `PUT /organizations/{organization}/members/{user}/roles` (assign-role-to-organization-member). */
  updateOrganizationMemberRoles(
    organization: string,
    user: string,
    req: T.UpdateOrganizationMemberRoles,
  ): Promise<T.OrganizationMember> {
    return this.request('PUT', `/api/v2/organizations/${seg(organization)}/members/${seg(user)}/roles`, { body: req });
  }

  // ---- Roles ------------------------------------------------------------------------------

  /** `GET /users/roles` (get-site-member-roles): site roles, each saying whether the caller may assign it. */
  listSiteRoles(): Promise<T.AssignableRoles[]> {
    return this.request('GET', '/api/v2/users/roles');
  }

  /** `GET /organizations/{organization}/members/roles` (get-member-roles-by-organization). */
  listOrganizationRoles(organization: string): Promise<T.AssignableRoles[]> {
    return this.request('GET', `/api/v2/organizations/${seg(organization)}/members/roles`);
  }

  /** `POST /organizations/{organization}/members/roles` (insert-a-custom-organization-role). */
  createOrganizationRole(organization: string, req: T.CustomRoleRequest): Promise<T.Role> {
    return this.request('POST', `/api/v2/organizations/${seg(organization)}/members/roles`, { body: req });
  }

  /** `PUT /organizations/{organization}/members/roles` (update-a-custom-organization-role). */
  updateOrganizationRole(organization: string, req: T.CustomRoleRequest): Promise<T.Role> {
    return this.request('PUT', `/api/v2/organizations/${seg(organization)}/members/roles`, { body: req });
  }

  /** `DELETE /organizations/{organization}/members/roles/{roleName}` (delete-a-custom-organization-role). */
  async deleteOrganizationRole(organization: string, name: string): Promise<void> {
    await this.request('DELETE', `/api/v2/organizations/${seg(organization)}/members/roles/${seg(name)}`);
  }

  // ---- Authorization ----------------------------------------------------------------------

  /** `POST /authcheck` (check-authorization): which of the named checks the caller passes. */
  authCheck(req: T.AuthorizationRequest): Promise<T.AuthorizationResponse> {
    return this.request('POST', '/api/v2/authcheck', { body: req });
  }

  // ---- Audit ------------------------------------------------------------------------------

  /** `GET /audit` (get-audit-logs): `q` uses Coder's audit search grammar. */
  auditLogs(req: Pagination & { q?: string } = {}): Promise<T.AuditLogResponse> {
    return this.request('GET', '/api/v2/audit', {
      query: { q: req.q, after_id: req.after_id, limit: req.limit, offset: req.offset },
    });
  }

  // ---- IdP sync settings ------------------------------------------------------------------

  /** `GET /settings/idpsync/organization` (get-organization-idp-sync-settings). */
  organizationIDPSyncSettings(): Promise<T.OrganizationSyncSettings> {
    return this.request('GET', '/api/v2/settings/idpsync/organization');
  }

  /** `PATCH /settings/idpsync/organization` (update-organization-idp-sync-settings). */
  patchOrganizationIDPSyncSettings(req: T.PatchOrganizationSyncSettings): Promise<T.OrganizationSyncSettings> {
    return this.request('PATCH', '/api/v2/settings/idpsync/organization', { body: req });
  }

  /** `GET /organizations/{organization}/settings/idpsync/roles` (get-role-idp-sync-settings-by-organization). */
  roleIDPSyncSettings(organization: string): Promise<T.RoleSyncSettings> {
    return this.request('GET', `/api/v2/organizations/${seg(organization)}/settings/idpsync/roles`);
  }

  /** `PATCH /organizations/{organization}/settings/idpsync/roles` (update-role-idp-sync-settings-by-organization). */
  patchRoleIDPSyncSettings(organization: string, req: T.PatchRoleSyncSettings): Promise<T.RoleSyncSettings> {
    return this.request('PATCH', `/api/v2/organizations/${seg(organization)}/settings/idpsync/roles`, { body: req });
  }
}

function errorOf(method: string, res: globalThis.Response, text: string): ApiError {
  let body: { message?: unknown; detail?: unknown; validations?: unknown } | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (body && typeof body.message === 'string') {
    return new ApiError({
      status: res.status,
      message: body.message,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
      validations: Array.isArray(body.validations) ? (body.validations as ValidationError[]) : undefined,
      method,
      url: res.url,
    });
  }
  return new ApiError({
    status: res.status,
    message: `Unexpected status code ${res.status} from ${method} ${new URL(res.url || 'http://x').pathname}.`,
    detail: text ? text.slice(0, 500) : undefined,
    method,
    url: res.url,
  });
}
