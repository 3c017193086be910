// bench/startup: time from `orgd server` start to the first 200 on an existing data dir, and the
// server process's RSS idle and after 10 s of authenticated load.
// Targets: start < 1.5 s; RSS idle < 150 MiB; RSS after load < 300 MiB.
// Run: npm run build && npx tsx bench/startup.ts
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/db/embedded.js';
import { exited, fmt, get, load, rssMiB, spawnServer, waitFor200 } from './lib.js';

const RUNS = Number(process.env.RUNS ?? 5);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orgd-bench-startup-'));
  chmodSync(dataDir, 0o755);
  const env = { ORGD_PG_CONNECTION_URL: '' };
  try {
    // First start initialises the cluster; it is not what we measure.
    let port = await freePort();
    let child = spawnServer(['--data-dir', dataDir, '--http-address', `127.0.0.1:${port}`], env);
    const t0 = performance.now();
    await waitFor200(`http://127.0.0.1:${port}/api/v2/buildinfo`, 120_000);
    const firstStart = performance.now() - t0;
    const base = `http://127.0.0.1:${port}`;
    await fetch(`${base}/api/v2/users/first`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', username: 'bench', password: 'SomeSecurePassword!' }),
    });
    child.kill('SIGTERM');
    await exited(child);

    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      port = await freePort();
      const start = performance.now();
      child = spawnServer(['--data-dir', dataDir, '--http-address', `127.0.0.1:${port}`], env);
      await waitFor200(`http://127.0.0.1:${port}/api/v2/buildinfo`);
      times.push(performance.now() - start);
      if (i < RUNS - 1) {
        child.kill('SIGTERM');
        await exited(child);
      }
    }
    const url = `http://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssMiB(child.pid!);
    const loginRes = await fetch(`${url}/api/v2/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'SomeSecurePassword!' }),
    });
    const { session_token } = (await loginRes.json()) as { session_token: string };
    const headers = { 'Coder-Session-Token': session_token };
    const result = await load(10_000, 64, () => get(`${url}/api/v2/users/me`, headers));
    const loaded = rssMiB(child.pid!);
    child.kill('SIGTERM');
    await exited(child);

    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log('bench/startup');
    console.log(`  first start (initdb + migrations):        ${fmt(firstStart, 0)} ms`);
    console.log(`  start -> first 200, existing data dir:    median ${fmt(median, 0)} ms, max ${fmt(times.at(-1)!, 0)} ms over ${RUNS} runs  (target < 1500 ms)`);
    console.log(`  RSS idle:                                 ${fmt(idle.rss)} MiB  (target < 150 MiB)`);
    console.log(`  RSS after 10 s of GET /users/me load:     ${fmt(loaded.rss)} MiB, peak ${fmt(loaded.hwm)} MiB  (target < 300 MiB)`);
    console.log(`  load served:                              ${fmt(result.rps, 0)} req/s, ${result.errors} errors`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
