// What the node pays: the watcher idle, a scan, a change, the CLI starting.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChangeContext, disableStaticPod, enableStaticPod } from '../../src/ops/staticpods.js';
import { scanManifestDir } from '../../src/sources/manifests/scan.js';
import { watchManifestDirs } from '../../src/sources/manifests/watch.js';
import { makeNodeRoot, type NodeRoot } from '../../test/helpers/node-root.js';
import { BIN } from '../../test/helpers/paths.js';
import { mib, ms, type Summary, summarize, table } from '../bench-lib.js';

export const NODE_NAME = 'master-1';
export const SCAN_ITERATIONS = 500;
export const CHANGE_CYCLES = 100;
export const CLI_RUNS = 20;

interface IdleResult {
  seconds: number;
  cpuMs: number;
  userMs: number;
  systemMs: number;
  wallMs: number;
  callbacks: number;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
}

export async function benchIdle(seconds: number): Promise<IdleResult> {
  const node = makeNodeRoot();
  fs.mkdirSync(node.holding, { recursive: true, mode: 0o700 });
  let callbacks = 0;
  const watcher = watchManifestDirs(
    { manifests: node.manifests, holding: node.holding, nodeName: NODE_NAME },
    () => {
      callbacks++;
    },
  );
  try {
    await sleep(1000); // let the watch settle before the window opens
    const before = process.memoryUsage();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    const after = process.memoryUsage();
    return {
      seconds,
      cpuMs: (cpu.user + cpu.system) / 1000,
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      wallMs,
      callbacks,
      before,
      after,
    };
  } finally {
    await watcher.close();
    node.cleanup();
  }
}

export function idleReport(r: IdleResult): string {
  const pct = (r.cpuMs / r.wallMs) * 100;
  return [
    `## 2. Idle cost (${r.seconds} s, unchanged directories)`,
    '',
    `A watcher on kubeadm's four manifests and an empty holding directory; nothing changes. The whole`,
    `process is measured (\`process.cpuUsage\`), so this includes the 20 s re-list (${Math.floor(r.seconds / 20)} in the window).`,
    '',
    table(
      ['measure', 'value'],
      [
        ['CPU time', `${ms(r.cpuMs)} ms (user ${ms(r.userMs)}, system ${ms(r.systemMs)})`],
        ['CPU, % of one core', `${pct.toFixed(4)} %`],
        ['onChange calls', String(r.callbacks)],
        ['RSS before / after', `${mib(r.before.rss)} / ${mib(r.after.rss)} MiB`],
        ['Heap used before / after', `${mib(r.before.heapUsed)} / ${mib(r.after.heapUsed)} MiB`],
      ],
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 3. Scan cost

export function benchScan(): Summary {
  const node = makeNodeRoot();
  try {
    const scan = () => scanManifestDir(node.manifests, { nodeName: NODE_NAME, role: 'manifests' });
    for (let i = 0; i < 20; i++) scan(); // warm-up: JIT, page cache
    const samples: number[] = [];
    for (let i = 0; i < SCAN_ITERATIONS; i++) {
      const start = performance.now();
      const snapshot = scan();
      samples.push(performance.now() - start);
      if (snapshot.files.length !== 4) throw new Error(`scan saw ${snapshot.files.length} files, not 4`);
    }
    return summarize(samples);
  } finally {
    node.cleanup();
  }
}

export function scanReport(s: Summary): string {
  return [
    `## 3. Scan cost (${SCAN_ITERATIONS} scans)`,
    '',
    "`scanManifestDir` on kubeadm's four manifests (read, hash, parse, lint), after 20 warm-up scans.",
    '',
    table(
      ['n', 'mean ms', 'p50 ms', 'p99 ms', 'max ms'],
      [[String(s.n), ms(s.mean, 3), ms(s.p50, 3), ms(s.p99, 3), ms(s.max, 3)]],
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 4. Change cost

export function changeContext(node: NodeRoot): ChangeContext {
  return {
    manifests: node.manifests,
    holding: node.holding,
    stateDir: node.stateDir,
    nodeName: NODE_NAME,
    readOnly: false,
  };
}

interface ChangeResult {
  disable: Summary;
  enable: Summary;
  perChange: Summary;
  perCycle: Summary;
}

export function benchChange(): ChangeResult {
  const node = makeNodeRoot();
  const ctx = changeContext(node);
  const time = (op: () => void) => {
    const start = performance.now();
    op();
    return performance.now() - start;
  };
  try {
    // Warm-up: creates the state and holding directories once.
    disableStaticPod(ctx, 'kube-scheduler');
    enableStaticPod(ctx, 'kube-scheduler');
    const disable: number[] = [];
    const enable: number[] = [];
    for (let i = 0; i < CHANGE_CYCLES; i++) {
      disable.push(time(() => disableStaticPod(ctx, 'kube-scheduler')));
      enable.push(time(() => enableStaticPod(ctx, 'kube-scheduler')));
    }
    return {
      disable: summarize(disable),
      enable: summarize(enable),
      perChange: summarize([...disable, ...enable]),
      perCycle: summarize(disable.map((d, i) => d + enable[i]!)),
    };
  } finally {
    node.cleanup();
  }
}

export function changeReport(r: ChangeResult): string {
  const row = (label: string, s: Summary) => [
    label,
    String(s.n),
    ms(s.mean),
    ms(s.p50),
    ms(s.p99),
    ms(s.max),
  ];
  return [
    `## 4. Change cost (${CHANGE_CYCLES} disable+enable cycles)`,
    '',
    '`disableStaticPod` / `enableStaticPod` of kube-scheduler by pod name: lock through flock(1), intent log,',
    'link, fsyncs, unlink, audit. After one warm-up cycle.',
    '',
    table(
      ['', 'n', 'mean ms', 'p50 ms', 'p99 ms', 'max ms'],
      [
        row('per change', r.perChange),
        row('disable', r.disable),
        row('enable', r.enable),
        row('per cycle', r.perCycle),
      ],
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 5. CLI start-up

interface CliResult {
  summary: Summary;
  exitCodes: string;
}

export function benchCli(): CliResult {
  const node = makeNodeRoot();
  const run = () => {
    const start = performance.now();
    const result = spawnSync(BIN, ['status', '--root', node.root], { stdio: ['ignore', 'ignore', 'pipe'] });
    const wall = performance.now() - start;
    if (result.error) throw result.error;
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(`breakglass status exited ${result.status}: ${result.stderr.toString().trim()}`);
    }
    return { wall, status: result.status };
  };
  try {
    run(); // warm-up: page cache
    const samples: number[] = [];
    const codes = new Set<number | null>();
    for (let i = 0; i < CLI_RUNS; i++) {
      const { wall, status } = run();
      samples.push(wall);
      codes.add(status);
    }
    return { summary: summarize(samples), exitCodes: [...codes].join(', ') };
  } finally {
    node.cleanup();
  }
}

export function cliReport(r: CliResult): string {
  const s = r.summary;
  return [
    `## 5. CLI start-up (${CLI_RUNS} runs)`,
    '',
    '`bin/breakglass status --root <temp root>` wall time through `spawnSync` (shell wrapper, Node start-up,',
    `discovery, scan, report), after one warm-up run. Exit code(s): ${r.exitCodes}.`,
    '',
    table(
      ['n', 'min ms', 'mean ms', 'p50 ms', 'p99 ms', 'max ms'],
      [[String(s.n), ms(s.min, 1), ms(s.mean, 1), ms(s.p50, 1), ms(s.p99, 1), ms(s.max, 1)]],
    ),
  ].join('\n');
}
