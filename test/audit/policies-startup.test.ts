// The server refuses to start when a column of an audited table is not classified by its audit
// policy: a migration must decide whether the audit log tracks, hides or ignores a new field.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { assertAuditPoliciesComplete } from '../../src/audit/index.js';
import { openDatabase } from '../../src/db/index.js';
import { startServer } from '../../src/server/index.js';
import { createTestDatabase } from '../helpers/db.js';
import { testConfig } from '../helpers/server.js';

describe('audit policies at start-up', () => {
  it('pass on the migrated schema and name an unclassified column', async () => {
    const testDb = await createTestDatabase();
    const database = openDatabase(testDb.url, { max: 2 });
    try {
      await expect(assertAuditPoliciesComplete(database.db)).resolves.toBeUndefined();
      const c = new pg.Client({ connectionString: testDb.url });
      await c.connect();
      await c.query('ALTER TABLE organization_members ADD COLUMN nickname text');
      await c.end();
      await expect(assertAuditPoliciesComplete(database.db)).rejects.toThrow(/organization_member: unclassified nickname/);
      // And the server itself does not start on such a schema.
      await expect(startServer(testConfig({ postgresUrl: testDb.url }))).rejects.toThrow(/audit policies are out of date/);
    } finally {
      await database.close();
      await testDb.drop();
    }
  });
});
