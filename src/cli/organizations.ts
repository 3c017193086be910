// `orgd organizations list|create|show|delete|set`, `organizations members list|add|remove|edit-roles`
// and `organizations roles list|create|update|delete`, shaped like Coder's `coder organizations`.
// The organization comes from -O/--org (env ORGD_ORGANIZATION), else the one `organizations set`
// selected, else the deployment's default organization.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import * as p from '@clack/prompts';
import {
  ApiError,
  type AssignableRoles,
  type CustomRoleRequest,
  type Organization,
  type OrganizationMemberWithUserData,
  type OrgdClient,
  type Permission,
  type Role,
} from '../sdk/index.js';
import { clientOf, CliError, configOf, confirm, describeError, interactive, orgOption, organizationOf, readStdin } from './context.js';
import { printOutput, time, withOutput, type OutputOptions, type OutputSpec } from './output.js';
import { mapLimit, progressBar } from './progress.js';

// ---- organizations ------------------------------------------------------------------------

const orgSpec: OutputSpec<Organization> = {
  columns: [
    { name: 'id', get: (o) => o.id },
    { name: 'name', get: (o) => o.name },
    { name: 'display name', get: (o) => o.display_name },
    { name: 'description', get: (o) => o.description },
    { name: 'icon', get: (o) => o.icon },
    { name: 'default', get: (o) => o.is_default },
    { name: 'default member roles', get: (o) => o.default_org_member_roles },
    { name: 'created at', get: (o) => time(o.created_at) },
    { name: 'updated at', get: (o) => time(o.updated_at) },
  ],
  defaults: ['name', 'display name', 'id', 'default'],
};

function listOrgsCommand(): Command {
  const cmd = new Command('list').alias('ls').description('List the organizations you can see');
  return withOutput(cmd, orgSpec).action(async (opts: OutputOptions, c: Command) => {
    printOutput(await clientOf(c).organizations(), orgSpec, opts);
  });
}

function createOrgCommand(): Command {
  const cmd = new Command('create')
    .description('Create an organization (you become a member of it)')
    .argument('<name>', 'name of the organization')
    .option('--display-name <name>', 'display name (default: the name)')
    .option('--description <text>', 'description')
    .option('--icon <url>', 'icon URL');
  return withOutput(cmd, orgSpec).action(
    async (name: string, opts: OutputOptions & { displayName?: string; description?: string; icon?: string }, c: Command) => {
      const org = await clientOf(c).createOrganization({
        name,
        display_name: opts.displayName,
        description: opts.description,
        icon: opts.icon,
      });
      if (opts.output === 'json') return printOutput(org, orgSpec, opts);
      process.stdout.write(`Organization ${org.name} (${org.id}) has been created.\n`);
    },
  );
}

function showOrgCommand(): Command {
  const cmd = new Command('show')
    .description('Show an organization: "selected" (default), "me" (all of yours) or a name or id')
    .argument('[organization]', 'selected | me | name or id', 'selected')
    .addOption(orgOption());
  return withOutput(cmd, orgSpec).action(async (which: string, opts: OutputOptions, c: Command) => {
    const client = clientOf(c);
    if (which === 'me') return printOutput(await client.organizationsByUser('me'), orgSpec, opts);
    printOutput(await client.organization(which === 'selected' ? organizationOf(c) : which), orgSpec, opts);
  });
}

function deleteOrgCommand(): Command {
  return new Command('delete')
    .alias('rm')
    .description('Delete an organization')
    .argument('<organization>', 'name or id')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (which: string, opts: { yes?: boolean }, c: Command) => {
      const client = clientOf(c);
      const org = await client.organization(which);
      await confirm(`Delete organization ${org.name}?`, opts.yes);
      await client.deleteOrganization(org.id);
      const config = configOf(c);
      const selected = config.read('organization');
      if (selected && (selected === org.id || selected.toLowerCase() === org.name.toLowerCase())) config.remove('organization');
      process.stdout.write(`Organization ${org.name} has been deleted.\n`);
    });
}

function setOrgCommand(): Command {
  return new Command('set')
    .description('Select the organization commands use when -O/--org is not given ("default" clears the selection)')
    .argument('<organization>', 'name or id')
    .action(async (which: string, _opts: unknown, c: Command) => {
      const config = configOf(c);
      const org = await clientOf(c).organization(which);
      if (which === 'default') config.remove('organization');
      else config.write('organization', org.name);
      process.stdout.write(`Selected organization ${org.name}. Commands use it unless -O/--org says otherwise.\n`);
    });
}

// ---- members ------------------------------------------------------------------------------

const roleNames = (roles: { name: string }[]) => roles.map((r) => r.name);

