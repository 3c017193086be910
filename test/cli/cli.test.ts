// The built `orgd` binary, spawned as a user would run it, against a real listening server: login
// (creating the first user) → users → organization → members (also from a file) → custom roles →
// edit roles → lists as table and JSON → remove → tokens → logout; and the errors, each printing
// the server's message with a non-zero exit. Needs `npm run build` (npm test runs it first).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BIN = path.resolve('bin/orgd.js');
const PASSWORD = 'SomeSecurePassword!';
const NOT_FOUND = 'Resource not found or you do not have access to this resource';

let server: TestServer;
let tmp: string;
let home: string; // the admin's config dir

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function orgd(args: string[], opts: { config?: string; env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    // A clean environment: nothing of the developer's own orgd session leaks in.
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ORGD_')) env[k] = v;
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, ORGD_CONFIG_DIR: opts.config ?? home, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    const t0 = Date.now();
    child.on('close', (code) => {
      if (process.env.ORGD_CLI_TIMING) process.stderr.write(`${Date.now() - t0}ms orgd ${args.join(' ')}\n`);
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs and expects success; answers stdout. */
async function ok(args: string[], opts?: Parameters<typeof orgd>[1]): Promise<string> {
  const r = await orgd(args, opts);
  expect(r.code, `orgd ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Runs and expects failure; answers stderr (which must hold the error). */
async function fails(args: string[], opts?: Parameters<typeof orgd>[1]): Promise<string> {
  const r = await orgd(args, opts);
  expect(r.code, `orgd ${args.join(' ')} should fail\n${r.stdout}`).not.toBe(0);
  expect(r.stderr, r.stderr).toMatch(/^error: /m);
  return r.stderr;
}

const tableHeader = (out: string) => out.split('\n')[0].trim().split(/\s{2,}/);
const tableColumn = (out: string, i: number) =>
  out
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s{2,}/)[i]);

beforeAll(async () => {
  if (!existsSync(path.resolve('dist/cli/index.js'))) throw new Error('Run `npm run build` first: these tests run the built binary.');
  server = await startTestServer({ listen: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'orgd-cli-'));
  home = path.join(tmp, 'admin');
});
afterAll(async () => {
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('orgd CLI', { timeout: 120_000 }, () => {
  it('refuses to work before login, and to create the first user without the needed flags off a terminal', async () => {
    expect(await fails(['whoami'])).toContain("You are not logged in. Try logging in using 'orgd login <url>'.");
    expect(await fails(['users', 'list'])).toContain('You are not logged in.');
    const err = await fails(['login', server.url, '--first-user-email', 'admin@example.com']);
    expect(err).toContain('--first-user-username is required when not running in a terminal');
    expect(await fails(['login', 'ftp://example.com'])).toContain('is not an http(s) URL');
  });

  it('login creates the first user and stores the session readable by the user alone', async () => {
    const weak = await fails(['login', server.url], {
      env: { ORGD_FIRST_USER_EMAIL: 'admin@example.com', ORGD_FIRST_USER_USERNAME: 'admin', ORGD_FIRST_USER_PASSWORD: 'password' },
    });
    expect(weak).toContain('Password not strong enough!');
    expect(weak).toContain('password: ');

    const r = await orgd(['login', server.url, '--first-user-email', 'admin@example.com', '--first-user-username', 'admin', '--first-user-password', PASSWORD]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("Welcome to orgd, admin! You're authenticated.");
    expect(statSync(home).mode & 0o777).toBe(0o700);
    for (const f of ['url', 'session']) expect(statSync(path.join(home, f)).mode & 0o777).toBe(0o600);

    expect(await ok(['whoami'])).toBe(`orgd is running at ${server.url}, you're authenticated as admin (admin@example.com).\n`);
    const me = JSON.parse(await ok(['whoami', '-o', 'json']));
    expect(me).toMatchObject({ username: 'admin', url: server.url, roles: [{ name: 'owner' }] });
  });

  it('login with email and password; wrong ones print the server message and keep the old session', async () => {
    expect(await fails(['login', server.url])).toContain('--email is required when not running in a terminal');
    const err = await fails(['login', server.url, '--email', 'admin@example.com', '--password', 'wrong-password']);
    expect(err).toBe('error: Incorrect email or password.\n');
    expect(await ok(['whoami'])).toContain('authenticated as admin');
    // The stored URL is used when none is given.
    const again = await orgd(['login'], { env: { ORGD_EMAIL: 'admin@example.com', ORGD_PASSWORD: PASSWORD } });
    expect(again.code, again.stderr).toBe(0);
  });

  it('users create, list (table, JSON, columns), show, suspend, activate', async () => {
    expect(await ok(['users', 'create', '-e', 'bob@example.com', '-u', 'bob', '-n', 'Bob', '-p', PASSWORD])).toContain('User bob created');
    for (const name of ['carol', 'dave', 'erin', 'frank']) await ok(['users', 'create', '-e', `${name}@example.com`, '-u', name, '-p', PASSWORD]);
    // Without a password one is generated and shown once; it signs in.
    const out = await ok(['users', 'create', '--email', 'gina@example.com', '--username', 'gina']);
    const generated = /password: (\S+)/.exec(out)?.[1];
    expect(generated).toBeTruthy();
    const gina = path.join(tmp, 'gina');
    expect((await orgd(['login', server.url, '--email', 'gina@example.com', '--password', generated!], { config: gina })).code).toBe(0);
    expect(await ok(['whoami'], { config: gina })).toContain('authenticated as gina');

    const table = await ok(['users', 'list']);
    expect(tableHeader(table)).toEqual(['USERNAME', 'EMAIL', 'CREATED AT', 'STATUS']);
    expect(tableColumn(table, 0)).toEqual(['admin', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']);
    const json = JSON.parse(await ok(['users', 'list', '-o', 'json']));
    expect(json).toHaveLength(7);
    // Created users are dormant until they first sign in, as in Coder.
    expect(json.find((u: { username: string }) => u.username === 'bob')).toMatchObject({ email: 'bob@example.com', name: 'Bob', status: 'dormant' });
    expect(json.find((u: { username: string }) => u.username === 'gina')).toMatchObject({ status: 'active' });
    const cols = await ok(['users', 'list', '-c', 'username,login_type', '--search', 'bo']);
    expect(cols.trim().split('\n')).toEqual([expect.stringMatching(/^USERNAME\s+LOGIN TYPE$/), expect.stringMatching(/^bob\s+password$/)]);
    expect(await fails(['users', 'list', '-c', 'username,shoe size'])).toContain('unknown column "shoe size"');
    expect(JSON.parse(await ok(['users', 'show', 'bob', '-o', 'json'])).email).toBe('bob@example.com');
    expect(await ok(['users', 'show', 'me'])).toMatch(/admin\s+admin@example.com/);

    expect(await ok(['users', 'suspend', 'frank'])).toBe('User frank has been suspended!\n');
    expect(tableColumn(await ok(['users', 'list', '--status', 'suspended', '-c', 'username']), 0)).toEqual(['frank']);
    expect(await ok(['users', 'activate', 'frank'])).toBe('User frank has been activated!\n');
  });

  it('users errors print the server message, detail and validations', async () => {
    expect(await fails(['users', 'create', '-e', 'bob@example.com', '-u', 'bob2', '-p', PASSWORD])).toBe('error: User already exists.\n');
    const invalid = await fails(['users', 'create', '-e', 'not-an-email', '-u', 'x', '-p', PASSWORD]);
    expect(invalid).toContain('error: Validation failed.');
    expect(invalid).toContain('email: Validation failed for tag "email" with value: "not-an-email"');
    expect(await fails(['users', 'suspend', 'admin'])).toBe('error: You cannot suspend yourself.\n');
    const missing = await fails(['users', 'show', 'nobody']);
    expect(missing).toContain(NOT_FOUND);
    expect(await fails(['users', 'delete', 'admin'])).toContain('You cannot delete yourself!');
  });

  it('organizations create, list, show, select', async () => {
    expect(await ok(['organizations', 'create', 'acme', '--display-name', 'Acme Inc'])).toMatch(/^Organization acme \([0-9a-f-]{36}\) has been created\.\n$/);
    expect(await fails(['organizations', 'create', 'acme'])).toBe('error: Organization already exists with that name.\n');
    expect(await fails(['organizations', 'create', 'default'])).toBe('error: Organization name "default" is reserved.\n');
    const list = await ok(['organizations', 'list']);
    expect(tableHeader(list)).toEqual(['NAME', 'DISPLAY NAME', 'ID', 'DEFAULT']);
    expect(tableColumn(list, 0).sort()).toEqual(['acme', 'coder']);
    expect(JSON.parse(await ok(['org', 'show', 'acme', '-o', 'json'])).display_name).toBe('Acme Inc');
    expect(JSON.parse(await ok(['org', 'show', '-o', 'json'])).is_default).toBe(true);
    expect(JSON.parse(await ok(['org', 'show', 'me', '-o', 'json']))).toHaveLength(2);
    expect(await fails(['org', 'show', 'nope'])).toContain(NOT_FOUND);
  });

  it('members add: several users, from a file, and errors per user; no progress bar off a terminal', async () => {
    const several = await orgd(['organizations', 'members', 'add', 'bob', 'carol', '-O', 'acme']);
    expect(several.code, several.stderr).toBe(0);
    expect(several.stdout).toBe('Added 2 of 2 users to organization acme.\n');
    expect(several.stderr).toBe('');

    const file = path.join(tmp, 'members.txt');
    writeFileSync(file, '# new hires\ndave\n\nerin   \n');
    expect(await ok(['organizations', 'members', 'add', '--from-file', file, '--org', 'acme'])).toBe('Added 2 of 2 users to organization acme.\n');
    // stdin works as the file too.
    expect(await ok(['organizations', 'members', 'add', '--from-file', '-', '-O', 'acme'], { input: 'gina\n' })).toBe('Added gina to organization acme.\n');

    const dup = await fails(['organizations', 'members', 'add', 'bob', '-O', 'acme']);
    expect(dup).toBe('error: User is already an organization member\nbob is already a member of Acme Inc\n');
    const mixed = await orgd(['organizations', 'members', 'add', 'frank', 'nobody', '-O', 'acme']);
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toBe('Added 1 of 2 users to organization acme.\n');
    expect(mixed.stderr).toContain(`nobody: ${NOT_FOUND}`);
    expect(mixed.stderr).toContain('error: 1 of 2 users could not be added.');
    expect(await fails(['organizations', 'members', 'add', '--from-file', path.join(tmp, 'missing.txt'), '-O', 'acme'])).toContain('no such file');
    expect(await fails(['organizations', 'members', 'add', '-O', 'acme'])).toContain('No users to add.');
  });

  it('custom roles: create, list, update; bad ones print the server message', async () => {
    const created = await ok(['organizations', 'roles', 'create', 'viewer', '--display-name', 'Viewer', '--permission', 'organization_member:read', '-O', 'acme']);
    expect(created).toMatch(/viewer\s+Viewer/);
    const updated = JSON.parse(
      await ok(['org', 'roles', 'update', 'viewer', '--display-name', 'Member viewer', '--permission', 'organization_member:read,group:read', '-O', 'acme', '-o', 'json']),
    );
    expect(updated.display_name).toBe('Member viewer');
    expect(updated.organization_permissions.map((p: { resource_type: string }) => p.resource_type).sort()).toEqual(['group', 'organization_member']);
    const fromStdin = JSON.stringify({ display_name: 'Auditor-ish', organization_permissions: [{ resource_type: 'audit_log', action: 'read' }] });
    expect(await ok(['org', 'roles', 'create', 'peeker', '--stdin', '-O', 'acme'], { input: fromStdin })).toMatch(/peeker\s+Auditor-ish/);

    const list = await ok(['org', 'roles', 'list', '-O', 'acme', '-c', 'name,built in,assignable']);
    expect(list).toMatch(/viewer\s+false\s+true/);
    expect(list).toMatch(/organization-admin\s+true\s+true/);

    const reserved = await fails(['org', 'roles', 'create', 'organization-admin', '-O', 'acme']);
    expect(reserved).toBe('error: Reserved role name\n"organization-admin" is a reserved role name, and not allowed to be used\n');
    expect(await fails(['org', 'roles', 'create', 'x', '--permission', 'read', '-O', 'acme'])).toContain('Invalid permission "read"');
    expect(await fails(['org', 'roles', 'update', 'ghost', '--display-name', 'Ghost', '-O', 'acme'])).toContain('error: ');
  });

  it('members edit-roles and list as table and JSON, with the selected organization', async () => {
    expect(await ok(['organizations', 'set', 'acme'])).toContain('Selected organization acme.');
    expect(await ok(['organizations', 'members', 'edit-roles', 'bob', 'organization-admin', 'viewer'])).toBe(
      'Roles of bob in organization acme: organization-admin, viewer\n',
    );
    const self = await fails(['organizations', 'members', 'edit-roles', 'admin', 'organization-admin']);
    expect(self).toBe('error: You cannot change your own organization roles.\nAnother user with the appropriate permissions must change your roles.\n');
    expect(await fails(['organizations', 'members', 'edit-roles', 'carol', 'no-such-role'])).toContain('error: ');

    const table = await ok(['organizations', 'members', 'list']);
    expect(tableHeader(table)).toEqual(['USERNAME', 'EMAIL', 'ORGANIZATION ROLES']);
    expect(table).toMatch(/bob\s+bob@example.com\s+organization-admin, viewer/);
    const json = JSON.parse(await ok(['organizations', 'members', 'list', '-o', 'json']));
    expect(json.map((m: { username: string }) => m.username).sort()).toEqual(['admin', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']);
    // -O and ORGD_ORGANIZATION win over the selection.
    const inDefault = JSON.parse(await ok(['organizations', 'members', 'list', '-o', 'json'], { env: { ORGD_ORGANIZATION: 'coder' } }));
    expect(inDefault.length).toBe(7);
    expect(inDefault.every((m: { roles: unknown[] }) => m.roles.length === 0)).toBe(true);

    expect(await ok(['organizations', 'members', 'edit-roles', 'bob', 'organization-admin'])).toBe('Roles of bob in organization acme: organization-admin\n');
    expect(await ok(['organizations', 'roles', 'delete', 'viewer'])).toBe('Role viewer has been deleted from organization acme.\n');
    expect(await fails(['organizations', 'roles', 'delete', 'viewer'])).toContain('No custom role with the name viewer found');
  });

  it('members remove; removing again prints the server message', async () => {
    expect(await ok(['organizations', 'members', 'remove', 'carol'])).toBe('Removed carol from organization acme.\n');
    expect(await fails(['organizations', 'members', 'remove', 'carol'])).toBe(`error: ${NOT_FOUND}\n`);
    expect(await fails(['organizations', 'members', 'remove', 'admin'])).toBe('error: cannot remove self from an organization\n');
    const left = JSON.parse(await ok(['organizations', 'members', 'list', '-o', 'json', '-O', 'acme']));
    expect(left.map((m: { username: string }) => m.username)).not.toContain('carol');
  });

  it('what a member may not do prints the server message', async () => {
    const dave = path.join(tmp, 'dave');
    expect((await orgd(['login', server.url, '--email', 'dave@example.com', '--password', PASSWORD], { config: dave })).code).toBe(0);
    expect(await fails(['organizations', 'create', 'daves-org'], { config: dave })).toContain('error: ');
    expect(await fails(['organizations', 'members', 'add', 'frank', '-O', 'coder'], { config: dave })).toContain(NOT_FOUND);
    expect(await fails(['users', 'suspend', 'bob'], { config: dave })).toContain('error: ');
  });

  it('tokens create, list, sign in with one, remove', async () => {
    const token = (await ok(['tokens', 'create', '--name', 'ci', '--lifetime', '30d'])).trim();
    expect(token).toMatch(/^[0-9A-Za-z]{10}-[0-9A-Za-z]{22}$/);
    const list = await ok(['tokens', 'list']);
    expect(tableHeader(list)).toEqual(['ID', 'NAME', 'LAST USED', 'EXPIRES AT', 'CREATED AT']);
    expect(tableColumn(list, 1)).toEqual(['ci']);
    const all = await ok(['tokens', 'list', '--all']);
    expect(tableHeader(all)).toContain('OWNER');
    const [json] = JSON.parse(await ok(['tokens', 'list', '-o', 'json']));
    expect(json).toMatchObject({ token_name: 'ci', id: token.slice(0, 10), username: 'admin' });
    const days = (Date.parse(json.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    const ci = path.join(tmp, 'ci');
    expect((await orgd(['login', server.url, '--token', token], { config: ci })).code).toBe(0);
    expect(await ok(['whoami'], { config: ci })).toContain('authenticated as admin');
    expect(await fails(['login', server.url, '--token', 'abc'], { config: path.join(tmp, 'bad') })).toContain('Invalid API key format');

    expect(await fails(['tokens', 'create', '--name', 'ci'])).toContain('A token with name "ci" already exists.');
    expect(await fails(['tokens', 'create', '--lifetime', 'forever'])).toContain('Invalid lifetime "forever"');
    expect(await ok(['tokens', 'remove', 'ci'])).toBe('Token has been deleted.\n');
    expect(await fails(['tokens', 'remove', 'ci'])).toBe(`error: ${NOT_FOUND}\n`);
    // The removed token no longer signs in: the server's 401 comes through.
    expect(await fails(['whoami'], { config: ci })).toContain('API key is invalid.');
  });

  it('organizations delete needs confirmation off a terminal, then clears the selection', async () => {
    expect(await fails(['organizations', 'delete', 'acme'])).toContain('Pass --yes to confirm');
    expect(await fails(['organizations', 'delete', 'coder', '--yes'])).toBe('error: Default organization cannot be deleted.\n');
    // An organization with members is refused by the server (its message and detail come through).
    const busy = await fails(['organizations', 'delete', 'acme', '--yes']);
    expect(busy).toMatch(/^error: .*\n.*members that must be deleted first/m);
    for (const user of ['bob', 'dave', 'erin', 'frank', 'gina']) await ok(['organizations', 'members', 'remove', user]);
    expect(await ok(['organizations', 'delete', 'acme', '--yes'])).toBe('Organization acme has been deleted.\n');
    expect(existsSync(path.join(home, 'organization'))).toBe(false);
    expect(JSON.parse(await ok(['organizations', 'show', '-o', 'json'])).name).toBe('coder');
  });

  it('users delete, then logout ends the session on the server and forgets it', async () => {
    expect(await ok(['users', 'delete', 'erin'])).toBe('Successfully deleted erin.\n');
    expect(await fails(['users', 'delete', 'erin'])).toContain('error: ');
    const r = await orgd(['logout']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('You are no longer logged in.');
    expect(existsSync(path.join(home, 'session'))).toBe(false);
    expect(await fails(['whoami'])).toContain('You are not logged in.');
  });

  it('a deployment that does not answer is reported, with a non-zero exit', async () => {
    const err = await fails(['whoami', '--url', 'http://127.0.0.1:9'], { config: path.join(tmp, 'gina') });
    expect(err).toContain('Could not reach http://127.0.0.1:9');
  });
});
