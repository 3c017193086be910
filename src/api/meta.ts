// GET /api/v2 and GET /api/v2/buildinfo: who we are, without a session.
import { Type } from '@sinclair/typebox';
import type { OrgdApp } from '../http/app.js';
import { VERSION } from '../server/config.js';
import { BuildInfoSchema, type BuildInfo } from './schemas.js';
import { getDeploymentId } from '../db/queries/deployment.js';

export async function metaRoutes(app: OrgdApp): Promise<void> {
  app.get(
    '/api/v2',
    {
      config: { auth: 'none', authz: 'public' },
      schema: { tags: ['General'], operationId: 'api-root-handler', response: { 200: Type.Object({ message: Type.String() }) } },
    },
    async () => ({ message: '👋' }),
  );

  app.get(
    '/api/v2/buildinfo',
    {
      config: { auth: 'none', authz: 'public' },
      schema: { tags: ['General'], operationId: 'build-info', response: { 200: BuildInfoSchema } },
    },
    async (): Promise<BuildInfo> => {
      const { config, db } = app.orgd;
      return {
        external_url: '',
        version: VERSION,
        dashboard_url: config.accessUrl,
        telemetry: false,
        workspace_proxy: false,
        agent_api_version: '',
        provisioner_api_version: '',
        upgrade_message: '',
        deployment_id: await getDeploymentId(db),
      };
    },
  );
}
