import type { ApiKeyRow, DbOrTx, LoginType } from '../index.js';
import { generateApiKey } from '../../http/apikey.js';

export interface NewKeyParams {
  userId: string;
  loginType: LoginType;
  lifetimeSeconds: number;
  ip?: string;
  scope?: 'all' | 'application_connect';
  tokenName?: string;
}

/** Creates a key and returns the row with the full token (shown once, never stored). */
export async function insertApiKey(db: DbOrTx, p: NewKeyParams): Promise<{ row: ApiKeyRow; token: string }> {
  const key = generateApiKey();
  const now = new Date();
  const ip = p.ip?.startsWith('::ffff:') ? p.ip.slice(7) : p.ip;
  const row = await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      hashed_secret: key.hashedSecret,
      user_id: p.userId,
      login_type: p.loginType,
      lifetime_seconds: Math.round(p.lifetimeSeconds),
      expires_at: new Date(now.getTime() + p.lifetimeSeconds * 1000),
      created_at: now,
      updated_at: now,
      ip_address: ip || '0.0.0.0',
      scope: p.scope ?? 'all',
      token_name: p.tokenName ?? '',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, token: key.token };
}
