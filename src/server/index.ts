// Composition root: configuration -> database (embedded or external) -> migrations -> HTTP app.
// Stops in the reverse order on SIGINT/SIGTERM after in-flight requests have finished.
import type { FastifyServerOptions } from 'fastify';
import { openDatabase, type DatabaseHandle } from '../db/index.js';
import { migrate } from '../db/migrate.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';
import { buildApp, type OrgdApp } from '../http/app.js';
import { parseHttpAddress, type ServerConfig } from './config.js';
import { assertAuditPoliciesComplete } from '../audit/index.js';

export interface RunningServer {
  app: OrgdApp;
  url: string;
  databaseUrl: string;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: FastifyServerOptions['logger'];
  /** Called with progress messages (e.g. embedded PostgreSQL starting). */
  log?: (msg: string) => void;
}

export async function startServer(config: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const { host, port } = parseHttpAddress(config.httpAddress);
  let embedded: EmbeddedDatabase | undefined;
  let database: DatabaseHandle | undefined;
  try {
    let url = config.postgresUrl;
    if (!url) {
      opts.log?.(`starting embedded PostgreSQL in ${config.dataDir}`);
      embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
      url = embedded.url;
    }
    database = openDatabase(url, { max: 20 });
    await migrate(database.pool);
    await assertAuditPoliciesComplete(database.db);
    const app = await buildApp({ db: database.db, pool: database.pool, config, listenUrl: url, logger: opts.logger });
    await app.listen({ host, port });
    const addr = app.server.address();
    const boundPort = typeof addr === 'object' && addr ? addr.port : port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    const db = database;
    let closing: Promise<void> | undefined;
    return {
      app,
      url: `http://${shownHost}:${boundPort}`,
      databaseUrl: url,
      close() {
        closing ??= (async () => {
          await app.close(); // stops accepting, waits for in-flight requests
          await db.close();
          await embedded?.stop();
        })();
        return closing;
      },
    };
  } catch (err) {
    await database?.close().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}
