// `orgd login`, `orgd logout`, `orgd whoami`: the session the other commands use.
//
// `login <url>` creates the first user when the deployment has none (asking on a terminal, or from
// the --first-user-* flags / ORGD_FIRST_USER_* env, as Coder's CLI), else signs in with email and
// password, or stores a token given with --token (for CI).
import os from 'node:os';
import { Command, Option } from 'commander';
import { ApiError, OrgdClient } from '../sdk/index.js';
import { ask, clientOf, CliError, configOf, confirm, globalsOf, interactive, normalizeUrl } from './context.js';
import { printOutput, time, withOutput, type OutputOptions, type OutputSpec } from './output.js';
import type { User } from '../sdk/index.js';

const EMAIL_RE = /^[^@\s]+@[^@\s]+$/;
const validEmail = (v: string) => (EMAIL_RE.test(v.trim()) ? undefined : 'Enter a valid email address.');

interface LoginOptions {
  token?: string;
  email?: string;
  password?: string;
  firstUserEmail?: string;
  firstUserUsername?: string;
  firstUserPassword?: string;
  firstUserFullName?: string;
}

export function loginCommand(): Command {
  return new Command('login')
    .description('Sign in to a deployment (creates its first user when there is none)')
    .argument('[url]', 'URL of the deployment (default: the one of the last login)')
    .addOption(new Option('--token <token>', 'use this session or API token instead of signing in').env('ORGD_SESSION_TOKEN'))
    .addOption(new Option('--email <email>', 'email to sign in with').env('ORGD_EMAIL'))
    .addOption(new Option('--password <password>', 'password to sign in with').env('ORGD_PASSWORD'))
    .addOption(new Option('--first-user-email <email>', 'email of the first user, when creating it').env('ORGD_FIRST_USER_EMAIL'))
    .addOption(new Option('--first-user-username <username>', 'username of the first user').env('ORGD_FIRST_USER_USERNAME'))
    .addOption(new Option('--first-user-password <password>', 'password of the first user').env('ORGD_FIRST_USER_PASSWORD'))
    .addOption(new Option('--first-user-full-name <name>', 'full name of the first user').env('ORGD_FIRST_USER_FULL_NAME'))
    .action(async (urlArg: string | undefined, opts: LoginOptions, cmd: Command) => {
      const config = configOf(cmd);
      const rawUrl = urlArg ?? globalsOf(cmd).url ?? config.read('url');
      if (!rawUrl) throw new CliError('No deployment URL given.', "Run 'orgd login <url>'.");
      const url = normalizeUrl(rawUrl);
      const client = new OrgdClient(url);

      let token: string;
      if (opts.token) {
        token = opts.token;
      } else if (!(await client.hasFirstUser())) {
        token = await createFirstUser(client, opts);
      } else {
        const email = opts.email ?? (await ask({ message: 'Email', flag: '--email', validate: validEmail }));
        const password = opts.password ?? (await ask({ message: 'Password', flag: '--password', secret: true }));
        token = (await client.login({ email: email.trim(), password })).session_token;
      }
      client.setSessionToken(token);
      const me = await client.user('me');
      config.write('url', url);
      config.write('session', token);
      process.stderr.write(`Welcome to orgd, ${me.username}! You're authenticated.\n`);
    });
}

async function createFirstUser(client: OrgdClient, opts: LoginOptions): Promise<string> {
  process.stderr.write(`${client.url} has no users yet: creating the first one (it becomes the owner).\n`);
  const username =
    opts.firstUserUsername ??
    (await ask({ message: 'Username', flag: '--first-user-username', defaultValue: safeUsername(os.userInfo().username) }));
  const email = opts.firstUserEmail ?? (await ask({ message: 'Email', flag: '--first-user-email', validate: validEmail }));
  const name = opts.firstUserFullName ?? (opts.firstUserUsername ? '' : await ask({ message: 'Full name (optional)', flag: '--first-user-full-name', defaultValue: '' }));
  let password = opts.firstUserPassword;
  if (password === undefined) {
    password = await ask({ message: 'Password', flag: '--first-user-password', secret: true, validate: (v) => (v ? undefined : 'A password is required.') });
    const again = await ask({ message: 'Confirm password', flag: '--first-user-password', secret: true });
    if (again !== password) throw new CliError('Passwords do not match.');
  }
  await client.createFirstUser({ email: email.trim(), username: username.trim(), name: name.trim() || undefined, password });
  return (await client.login({ email: email.trim(), password })).session_token;
}

function safeUsername(name: string): string {
  return name.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'admin';
}

export function logoutCommand(): Command {
  return new Command('logout')
    .description('End the session and forget it')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (opts: { yes?: boolean }, cmd: Command) => {
      const config = configOf(cmd);
      const client = clientOf(cmd);
      if (interactive()) await confirm('Are you sure you want to log out?', opts.yes);
      try {
        await client.logout();
      } catch (err) {
        // A session the server no longer knows is as good as ended: forget it all the same.
        if (!(err instanceof ApiError && err.status === 401)) throw err;
      }
      config.remove('session');
      config.remove('url');
      process.stderr.write("You are no longer logged in. You can log in using 'orgd login <url>'.\n");
    });
}

const whoamiSpec: OutputSpec<User & { url: string }> = {
  columns: [
    { name: 'url', get: (u) => u.url },
    { name: 'username', get: (u) => u.username },
    { name: 'email', get: (u) => u.email },
    { name: 'id', get: (u) => u.id },
    { name: 'roles', get: (u) => u.roles.map((r) => r.name) },
    { name: 'last seen at', get: (u) => time(u.last_seen_at) },
  ],
  defaults: ['url', 'username', 'email'],
};

export function whoamiCommand(): Command {
  const cmd = new Command('whoami').description('Show who the stored session belongs to');
  return withOutput(cmd, whoamiSpec).action(async (opts: OutputOptions & { output?: string }, c: Command) => {
    const client = clientOf(c);
    const me = await client.user('me');
    if (opts.output === 'json' || (c.getOptionValueSource('column') ?? 'default') !== 'default') {
      printOutput({ ...me, url: client.url }, whoamiSpec, opts);
      return;
    }
    process.stdout.write(`orgd is running at ${client.url}, you're authenticated as ${me.username} (${me.email}).\n`);
  });
}
