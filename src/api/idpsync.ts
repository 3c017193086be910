// IdP sync settings, as far as manual membership changes depend on them: organization sync
// (deployment-wide) and role sync (per organization). Stored in runtime_config so every replica
// reads the same value. Organization sync is on when its claim `field` is set; role sync of an org
// likewise. Changes are audited as Coder's idp_sync_settings_organization / _role entries.
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { OrgdApp } from '../http/app.js';
import { forbidden } from '../http/errors.js';
import { requireAuth, resolveOrganizationParam } from '../http/params.js';
import type { DbOrTx } from '../db/index.js';
import { audited } from '../http/audited.js';
import type { AuditableOrganizationSyncSettings, AuditableRoleSyncSettings } from '../audit/index.js';
import { authorize } from '../rbac/index.js';
import { refuseNulFields } from './organizations.js';
import {
  OrganizationSyncSettingsSchema,
  PatchOrganizationSyncSettingsSchema,
  PatchRoleSyncSettingsSchema,
  RoleSyncSettingsSchema,
  type OrganizationSyncSettings,
  type RoleSyncSettings,
} from './schemas.js';

export const ORGANIZATION_SYNC_KEY = 'idpsync:organization';
export const roleSyncKey = (organizationId: string): string => `idpsync:roles:${organizationId}`;

async function readSetting(db: DbOrTx, key: string): Promise<Record<string, unknown> | undefined> {
  const row = await db.selectFrom('runtime_config').select('value').where('key', '=', key).executeTakeFirst();
  return row && typeof row.value === 'object' && row.value !== null ? (row.value as Record<string, unknown>) : undefined;
}

async function writeSetting(db: DbOrTx, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('runtime_config')
    .values({ key, value: json, updated_at: new Date() })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: new Date() }))
    .execute();
}

/** Serialises writers of one setting so the audited "old" value is the one replaced. */
async function lockSetting(tx: DbOrTx, key: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(tx);
}

/** The audited shape of organization sync settings (Coder's field names). */
function organizationSyncSnapshot(s: OrganizationSyncSettings): AuditableOrganizationSyncSettings {
  return { field: s.field, mapping: s.mapping, assign_default: s.organization_assign_default };
}

/** Drops null lists and keeps the map an object (never null on the wire). */
function cleanMapping(mapping: Record<string, unknown> | null | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [claim, values] of Object.entries(mapping ?? {})) {
    out[claim] = Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [];
  }
  return out;
}

/** Coder's defaults when nothing is stored: sync off, and the default org always assigned. */
export async function getOrganizationSyncSettings(db: DbOrTx): Promise<OrganizationSyncSettings> {
  const v = await readSetting(db, ORGANIZATION_SYNC_KEY);
  return {
    field: typeof v?.field === 'string' ? v.field : '',
    mapping: cleanMapping(v?.mapping as Record<string, unknown> | undefined),
    organization_assign_default: typeof v?.organization_assign_default === 'boolean' ? v.organization_assign_default : true,
  };
}

export async function getRoleSyncSettings(db: DbOrTx, organizationId: string): Promise<RoleSyncSettings> {
  const v = await readSetting(db, roleSyncKey(organizationId));
  return {
    field: typeof v?.field === 'string' ? v.field : '',
    mapping: cleanMapping(v?.mapping as Record<string, unknown> | undefined),
  };
}

/** Organization sync is on: OIDC users' memberships come from the IdP, not from the API. */
export async function organizationSyncEnabled(db: DbOrTx): Promise<boolean> {
  return (await getOrganizationSyncSettings(db)).field !== '';
}

/** Role sync is on for this org: OIDC members' org roles come from the IdP. */
export async function roleSyncEnabled(db: DbOrTx, organizationId: string): Promise<boolean> {
  return (await getRoleSyncSettings(db, organizationId)).field !== '';
}

