// `orgd users list|create|show|suspend|activate|delete`, shaped like Coder's `coder users`.
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import type { OrgdClient, User } from '../sdk/index.js';
import { ask, clientOf, CliError, configOf, interactive, orgOption } from './context.js';
import { printOutput, time, withOutput, type OutputOptions, type OutputSpec } from './output.js';

/** The nil uuid stands for the default organization in `organization_ids`. */
const DEFAULT_ORG_ID = '00000000-0000-0000-0000-000000000000';
const PAGE = 100;

export const userSpec: OutputSpec<User> = {
  columns: [
    { name: 'id', get: (u) => u.id },
    { name: 'username', get: (u) => u.username },
    { name: 'name', get: (u) => u.name },
    { name: 'email', get: (u) => u.email },
    { name: 'created at', get: (u) => time(u.created_at) },
    { name: 'updated at', get: (u) => time(u.updated_at) },
    { name: 'last seen at', get: (u) => time(u.last_seen_at) },
    { name: 'status', get: (u) => u.status },
    { name: 'login type', get: (u) => u.login_type },
    { name: 'roles', get: (u) => u.roles.map((r) => r.name) },
    { name: 'organization ids', get: (u) => u.organization_ids },
  ],
  defaults: ['username', 'email', 'created at', 'status'],
};

/** Every user matching the search, page by page (keyset on `after_id`), up to `max`. */
async function allUsers(client: OrgdClient, q: { search?: string; status?: string; role?: string }, max: number): Promise<User[]> {
  const users: User[] = [];
  for (;;) {
    const limit = Math.min(PAGE, max - users.length);
    if (limit <= 0) return users;
    const page = await client.users({
      search: q.search,
      status: q.status as User['status'] | undefined,
      role: q.role,
      limit,
      after_id: users.at(-1)?.id,
    });
    users.push(...page.users);
    if (page.users.length < limit) return users;
  }
}

function listCommand(): Command {
  const cmd = new Command('list')
    .alias('ls')
    .description('List users')
    .option('--search <text>', 'only users whose username or email contains this')
    .addOption(new Option('--status <status>', 'only users with this status').choices(['active', 'dormant', 'suspended']))
    .option('--role <role>', 'only users with this site role')
    .addOption(new Option('--limit <n>', 'at most this many users').argParser(positiveInt).default(10_000));
  return withOutput(cmd, userSpec).action(
    async (opts: OutputOptions & { search?: string; status?: string; role?: string; limit: number }, c: Command) => {
      const users = await allUsers(clientOf(c), opts, opts.limit);
      printOutput(users, userSpec, opts);
    },
  );
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1) throw new CliError(`"${v}" is not a positive integer`);
  return n;
}

interface CreateOptions {
  email?: string;
  username?: string;
  fullName?: string;
  password?: string;
  loginType: string;
  org?: string;
}

function createCommand(): Command {
  return new Command('create')
    .description('Create a user (a random password is generated and shown when none is given)')
    .option('-e, --email <email>', 'email of the new user')
    .option('-u, --username <username>', 'username of the new user')
    .option('-n, --full-name <name>', 'full name of the new user')
    .addOption(new Option('-p, --password <password>', 'password of the new user').env('ORGD_USER_PASSWORD'))
    .addOption(new Option('--login-type <type>', 'how the user signs in').choices(['password', 'none', 'github', 'oidc']).default('password'))
    .addOption(orgOption())
    .action(async (opts: CreateOptions, c: Command) => {
      const client = clientOf(c);
      const username = opts.username ?? (await ask({ message: 'Username', flag: '--username' }));
      const email = opts.email ?? (await ask({ message: 'Email', flag: '--email' }));
      const name = opts.fullName ?? (interactive() ? await ask({ message: 'Full name (optional)', flag: '--full-name', defaultValue: '' }) : '');
      let password = opts.password;
      let generated = false;
      if (password === undefined && opts.loginType === 'password') {
        password = `${randomBytes(12).toString('base64url')}-Aa1!`;
        generated = true;
      }
      // Without -O/--org and a selection, the nil uuid asks the server for its default organization.
      const selected = opts.org || configOf(c).read('organization');
      const orgId = selected ? (await client.organization(selected)).id : DEFAULT_ORG_ID;
      const user = await client.createUser({
        email: email.trim(),
        username: username.trim(),
        name: name.trim() || undefined,
        password,
        login_type: opts.loginType,
        organization_ids: [orgId],
      });
      const lines = [`User ${user.username} created (id ${user.id}).`, `  email:    ${user.email}`];
      if (generated) lines.push(`  password: ${password}`);
      lines.push(`They can sign in with 'orgd login ${client.url}'.`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function showCommand(): Command {
  const cmd = new Command('show').description('Show a user (id, username or "me")').argument('<user>', 'id, username or me');
  return withOutput(cmd, userSpec).action(async (user: string, opts: OutputOptions, c: Command) => {
    printOutput(await clientOf(c).user(user), userSpec, opts);
  });
}

function statusCommand(name: 'suspend' | 'activate'): Command {
  const verb = name === 'suspend' ? 'suspended' : 'activated';
  return new Command(name)
    .description(name === 'suspend' ? 'Suspend a user: they can no longer sign in or use their tokens' : 'Activate a suspended or dormant user')
    .argument('<user>', 'id or username')
    .action(async (user: string, _opts: unknown, c: Command) => {
      const client = clientOf(c);
      const updated = name === 'suspend' ? await client.suspendUser(user) : await client.activateUser(user);
      process.stdout.write(`User ${updated.username} has been ${verb}!\n`);
    });
}

function deleteCommand(): Command {
  return new Command('delete')
    .alias('rm')
    .description('Delete a user')
    .argument('<user>', 'id or username')
    .action(async (user: string, _opts: unknown, c: Command) => {
      const client = clientOf(c);
      // The username for the message, before it is gone.
      const target = await client.user(user);
      await client.deleteUser(target.id);
      process.stdout.write(`Successfully deleted ${target.username}.\n`);
    });
}

export function usersCommand(): Command {
  return new Command('users')
    .alias('user')
    .description('Manage users')
    .addCommand(listCommand())
    .addCommand(createCommand())
    .addCommand(showCommand())
    .addCommand(statusCommand('suspend'))
    .addCommand(statusCommand('activate'))
    .addCommand(deleteCommand());
}
