// Every resource module of the API, registered in one place.
import type { OrgdApp } from '../http/app.js';
import { metaRoutes } from './meta.js';
import { authnRoutes } from './authn.js';
import { userRoutes } from './users.js';
import { apiKeyRoutes } from './apikeys.js';
import { auditRoutes } from './audit.js';
import { roleRoutes } from './roles.js';
import { authcheckRoutes } from './authcheck.js';
import { organizationRoutes } from './organizations.js';
import { memberRoutes } from './members.js';
import { idpSyncRoutes } from './idpsync.js';

export async function registerApi(app: OrgdApp): Promise<void> {
  await metaRoutes(app);
  await authnRoutes(app);
  await userRoutes(app);
  await apiKeyRoutes(app);
  await auditRoutes(app);
  await roleRoutes(app);
  await authcheckRoutes(app);
  await organizationRoutes(app);
  await memberRoutes(app);
  await idpSyncRoutes(app);
}