export async function idpSyncRoutes(app: OrgdApp): Promise<void> {
  const { db } = app.orgd;
  const OrgParams = Type.Object({ organization: Type.String() });

  app.get(
    '/api/v2/settings/idpsync/organization',
    {
      config: { auth: 'required', authz: 'read idpsync_settings (site) else 403' },
      schema: { tags: ['Enterprise'], operationId: 'get-organization-idp-sync-settings', response: { 200: OrganizationSyncSettingsSchema } },
    },
    async (req) => {
      if (!authorize(requireAuth(req).subject, 'read', { type: 'idpsync_settings' })) throw forbidden();
      return getOrganizationSyncSettings(db);
    },
  );

  app.patch(
    '/api/v2/settings/idpsync/organization',
    {
      config: { auth: 'required', authz: 'update idpsync_settings (site) else 403' },
      schema: {
        tags: ['Enterprise'],
        operationId: 'update-organization-idp-sync-settings',
        body: PatchOrganizationSyncSettingsSchema,
        response: { 200: OrganizationSyncSettingsSchema },
      },
    },
    async (req) => {
      if (!authorize(requireAuth(req).subject, 'update', { type: 'idpsync_settings' })) throw forbidden();
      refuseNulFields({ field: req.body.field, mapping: req.body.mapping });
      // The body replaces the settings, as Coder's PATCH does (absent fields take their zero value).
      const settings: OrganizationSyncSettings = {
        field: req.body.field ?? '',
        mapping: cleanMapping(req.body.mapping),
        organization_assign_default: req.body.organization_assign_default ?? false,
      };
      await audited<AuditableOrganizationSyncSettings, void>(
        req,
        db,
        { action: 'write', resourceType: 'idp_sync_settings_organization', status: 200 },
        async (rec, tx) => {
          await lockSetting(tx, ORGANIZATION_SYNC_KEY);
          rec.old = organizationSyncSnapshot(await getOrganizationSyncSettings(tx));
          await writeSetting(tx, ORGANIZATION_SYNC_KEY, settings);
          rec.new = organizationSyncSnapshot(settings);
        },
      );
      return settings;
    },
  );

  app.get(
    '/api/v2/organizations/:organization/settings/idpsync/roles',
    {
      config: { auth: 'required', authz: 'read idpsync_settings in org else 403' },
      schema: {
        tags: ['Enterprise'],
        operationId: 'get-role-idp-sync-settings-by-organization',
        params: OrgParams,
        response: { 200: RoleSyncSettingsSchema },
      },
    },
    async (req) => {
      const org = await resolveOrganizationParam(req, db);
      if (!authorize(requireAuth(req).subject, 'read', { type: 'idpsync_settings', org: org.id })) throw forbidden();
      return getRoleSyncSettings(db, org.id);
    },
  );

  app.patch(
    '/api/v2/organizations/:organization/settings/idpsync/roles',
    {
      config: { auth: 'required', authz: 'update idpsync_settings in org else 403' },
      schema: {
        tags: ['Enterprise'],
        operationId: 'update-role-idp-sync-settings-by-organization',
        params: OrgParams,
        body: PatchRoleSyncSettingsSchema,
        response: { 200: RoleSyncSettingsSchema },
      },
    },
    async (req) => {
      const org = await resolveOrganizationParam(req, db);
      if (!authorize(requireAuth(req).subject, 'update', { type: 'idpsync_settings', org: org.id })) throw forbidden();
      refuseNulFields({ field: req.body.field, mapping: req.body.mapping });
      const settings: RoleSyncSettings = { field: req.body.field ?? '', mapping: cleanMapping(req.body.mapping) };
      await audited<AuditableRoleSyncSettings, void>(
        req,
        db,
        { action: 'write', resourceType: 'idp_sync_settings_role', status: 200 },
        async (rec, tx) => {
          rec.organizationId = org.id;
          await lockSetting(tx, roleSyncKey(org.id));
          rec.old = await getRoleSyncSettings(tx, org.id);
          await writeSetting(tx, roleSyncKey(org.id), settings);
          rec.new = settings;
        },
      );
      return settings;
    },
  );
}