const memberSpec: OutputSpec<OrganizationMemberWithUserData> = {
  columns: [
    { name: 'user id', get: (m) => m.user_id },
    { name: 'username', get: (m) => m.username },
    { name: 'name', get: (m) => m.name },
    { name: 'email', get: (m) => m.email },
    { name: 'organization roles', get: (m) => roleNames(m.roles) },
    { name: 'global roles', get: (m) => roleNames(m.global_roles) },
    { name: 'status', get: (m) => m.status },
    { name: 'login type', get: (m) => m.login_type },
    { name: 'created at', get: (m) => time(m.created_at) },
    { name: 'updated at', get: (m) => time(m.updated_at) },
  ],
  defaults: ['username', 'email', 'organization roles'],
};

function listMembersCommand(): Command {
  const cmd = new Command('list').alias('ls').description('List the members of the organization').addOption(orgOption());
  return withOutput(cmd, memberSpec).action(async (opts: OutputOptions, c: Command) => {
    printOutput(await clientOf(c).organizationMembers(organizationOf(c)), memberSpec, opts);
  });
}

/** Users named on the command line and in `--from-file` (one per line; `#` comments; `-` is stdin). */
async function usersToAdd(args: string[], fromFile: string | undefined): Promise<string[]> {
  const names = [...args];
  if (fromFile) {
    const text = fromFile === '-' ? await readStdin() : await readFile(fromFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`Cannot read ${fromFile}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    for (const line of text.split(/\r?\n/)) {
      const name = line.replace(/#.*$/, '').trim();
      if (name) names.push(name);
    }
  }
  return [...new Set(names)];
}

function addMembersCommand(): Command {
  return new Command('add')
    .description('Add users (ids or usernames) to the organization')
    .argument('[users...]', 'ids or usernames')
    .option('-f, --from-file <path>', 'read users from a file, one per line ("-" for stdin)')
    .addOption(orgOption())
    .action(async (args: string[], opts: { fromFile?: string }, c: Command) => {
      const client = clientOf(c);
      const users = await usersToAdd(args, opts.fromFile);
      if (users.length === 0) throw new CliError('No users to add.', 'Name users as arguments or with --from-file.');
      const org = await client.organization(organizationOf(c));
      if (users.length === 1) {
        await client.postOrganizationMember(org.id, users[0]);
        process.stdout.write(`Added ${users[0]} to organization ${org.name}.\n`);
        return;
      }
      const progress = progressBar(users.length);
      const results = await mapLimit(users, 4, async (user) => {
        try {
          await client.postOrganizationMember(org.id, user);
          return undefined;
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          return err;
        } finally {
          progress.tick(user);
        }
      });
      progress.done();
      const failed = users.flatMap((user, i) => (results[i] ? [{ user, err: results[i] }] : []));
      const added = users.length - failed.length;
      process.stdout.write(`Added ${added} of ${users.length} users to organization ${org.name}.\n`);
      if (failed.length) {
        for (const f of failed) process.stderr.write(`${f.user}: ${describeError(f.err).replaceAll('\n', '\n  ')}\n`);
        throw new CliError(`${failed.length} of ${users.length} users could not be added.`);
      }
    });
}

function removeMemberCommand(): Command {
  return new Command('remove')
    .alias('rm')
    .description('Remove a member from the organization')
    .argument('<user>', 'id or username')
    .addOption(orgOption())
    .action(async (user: string, _opts: unknown, c: Command) => {
      const client = clientOf(c);
      const org = organizationOf(c);
      await client.deleteOrganizationMember(org, user);
      process.stdout.write(`Removed ${user} from organization ${org}.\n`);
    });
}

async function pickRoles(client: OrgdClient, org: string, user: string): Promise<string[]> {
  const [roles, member] = await Promise.all([client.listOrganizationRoles(org), client.organizationMember(org, user).catch(() => undefined)]);
  const current = new Set(member ? roleNames(member.roles) : []);
  const choice = await p.multiselect({
    message: `Roles of ${user} (space to toggle, enter to save)`,
    options: roles.filter((r) => r.assignable).map((r) => ({ value: r.name, label: r.display_name || r.name, hint: r.name })),
    initialValues: [...current],
    required: false,
    output: process.stderr,
  });
  if (p.isCancel(choice)) throw new CliError('Cancelled.');
  return choice;
}

function editRolesCommand(): Command {
  return new Command('edit-roles')
    .description('Set the organization roles of a member (the full list; none given on a terminal: pick them)')
    .argument('<user>', 'id or username')
    .argument('[roles...]', 'organization role names, e.g. organization-admin')
    .addOption(orgOption())
    .action(async (user: string, roles: string[], _opts: unknown, c: Command) => {
      const client = clientOf(c);
      const org = organizationOf(c);
      const wanted = roles.length === 0 && interactive() ? await pickRoles(client, org, user) : roles;
      const member = await client.updateOrganizationMemberRoles(org, user, { roles: wanted });
      const names = roleNames(member.roles);
      process.stdout.write(`Roles of ${user} in organization ${org}: ${names.length ? names.join(', ') : '(none)'}\n`);
    });
}

function membersCommand(): Command {
  return new Command('members')
    .alias('member')
    .description('Manage the members of an organization')
    .addCommand(listMembersCommand())
    .addCommand(addMembersCommand())
    .addCommand(removeMemberCommand())
    .addCommand(editRolesCommand());
}

// ---- roles --------------------------------------------------------------------------------

const permissionText = (perms: Permission[] | undefined) =>
  (perms ?? []).map((perm) => `${perm.negate ? '!' : ''}${perm.resource_type}:${perm.action}`);

const roleSpec: OutputSpec<Role & Partial<Pick<AssignableRoles, 'assignable' | 'built_in'>>> = {
  columns: [
    { name: 'name', get: (r) => r.name },
    { name: 'display name', get: (r) => r.display_name },
    { name: 'built in', get: (r) => r.built_in },
    { name: 'assignable', get: (r) => r.assignable },
    { name: 'organization permissions', get: (r) => permissionText(r.organization_permissions) },
    { name: 'member permissions', get: (r) => permissionText(r.organization_member_permissions) },
    { name: 'site permissions', get: (r) => permissionText(r.site_permissions) },
    { name: 'user permissions', get: (r) => permissionText(r.user_permissions) },
    { name: 'organization id', get: (r) => r.organization_id },
  ],
  defaults: ['name', 'display name', 'built in', 'assignable', 'organization permissions'],
};

function listRolesCommand(): Command {
  const cmd = new Command('list').alias('ls').description('List the roles members of the organization may hold').addOption(orgOption());
  return withOutput(cmd, roleSpec).action(async (opts: OutputOptions, c: Command) => {
    printOutput(await clientOf(c).listOrganizationRoles(organizationOf(c)), roleSpec, opts);
  });
}

/** `[!]resource:action`, e.g. `organization_member:read` or `!workspace:*`. */
export function parsePermission(text: string): Permission {
  const m = /^(!?)([a-z_*][a-z0-9_]*|\*):([a-z_*][a-z0-9_]*|\*)$/.exec(text.trim());
  if (!m) throw new CliError(`Invalid permission "${text}"`, 'Write it as resource:action (e.g. organization_member:read), with a leading ! to deny.');
  return { negate: m[1] === '!', resource_type: m[2], action: m[3] };
}

interface RoleOptions extends OutputOptions {
  displayName?: string;
  permission?: string[];
  memberPermission?: string[];
  stdin?: boolean;
}

function roleEditCommand(name: 'create' | 'update'): Command {
  const cmd = new Command(name)
    .description(
      name === 'create'
        ? 'Create a custom organization role'
        : 'Replace a custom organization role (its display name and permissions as given)',
    )
    .argument('<name>', 'role name')
    .option('--display-name <name>', 'display name')
    .option('--permission <perm...>', 'organization-wide permission, resource:action (repeatable; ! to deny)')
    .option('--member-permission <perm...>', "permission on the member's own resources in the organization, resource:action")
    .option('--stdin', 'read the role as JSON (CustomRoleRequest) from stdin; flags override its fields')
    .addOption(orgOption());
  return withOutput(cmd, roleSpec).action(async (roleName: string, opts: RoleOptions, c: Command) => {
    const client = clientOf(c);
    let req: CustomRoleRequest = { name: roleName };
    if (opts.stdin) {
      try {
        req = { ...(JSON.parse(await readStdin()) as CustomRoleRequest), name: roleName };
      } catch (err) {
        throw new CliError('The role on stdin is not valid JSON.', (err as Error).message);
      }
    }
    if (opts.displayName !== undefined) req.display_name = opts.displayName;
    if (opts.permission) req.organization_permissions = opts.permission.flatMap((s) => s.split(',')).map(parsePermission);
    if (opts.memberPermission) req.organization_member_permissions = opts.memberPermission.flatMap((s) => s.split(',')).map(parsePermission);
    const org = organizationOf(c);
    const role = name === 'create' ? await client.createOrganizationRole(org, req) : await client.updateOrganizationRole(org, req);
    printOutput(role, roleSpec, opts);
  });
}

function deleteRoleCommand(): Command {
  return new Command('delete')
    .alias('rm')
    .description('Delete a custom organization role')
    .argument('<name>', 'role name')
    .addOption(orgOption())
    .action(async (roleName: string, _opts: unknown, c: Command) => {
      const org = organizationOf(c);
      await clientOf(c).deleteOrganizationRole(org, roleName);
      process.stdout.write(`Role ${roleName} has been deleted from organization ${org}.\n`);
    });
}

function rolesCommand(): Command {
  return new Command('roles')
    .alias('role')
    .description('Manage the roles of an organization')
    .addCommand(listRolesCommand())
    .addCommand(roleEditCommand('create'))
    .addCommand(roleEditCommand('update'))
    .addCommand(deleteRoleCommand());
}

export function organizationsCommand(): Command {
  return new Command('organizations')
    .aliases(['organization', 'org', 'orgs'])
    .description('Manage organizations, their members and roles')
    .addCommand(listOrgsCommand())
    .addCommand(createOrgCommand())
    .addCommand(showOrgCommand())
    .addCommand(deleteOrgCommand())
    .addCommand(setOrgCommand())
    .addCommand(membersCommand())
    .addCommand(rolesCommand());
}

