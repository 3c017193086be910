// Once per test run: a PostgreSQL server (the embedded one, or ORGD_TEST_PG_URL when set) and a
// migrated template database. Each test file then clones the template, which takes milliseconds.
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { scratchPostgres } from '../../src/db/embedded.js';
import { withDatabase } from '../../src/db/index.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await scratchPostgres('orgd-test-', process.env.ORGD_TEST_PG_URL);
  const adminUrl = server.adminUrl;
  const template = `orgd_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, template), max: 1 });
  await migrate(pool);
  await pool.end();
  await admin.end();
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgTemplate', template);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const { rows } = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `${template}_%`],
    );
    for (const r of rows) await c.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`).catch(() => undefined);
    await c.end();
    await server.stop();
  };
}
