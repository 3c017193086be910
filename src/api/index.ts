// Every resource module of the API, registered in one place.
import type { OrgdApp } from '../http/app.js';
import { metaRoutes } from './meta.js';
import { authnRoutes } from './authn.js';
import { userRoutes } from './users.js';
import { apiKeyRoutes } from './apikeys.js';

export async function registerApi(app: OrgdApp): Promise<void> {
  await metaRoutes(app);
  await authnRoutes(app);
  await userRoutes(app);
  await apiKeyRoutes(app);
}
