// `orgd server` as a user runs it: the built binary on the embedded PostgreSQL in a data dir.
// A user created before a restart logs in after it; a second server on the same data dir refuses.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/orgd.js');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orgd-server-test-'));
chmodSync(dataDir, 0o755);
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startOrgd(args: string[]): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'server', '--http-address', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'warn', ...args], {
      env: { ...process.env, ORGD_PG_CONNECTION_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(Object.assign(new Error(`orgd exited with ${code}: ${out}`), { code, out })));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.on('exit', (code) => r(code)));
}

const user = { email: 'owner@example.com', username: 'owner', password: 'SomeSecurePassword!' };

describe('orgd server', () => {
  it('persists across a restart and refuses a second server on the same data dir', async () => {
    const first = await startOrgd([]);
    expect((await fetch(`${first.url}/api/v2/buildinfo`)).status).toBe(200);
    const created = await fetch(`${first.url}/api/v2/users/first`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
    });
    expect(created.status).toBe(201);

    // A second server on the same data dir fails with a clear message.
    const second = await startOrgd([]).then(
      () => {
        throw new Error('second server started');
      },
      (err: { code: number; out: string }) => err,
    );
    expect(second.code).not.toBe(0);
    expect(second.out).toMatch(/data directory .* is in use by another orgd server \(pid \d+\)/);

    // Graceful stop on SIGTERM.
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);

    const again = await startOrgd([]);
    const login = await fetch(`${again.url}/api/v2/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(login.status).toBe(201);
    const { session_token } = (await login.json()) as { session_token: string };
    const me = await fetch(`${again.url}/api/v2/users/me`, { headers: { 'Coder-Session-Token': session_token } });
    expect(((await me.json()) as { username: string }).username).toBe('owner');
    again.child.kill('SIGINT');
    expect(await exited(again.child)).toBe(0);
  }, 60_000);
});
