// `orgd tokens create|list|remove`: long-lived API tokens, as Coder's `coder tokens`.
import { Command, Option } from 'commander';
import { ApiError, type APIKeyWithOwner } from '../sdk/index.js';
import { clientOf, CliError } from './context.js';
import { printOutput, time, withOutput, type OutputOptions, type OutputSpec } from './output.js';

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** `30d`, `720h`, `1h30m`, `90s` → seconds. */
export function parseLifetime(text: string): number {
  const re = /(\d+)(d|h|m|s)/g;
  let seconds = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    seconds += Number(m[1]) * UNIT_SECONDS[m[2]];
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new CliError(`Invalid lifetime "${text}"`, 'Use a duration such as 30d, 720h or 1h30m.');
  }
  return seconds;
}

const tokenSpec: OutputSpec<APIKeyWithOwner> = {
  columns: [
    { name: 'id', get: (k) => k.id },
    { name: 'name', get: (k) => k.token_name },
    { name: 'owner', get: (k) => k.username },
    { name: 'last used', get: (k) => time(k.last_used) },
    { name: 'expires at', get: (k) => time(k.expires_at) },
    { name: 'created at', get: (k) => time(k.created_at) },
    { name: 'scopes', get: (k) => (k.scopes.length ? k.scopes : [k.scope]) },
  ],
  defaults: ['id', 'name', 'last used', 'expires at', 'created at'],
};

function createCommand(): Command {
  return new Command('create')
    .description('Create a token and print it (it is shown only once)')
    .option('--name <name>', 'name of the token (default: a generated one)')
    .option('--lifetime <duration>', 'how long the token lives, e.g. 30d or 720h (default: the deployment default)')
    .option('--user <user>', 'create the token for this user (id or username)', 'me')
    .action(async (opts: { name?: string; lifetime?: string; user: string }, c: Command) => {
      const lifetimeSeconds = opts.lifetime === undefined ? undefined : parseLifetime(opts.lifetime);
      const res = await clientOf(c).createToken(opts.user, {
        token_name: opts.name,
        // Go's time.Duration: nanoseconds.
        lifetime: lifetimeSeconds === undefined ? undefined : lifetimeSeconds * 1e9,
      });
      process.stdout.write(`${res.key}\n`);
    });
}

function listCommand(): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description('List your tokens')
    .option('-a, --all', "include other users' tokens (those you may see)")
    .option('--include-expired', 'include expired tokens');
  return withOutput(cmd, tokenSpec).action(async (opts: OutputOptions & { all?: boolean; includeExpired?: boolean }, c: Command) => {
    const tokens = await clientOf(c).tokens('me', { includeAll: opts.all, includeExpired: opts.includeExpired });
    const columns = opts.all && c.getOptionValueSource('column') === 'default' ? [...tokenSpec.defaults, 'owner'] : opts.column;
    printOutput(tokens, tokenSpec, { ...opts, column: columns });
  });
}

function removeCommand(): Command {
  return new Command('remove')
    .aliases(['rm', 'delete'])
    .description('Delete a token by name, id or the token itself')
    .argument('<token>', 'name, id or token')
    .addOption(new Option('--user <user>', 'owner of the token (id or username)').default('me'))
    .action(async (which: string, opts: { user: string }, c: Command) => {
      const client = clientOf(c);
      let id: string;
      if (/^[0-9A-Za-z]{10}-[0-9A-Za-z]{22}$/.test(which)) {
        id = which.slice(0, 10);
      } else {
        try {
          id = (await client.apiKeyByName(opts.user, which)).id;
        } catch (err) {
          // Not a token name: take it as an id (the delete answers the server's 404 if it is not one).
          if (!(err instanceof ApiError && err.status === 404)) throw err;
          id = which;
        }
      }
      await client.deleteAPIKey(opts.user, id);
      process.stdout.write('Token has been deleted.\n');
    });
}

export function tokensCommand(): Command {
  return new Command('tokens')
    .alias('token')
    .description('Manage API tokens')
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(removeCommand());
}
