// `orgd/sdk`: the typed client of orgd's /api/v2.
//
//   import { OrgdClient, ApiError } from 'orgd/sdk';
//   const client = new OrgdClient('http://127.0.0.1:3000', { token });
//   const me = await client.user('me');
export { OrgdClient, SESSION_TOKEN_HEADER, BUILD_VERSION_HEADER } from './client.js';
export type { ClientOptions, Pagination, UsersRequest, TokensFilter } from './client.js';
export { ApiError, ConnectionError, isApiError } from './errors.js';
export type { ValidationError } from './errors.js';
export type * from './types.js';
