// What every client command shares: the global options, the stored session, the SDK client, the
// selected organization, prompts that only run on a terminal, and errors that print well.
import { Command, Option } from 'commander';
import * as p from '@clack/prompts';
import { OrgdClient, ApiError, ConnectionError } from '../sdk/index.js';
import { ConfigDir, defaultConfigDir } from './config.js';

/** An error of the CLI itself (bad flags, missing login...), printed like a server error. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The lines printed for an error: the server's message, its detail and validations. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.describe();
  if (err instanceof CliError) return err.detail ? `${err.message}\n${err.detail}` : err.message;
  if (err instanceof ConnectionError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export interface GlobalOptions {
  globalConfig: string;
  url?: string;
}

/** `--global-config` and `--url`, on the root command (usable after any subcommand). */
export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(
      new Option('--global-config <dir>', 'where the CLI keeps its session (url, token, selected organization)')
        .env('ORGD_CONFIG_DIR')
        .default(defaultConfigDir(), '$XDG_CONFIG_HOME/orgd or ~/.config/orgd'),
    )
    .addOption(new Option('--url <url>', 'URL of the deployment (overrides the one stored at login)').env('ORGD_URL'));
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function configOf(cmd: Command): ConfigDir {
  return new ConfigDir(globalsOf(cmd).globalConfig);
}

/** Coder's CLI adds https:// to a URL typed without a scheme. */
export function normalizeUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`"${input}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`"${input}" is not an http(s) URL`);
  return url.href.replace(/\/+$/, '');
}

/** A client signed in with the stored session (or `ORGD_SESSION_TOKEN`). */
export function clientOf(cmd: Command): OrgdClient {
  const config = configOf(cmd);
  const url = globalsOf(cmd).url ?? config.read('url');
  const token = process.env.ORGD_SESSION_TOKEN || config.read('session');
  if (!url || !token) throw new CliError("You are not logged in. Try logging in using 'orgd login <url>'.");
  return new OrgdClient(normalizeUrl(url), { token });
}

/** `-O/--org` (env `ORGD_ORGANIZATION`): the organization a command works on. */
export function orgOption(): Option {
  return new Option('-O, --org <organization>', 'organization name or id (default: the selected one, else the default organization)').env(
    'ORGD_ORGANIZATION',
  );
}

/** The organization of a command: `-O/--org`, else the one `orgd organizations set` selected, else `default`. */
export function organizationOf(cmd: Command): string {
  const flag = (cmd.optsWithGlobals() as { org?: string }).org;
  return flag || configOf(cmd).read('organization') || 'default';
}

export const interactive = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY);

function unlessCancelled<T>(value: T | symbol): T {
  if (p.isCancel(value)) {
    p.cancel('Cancelled.');
    throw new CliError('Cancelled.');
  }
  return value as T;
}

/** Asks on the terminal; without one, fails naming the flag that would have answered. */
export async function ask(opts: {
  message: string;
  flag: string;
  secret?: boolean;
  defaultValue?: string;
  validate?: (v: string) => string | undefined;
}): Promise<string> {
  if (!interactive()) throw new CliError(`${opts.flag} is required when not running in a terminal`);
  const common = { message: opts.message, output: process.stderr, validate: (v: string | undefined) => opts.validate?.(v ?? '') };
  const value = opts.secret
    ? await p.password(common)
    : await p.text({ ...common, defaultValue: opts.defaultValue, placeholder: opts.defaultValue });
  return unlessCancelled<string | undefined>(value) ?? opts.defaultValue ?? '';
}

/** Confirmation: `--yes` answers it; without a terminal and without `--yes` the command refuses. */
export async function confirm(message: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!interactive()) throw new CliError(`${message} Pass --yes to confirm when not running in a terminal.`);
  const ok = unlessCancelled<boolean>(await p.confirm({ message, output: process.stderr }));
  if (!ok) throw new CliError('Cancelled.');
}

/** The whole stdin, for `--stdin` flags. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
