// `orgd server`: runs the API on the embedded PostgreSQL (default) or an external one.
import { Command, Option } from 'commander';
import { startServer } from '../server/index.js';
import { defaultConfig, parseDuration, type ServerConfig } from '../server/config.js';

export function serverCommand(): Command {
  const d = defaultConfig();
  return new Command('server')
    .description('Start the orgd API server')
    .addOption(new Option('--http-address <host:port>', 'address to serve the API on').default(d.httpAddress))
    .addOption(new Option('--postgres-url <url>', 'PostgreSQL connection URL; absent: embedded PostgreSQL in --data-dir').env('ORGD_PG_CONNECTION_URL'))
    .addOption(new Option('--data-dir <path>', 'where the embedded PostgreSQL keeps its data').env('ORGD_DATA_DIR').default(d.dataDir))
    .addOption(new Option('--access-url <url>', 'the URL users reach this deployment at').env('ORGD_ACCESS_URL'))
    .addOption(new Option('--session-duration <duration>', 'lifetime of browser sessions, sliding').default('24h'))
    .addOption(new Option('--disable-session-expiry-refresh', 'do not extend sessions as they are used'))
    .addOption(new Option('--default-token-lifetime <duration>', 'lifetime of tokens created without one').default('168h'))
    .addOption(new Option('--max-token-lifetime <duration>', 'longest lifetime a token may ask for').default('876600h'))
    .addOption(new Option('--login-rate-limit <n>', 'login requests per minute per IP (<= 0 disables)').default('60'))
    .addOption(new Option('--log-level <level>', 'trace, debug, info, warn, error').env('ORGD_LOG_LEVEL').default(d.logLevel))
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const config: ServerConfig = {
        ...d,
        httpAddress: String(opts.httpAddress),
        postgresUrl: (opts.postgresUrl as string | undefined) || undefined,
        dataDir: String(opts.dataDir),
        accessUrl: (opts.accessUrl as string | undefined) ?? '',
        sessionDurationSeconds: parseDuration(String(opts.sessionDuration)),
        disableSessionExpiryRefresh: Boolean(opts.disableSessionExpiryRefresh),
        defaultTokenLifetimeSeconds: parseDuration(String(opts.defaultTokenLifetime)),
        maxTokenLifetimeSeconds: parseDuration(String(opts.maxTokenLifetime)),
        loginRateLimit: Number(opts.loginRateLimit),
        logLevel: String(opts.logLevel),
      };
      if (!Number.isFinite(config.loginRateLimit)) throw new Error('--login-rate-limit must be a number');
      const server = await startServer(config, {
        logger: { level: config.logLevel },
        log: (m) => process.stderr.write(`${m}\n`),
      });
      if (!config.accessUrl) server.app.orgd.config.accessUrl = server.url;
      server.app.log.info({ url: server.url, database: config.postgresUrl ? 'external' : 'embedded' }, 'orgd server started');
      process.stderr.write(`orgd is listening on ${server.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
        server
          .close()
          .then(() => process.exit(0))
          .catch((err) => {
            process.stderr.write(`shutdown failed: ${String(err)}\n`);
            process.exit(1);
          });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
