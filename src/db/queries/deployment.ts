import { sql } from 'kysely';
import type { Db } from '../index.js';

const cache = new WeakMap<Db, string>();

/** The deployment's id, made once on first use and kept in runtime_config. */
export async function getDeploymentId(db: Db): Promise<string> {
  const known = cache.get(db);
  if (known) return known;
  const { rows } = await sql<{ value: string }>`
    WITH ins AS (
      INSERT INTO runtime_config (key, value) VALUES ('deployment_id', to_jsonb(gen_random_uuid()::text))
      ON CONFLICT (key) DO NOTHING RETURNING value
    )
    SELECT value #>> '{}' AS value FROM ins
    UNION ALL SELECT value #>> '{}' FROM runtime_config WHERE key = 'deployment_id'
    LIMIT 1`.execute(db);
  const id = rows[0]!.value;
  cache.set(db, id);
  return id;
}
