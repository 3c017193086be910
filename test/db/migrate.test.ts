// Migrations run under an advisory lock: replicas starting at the same moment on an empty database
// apply each migration exactly once, and a later start finds nothing to do.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { listMigrations, migrate } from '../../src/db/migrate.js';
import { withDatabase } from '../helpers/db.js';

describe('migrate', () => {
  it('applies each migration once when three replicas start together', async () => {
    const adminUrl = inject('pgAdminUrl');
    const name = `${inject('pgTemplate')}_m${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const pools = [0, 1, 2].map(() => {
      const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 2 });
      pool.on('error', () => undefined); // idle clients ended by the DROP below
      return pool;
    });
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p)));
      const all = (await listMigrations()).map((m) => m.version);
      // Exactly one replica applied everything; the others found nothing to do.
      expect(applied.filter((a) => a.length > 0)).toEqual([all]);
      expect(applied.filter((a) => a.length === 0)).toHaveLength(2);
      const { rows } = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(all);
      const orgs = await pools[0]!.query('SELECT name, is_default FROM organizations');
      expect(orgs.rows).toEqual([{ name: 'coder', is_default: true }]);
      expect(await migrate(pools[1]!)).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
