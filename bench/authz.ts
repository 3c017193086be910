// Authorization cost, measured in one process so the numbers compare with each other:
//   - per-check time of `authorize` on a compiled subject in 1, 10 and 100 orgs (each org with
//     organization-member, organization-workspace-access and a custom role of its own), over a mix
//     of objects in member and non-member orgs, owned or not, with and without ACLs;
//   - the cost of compiling the subject (what a request pays when its session is not cached);
//   - `prepareFilter` (what a list query pays before it hits the database);
//   - a baseline: one Map lookup per object, the floor any per-object check stands on.
// Run: npx tsc -p tsconfig.json --outDir /tmp/out && node /tmp/out/bench/authz.js
import {
  authorize,
  builtInRole,
  compileSubject,
  prepareFilter,
  type AuthzObject,
  type CompiledSubject,
  type Role,
} from '../src/rbac/index.js';

const ME = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const GROUP = '33333333-3333-4333-8333-333333333333';
const SIZES = [1, 10, 100] as const;
const CHECKS = 2_000_000;
const PREPARES = 20_000;
/** Each figure is the median of this many timed runs (the machines are shared and noisy). */
const RUNS = 7;

function orgId(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

/** The roles the session layer would load for a user in `orgCount` orgs, custom roles fresh. */
function rolesFor(orgCount: number): Role[] {
  const roles: Role[] = [builtInRole('member')!];
  for (let i = 0; i < orgCount; i++) {
    const org = orgId(i);
    roles.push(builtInRole(`organization-member:${org}`)!, builtInRole(`organization-workspace-access:${org}`)!);
    // A custom role read from the database: new arrays every time, as a fresh query returns.
    roles.push({
      name: 'template-editor',
      organization_id: org,
      display_name: 'Template Editor',
      site: [],
      org: [
        { negate: false, resource_type: 'template', action: 'read' },
        { negate: false, resource_type: 'template', action: 'update' },
        { negate: false, resource_type: 'group', action: 'read' },
      ],
      user: [],
      member: [{ negate: false, resource_type: 'provisioner_daemon', action: 'update' }],
    });
  }
  return roles;
}

interface Check {
  action: string;
  object: AuthzObject;
}

/** 1024 checks spread over the subject's orgs and as many orgs it is not in. */
function checksFor(orgCount: number): Check[] {
  const checks: Check[] = [];
  const types = ['workspace', 'template', 'organization', 'organization_member', 'group', 'audit_log'];
  const actions = ['read', 'update', 'create', 'delete', 'ssh'];
  let seed = 12345;
  // The high bits of this LCG are the random ones.
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 12;
  for (let i = 0; i < 1024; i++) {
    const org = orgId(next() % (orgCount * 2)); // half the objects live in orgs the subject is not in
    const type = types[next() % types.length];
    const object: AuthzObject = {
      type,
      id: `object-${i}`,
      org,
      owner: next() % 2 === 0 ? ME : OTHER,
      aclUsers: next() % 8 === 0 ? { [ME]: ['read'] } : undefined,
      aclGroups: next() % 8 === 0 ? { [GROUP]: ['read'], [org]: ['read'] } : undefined,
    };
    checks.push({ action: actions[next() % actions.length], object });
  }
  return checks;
}

/** Median time per iteration of `run` (which performs `iterations` and returns a value to keep). */
function nsPer(iterations: number, run: () => number): { ns: number; sink: number } {
  // Warm up so the JIT has compiled the loop before timing.
  let sink = run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    sink = run();
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  samples.sort((a, b) => a - b);
  return { ns: samples[samples.length >> 1], sink };
}

function measureChecks(subject: CompiledSubject, checks: Check[]): { ns: number; allowedShare: number } {
  const mask = checks.length - 1;
  const { ns, sink } = nsPer(CHECKS, () => {
    let allowed = 0;
    for (let i = 0; i < CHECKS; i++) {
      const c = checks[i & mask];
      if (authorize(subject, c.action, c.object)) allowed++;
    }
    return allowed;
  });
  return { ns, allowedShare: sink / CHECKS };
}

function measureBaseline(checks: Check[], orgCount: number): number {
  const orgs = new Map<string, number>();
  for (let i = 0; i < orgCount; i++) orgs.set(orgId(i), i);
  const mask = checks.length - 1;
  return nsPer(CHECKS, () => {
    let hits = 0;
    for (let i = 0; i < CHECKS; i++) if (orgs.get(checks[i & mask].object.org ?? '') !== undefined) hits++;
    return hits;
  }).ns;
}

function measureCompile(orgCount: number): number {
  // 16 distinct role lists, as 16 different users with the same kind of roles would have.
  const inputs = Array.from({ length: 16 }, () => rolesFor(orgCount));
  const compiles = Math.ceil(200_000 / orgCount);
  return nsPer(compiles, () => {
    let orgsSeen = 0;
    for (let i = 0; i < compiles; i++) {
      const s = compileSubject({ userId: ME, roles: inputs[i & 15], groups: [GROUP], scope: 'all' });
      orgsSeen += s.orgs.size;
    }
    return orgsSeen;
  }).ns;
}

function measureFreshRowsCompile(orgCount: number): number {
  // Every compile gets custom-role arrays it has never seen (as when custom roles are re-read from
  // the database for every session); their content is known, so only that lookup is paid.
  const compiles = Math.ceil(20_000 / orgCount);
  const inputs = Array.from({ length: compiles }, () => rolesFor(orgCount));
  let next = 0;
  return nsPer(compiles, () => {
    let orgsSeen = 0;
    for (let i = 0; i < compiles; i++) {
      const roles = inputs[next++ % inputs.length];
      orgsSeen += compileSubject({ userId: ME, roles, groups: [GROUP], scope: 'all' }).orgs.size;
    }
    return orgsSeen;
  }).ns;
}

function measurePrepare(subject: CompiledSubject): number {
  return nsPer(PREPARES, () => {
    let orgs = 0;
    for (let i = 0; i < PREPARES; i++) orgs += prepareFilter(subject, 'read', i & 1 ? 'workspace' : 'template').orgIds.length;
    return orgs;
  }).ns;
}

function pad(value: string, width: number): string {
  return value.length >= width ? value : ' '.repeat(width - value.length) + value;
}

function main(): void {
  const rows: string[][] = [];
  const checkNs = new Map<number, number>();
  const baselineNs = new Map<number, number>();
  // One untimed pass over every size first, so no size is measured while the JIT is still learning.
  for (const size of SIZES) {
    measureChecks(compileSubject({ userId: ME, roles: rolesFor(size), groups: [GROUP], scope: 'all' }), checksFor(size));
  }
  for (const size of SIZES) {
    const subject = compileSubject({ userId: ME, roles: rolesFor(size), groups: [GROUP], scope: 'all' });
    const checks = checksFor(size);
    const { ns, allowedShare } = measureChecks(subject, checks);
    checkNs.set(size, ns);
    const baseline = measureBaseline(checks, size);
    baselineNs.set(size, baseline);
    const compile = measureCompile(size);
    const freshRowsCompile = measureFreshRowsCompile(size);
    const prepare = measurePrepare(subject);
    rows.push([
      String(size),
      ns.toFixed(1),
      baseline.toFixed(1),
      (ns / baseline).toFixed(1),
      `${(allowedShare * 100).toFixed(0)}%`,
      (compile / 1000).toFixed(1),
      (freshRowsCompile / 1000).toFixed(1),
      ((compile + ns) / 1000).toFixed(1),
      (prepare / 1000).toFixed(2),
    ]);
  }

  const header = [
    'orgs',
    'ns/check',
    'baseline ns',
    'x baseline',
    'allowed',
    'compile µs',
    'compile, fresh rows µs',
    'compile+check µs',
    'prepareFilter µs',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i])).join('  ');
  console.log('authorize: compiled subject, uncached checks over 1024 objects in member and non-member orgs');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  const ratio = checkNs.get(100)! / checkNs.get(1)!;
  const baselineRatio = baselineNs.get(100)! / baselineNs.get(1)!;
  console.log('');
  console.log(`check time 100 orgs / 1 org: ${ratio.toFixed(2)}x (target: flat, and <= 2 µs per check)`);
  console.log(`baseline    100 orgs / 1 org: ${baselineRatio.toFixed(2)}x (what more distinct orgs cost a bare Map lookup)`);
  console.log('baseline: one Map lookup of the object\'s org per object, the floor of any per-object check.');
  console.log('compile: 16 users whose roles were loaded once; fresh rows: custom-role arrays never seen');
  console.log('before (content known), as when every session load re-reads them. Medians of 7 runs.');
}

main();
