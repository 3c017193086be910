// The built `orgd` binary on a terminal (a pseudo-terminal from util-linux `script`): the first user
// is created by answering prompts, and adding several members draws a progress bar (which the
// piped runs in cli.test.ts must not show).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeUser } from '../helpers/users.js';

const BIN = path.resolve('bin/orgd.js');
const PASSWORD = 'SomeSecurePassword!';
const HAS_SCRIPT = existsSync('/usr/bin/script');

let server: TestServer;
let tmp: string;

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

/** Runs orgd on a pseudo-terminal; each answer is typed once its prompt has appeared. */
function onTerminal(args: string[], answers: [RegExp, string][] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ORGD_')) env[k] = v;
    // A pseudo-terminal opened without one has no size: give it one, as a terminal window would.
    const command = `stty cols 100 rows 40; ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
    const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], {
      env: { ...env, ORGD_CONFIG_DIR: path.join(tmp, 'config'), TERM: 'xterm' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let next = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => {
      output += d;
      // The prompt is seen after the previous answer was echoed: look past what was there before.
      while (next < answers.length && answers[next][0].test(plain(output))) {
        child.stdin.write(`${answers[next][1]}\r`);
        output += '\n<answered>\n';
        next++;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, output: plain(output) });
    });
  });
}

beforeAll(async () => {
  server = await startTestServer({ listen: true });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'orgd-tty-'));
});
afterAll(async () => {
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAS_SCRIPT)('orgd on a terminal', { timeout: 90_000 }, () => {
  it('login asks for the first user, twice for the password, and signs in', async () => {
    const after = (label: string) => new RegExp(`<answered>(?![\\s\\S]*<answered>)[\\s\\S]*${label}`);
    const run = await onTerminal(
      ['login', server.url],
      [
        [/Username/, 'ada'],
        [after('Email'), 'ada@example.com'],
        [after('Full name'), 'Ada Lovelace'],
        [after('Password'), PASSWORD],
        [after('Confirm password'), PASSWORD],
      ],
    );
    // Every prompt appeared and was answered.
    expect(run.output.split('<answered>')).toHaveLength(6);
    expect(run.output, run.output).toContain("Welcome to orgd, ada! You're authenticated.");
    expect(run.code).toBe(0);
    const who = await onTerminal(['whoami', '-o', 'json']);
    expect(JSON.parse(who.output.slice(who.output.indexOf('{')))).toMatchObject({ username: 'ada', name: 'Ada Lovelace', email: 'ada@example.com' });
  });

  it('adding several members draws a progress bar on the terminal', async () => {
    const names = [];
    for (let i = 0; i < 6; i++) names.push((await makeUser(server, { username: `tty-${i}`, login: false })).username);
    const run = await onTerminal(['organizations', 'members', 'add', ...names]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/█+░*\s+\d\/6/);
    expect(run.output).toContain('Added 6 of 6 users to organization coder.');
  });
});
