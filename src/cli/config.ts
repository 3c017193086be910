// Where the CLI keeps its session: one small file per value (as Coder's CLI does: `url`, `session`,
// plus the selected `organization`) in the user's config dir, readable by the user alone.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type ConfigKey = 'url' | 'session' | 'organization';

/** `--global-config` / `ORGD_CONFIG_DIR`, else `$XDG_CONFIG_HOME/orgd`, else `~/.config/orgd`. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ORGD_CONFIG_DIR) return env.ORGD_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'orgd');
}

export class ConfigDir {
  constructor(readonly dir: string) {}

  read(key: ConfigKey): string | undefined {
    try {
      const value = readFileSync(path.join(this.dir, key), 'utf8').trim();
      return value === '' ? undefined : value;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Written whole (temp file + rename) with mode 0600 in a 0700 directory. */
  write(key: ConfigKey, value: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, key);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, value, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }

  remove(key: ConfigKey): void {
    rmSync(path.join(this.dir, key), { force: true });
  }
}
