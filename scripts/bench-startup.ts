// Is breakglass as fast as the tools it replaces? Measured side by side in one run against a lab:
// `ctr` against `status --json`, `node -e 0` against `--help` and `--version`, the TUI's first complete
// frame, its idle cost over 60 s, and a key press reaching the screen while a container floods its log
// into the pane at 50,000 lines a second. Medians of 7, the ratio beside. Writes bench/STARTUP.md.
//
//   npm run bench:startup    (the lab in BREAKGLASS_LAB_DIR, else a temp lab at BENCH_PORT_OFFSET, torn down)
//   BENCH_BIN=dist/bin/breakglass-linux-x64 npm run bench:startup    (another breakglass, e.g. the single file)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, REPO_ROOT } from '../test/helpers/paths.js';
import { Tmux } from '../test/helpers/tmux.js';
import { machineFacts, ms, percentile, summarize, table } from './bench-lib.js';
import { floodLines, helpToggles, usageOf } from './bench-tmux.js';
import { labBreakglassArgs, labDown, labEnvFor, labIsUp, labUp } from './lab/lab.js';

const RUNS = 7;
/** A quick look while working, nothing written: 'cli' or 'frame' measures that part only, 'watch' the TUI's idle and flood. */
const ONLY = process.env.BENCH_ONLY;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const FLOOD_SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 30);
const FLOOD_RATE = 50_000;
const NODE = path.join(REPO_ROOT, 'node_modules/node/bin/node');
const BREAKGLASS = process.env.BENCH_BIN ? path.resolve(process.env.BENCH_BIN) : BIN;
const CTR = '/usr/bin/ctr';
const MARKER = '<!-- written by hand below this line -->';

interface Run {
  wallMs: number;
  peakKiB: number;
}

/** One run: wall time from spawn to exit, peak resident memory from GNU time (its fork is in both sides). */
function runOnce(argv: string[]): Run {
  const out = path.join(os.tmpdir(), `bg-bench-startup-${process.pid}.time`);
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wallMs = performance.now() - started;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const peakKiB = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  fs.rmSync(out, { force: true });
  return { wallMs, peakKiB };
}

interface Pair {
  label: string;
  base: { what: string; argv: string[] };
  ours: { what: string; argv: string[] };
  target: number;
}

/** Both commands run alternately (a warm-up each first), so load on the machine hits both alike. */
function measurePair(pair: Pair): string[][] {
  runOnce(pair.base.argv);
  runOnce(pair.ours.argv);
  const base: Run[] = [];
  const ours: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(runOnce(pair.base.argv));
    ours.push(runOnce(pair.ours.argv));
  }
  const wall = (runs: Run[]) =>
    percentile(
      runs.map((r) => r.wallMs),
      50,
    );
  const peak = (runs: Run[]) =>
    percentile(
      runs.map((r) => r.peakKiB),
      50,
    ) / 1024;
  const ratio = wall(ours) / wall(base);
  return [
    [pair.base.what, ms(wall(base), 1), peak(base).toFixed(1), '', ''],
    [
      pair.ours.what,
      ms(wall(ours), 1),
      peak(ours).toFixed(1),
      `${ratio.toFixed(2)}×`,
      `≤ ${pair.target}× ${ratio <= pair.target ? 'met' : 'NOT met'}`,
    ],
  ];
}

/** Every static pod of the lab on screen with its runtime state. */
const COMPLETE =
  /kube-apiserver\s+enabled\s+running[\s\S]*kube-controller-manager\s+enabled\s+running|kube-controller-manager\s+enabled\s+running[\s\S]*kube-apiserver\s+enabled\s+running/;
function complete(screen: string): boolean {
  return (
    COMPLETE.test(screen) &&
    ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((p) =>
      new RegExp(`${p}\\s+enabled\\s+running`).test(screen),
    )
  );
}

/** From the shell's exec of breakglass to the first screen with every static pod and its state. */
async function firstFrame(args: string): Promise<{ wallMs: number; cpuMs: number }> {
  const tmux = new Tmux(120, 40);
  const stamp = path.join(os.tmpdir(), `bg-bench-startup-${process.pid}.start`);
  try {
    tmux.start({});
    // The shell notes the time (ns) and execs breakglass: that instant is the process's start.
    tmux.run(`date +%s%N > ${stamp}; exec ${BREAKGLASS} ${args}`);
    const deadline = performance.now() + 30_000;
    for (;;) {
      const screen = tmux.screen();
      if (complete(screen)) {
        const now = performance.timeOrigin + performance.now();
        // The CPU it took, robust to a busy machine (10 ms ticks): the pane's shell exec'd breakglass.
        const cpuMs = usageOf(tmux.panePid()).cpuSeconds * 1000;
        return { wallMs: now - Number(BigInt(fs.readFileSync(stamp, 'utf8').trim()) / 1000n) / 1000, cpuMs };
      }
      if (performance.now() > deadline) throw new Error(`no complete frame in 30 s:\n${screen}`);
      await sleep(1);
    }
  } finally {
    tmux.keys('q');
    await sleep(300);
    tmux.kill();
    fs.rmSync(stamp, { force: true });
  }
}

/** A container writing FLOOD_RATE lines a second, in 10 ms batches, on the pinned Node of the lab. */
const FLOOD_MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: log-flood
  namespace: kube-system
  labels: {component: log-flood}
spec:
  hostNetwork: true
  containers:
  - name: log-flood
    image: local/node:1
    command:
    - node
    - -e
    - |
      let i = 0;
      const t0 = Date.now();
      const tick = () => {
        const due = Math.floor(((Date.now() - t0) * ${FLOOD_RATE}) / 1000);
        let out = '';
        while (i < due) { i++; out += 'flood line ' + i + ': the quick brown fox jumps over the lazy dog\\n'; }
        if (out) process.stdout.write(out);
        setTimeout(tick, 10);
      };
      tick();
`;

interface Watched {
  idleCpuPct: number;
  idleRss: number[];
  idleKeys: ReturnType<typeof summarize>;
  flood: { rate: number; cpuPct: number; keys: ReturnType<typeof summarize>; rss: number[] };
}

/** Samples the process's resident memory (MiB) every second while `during` runs. */
async function sampled<T>(pid: number, during: () => Promise<T>): Promise<{ value: T; rss: number[] }> {
  const rss: number[] = [];
  const timer = setInterval(() => rss.push(usageOf(pid).rssKiB / 1024), 1000);
  try {
    return { value: await during(), rss };
  } finally {
    clearInterval(timer);
  }
}

async function watched(args: string, manifestsDir: string, podLogsDir: string): Promise<Watched> {
  const tmux = new Tmux(120, 40);
  const manifest = path.join(manifestsDir, 'log-flood.yaml');
  try {
    // BENCH_NODE_OPTIONS (say --cpu-prof --cpu-prof-dir=DIR): a profile of the idle and flood run.
    tmux.start(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {});
    tmux.run(`exec ${BREAKGLASS} ${args}`);
    await tmux.waitFor(complete, 60_000, 'the TUI with the lab healthy');
    const pid = tmux.panePid(); // the shell exec'd breakglass, which exec'd Node
    await sleep(10_000);
    const before = usageOf(pid);
    const t0 = performance.now();
    const idle = await sampled(pid, () => sleep(IDLE_SECONDS * 1000));
    const after = usageOf(pid);
    const idleCpuPct = ((after.cpuSeconds - before.cpuSeconds) / ((performance.now() - t0) / 1000)) * 100;
    const idleKeys = summarize(await helpToggles(tmux));

    fs.writeFileSync(manifest, FLOOD_MANIFEST, { mode: 0o600 });
    await tmux.waitFor(/log-flood\s+enabled\s+running/, 60_000, 'the flood pod running');
    tmux.keys('g');
    for (let i = 0; i < 10 && !/^>\S?\s*log-flood/m.test(tmux.screen()); i++) {
      tmux.keys('j');
      await sleep(200);
    }
    if (!/── log-flood container log/.test(tmux.screen())) tmux.keys('Tab', false);
    await tmux.waitFor(/flood line \d+/, 30_000, 'the flood in the log pane');
    await sleep(2_000);
    const start = usageOf(pid);
    const l0 = floodLines(podLogsDir);
    const f0 = performance.now();
    const during = await sampled(pid, async () => {
      const keys = await helpToggles(tmux);
      const left = FLOOD_SECONDS * 1000 - (performance.now() - f0);
      if (left > 0) await sleep(left);
      return keys;
    });
    const seconds = (performance.now() - f0) / 1000;
    const end = usageOf(pid);
    return {
      idleCpuPct,
      idleRss: idle.rss,
      idleKeys,
      flood: {
        rate: (floodLines(podLogsDir) - l0) / seconds,
        cpuPct: ((end.cpuSeconds - start.cpuSeconds) / seconds) * 100,
        keys: summarize(during.value),
        rss: during.rss,
      },
    };
  } finally {
    fs.rmSync(manifest, { force: true });
    tmux.keys('q');
    await sleep(process.env.BENCH_NODE_OPTIONS ? 3_000 : 500); // a profile is written at exit
    tmux.kill();
  }
}

/** Memory over time: a few evenly spaced samples, and the spread. */
function overTime(rss: number[]): string {
  if (rss.length === 0) return 'n/a';
  const picks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) => rss[Math.min(rss.length - 1, Math.round(f * (rss.length - 1)))]!,
  );
  return `${picks.map((v) => v.toFixed(0)).join(' → ')} (max ${Math.max(...rss).toFixed(1)})`;
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const given = process.env.BREAKGLASS_LAB_DIR;
  const reuse = given !== undefined && (await labIsUp(given));
  // Other labs may run on this machine: a lab of our own only at a port offset asked for.
  if (!reuse && process.env.BENCH_PORT_OFFSET === undefined)
    throw new Error(
      'no lab: set BREAKGLASS_LAB_DIR to a lab that is up, or BENCH_PORT_OFFSET for a temp one',
    );
  const dir = reuse ? given : fs.mkdtempSync('/tmp/bg-bench-startup-');
  const portOffset = Number(process.env.BENCH_PORT_OFFSET);
  const env = labEnvFor(dir);
  const args = labBreakglassArgs(env);
  try {
    if (!reuse) await labUp(dir, { controlPlane: { portOffset } });
    const loadBefore = load();
    const cli = [
      {
        label: 'status',
        base: {
          what: '`ctr -n k8s.io containers ls`',
          argv: [CTR, '--address', env.containerdSocket, '-n', 'k8s.io', 'containers', 'ls'],
        },
        ours: { what: '`breakglass status --json`', argv: [BREAKGLASS, 'status', '--json', ...args] },
        target: 5,
      },
      {
        label: 'help',
        base: { what: '`node -e 0`', argv: [NODE, '-e', '0'] },
        ours: { what: '`breakglass --help`', argv: [BREAKGLASS, '--help'] },
        target: 2,
      },
      {
        label: 'version',
        base: { what: '`node -e 0`', argv: [NODE, '-e', '0'] },
        ours: { what: '`breakglass --version`', argv: [BREAKGLASS, '--version'] },
        target: 2,
      },
    ].flatMap((pair) => (ONLY === 'frame' || ONLY === 'watch' ? [] : measurePair(pair)));
    if (ONLY === 'cli')
      return void process.stdout.write(`${table(['command', 'ms', 'MiB', 'ratio', ''], cli)}\n`);
    const starts: { wallMs: number; cpuMs: number }[] = [];
    for (let i = 0; i < (ONLY === 'watch' ? 1 : RUNS); i++) starts.push(await firstFrame(args.join(' ')));
    const frame = summarize(starts.map((s) => s.wallMs));
    const frameCpu = summarize(starts.map((s) => s.cpuMs));
    const each = (f: (s: { wallMs: number; cpuMs: number }) => number) =>
      starts.map((s) => f(s).toFixed(0)).join(' ');
    if (ONLY === 'frame')
      return void process.stdout.write(
        `first frames (ms): ${each((s) => s.wallMs)}; CPU (ms): ${each((s) => s.cpuMs)}\n`,
      );
    const w = await watched(
      args.join(' '),
      path.join(env.nodeRoot, 'etc/kubernetes/manifests'),
      env.podLogsDir,
    );
    const loadAfter = load();
    const idleRssMax = Math.max(...w.idleRss);
    const floodGrowth =
      w.flood.rss.length > 1 ? w.flood.rss.at(-1)! - w.flood.rss[Math.floor(w.flood.rss.length / 2)]! : 0;
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const out = [
      '# breakglass start-up and idle cost, beside the tools it replaces',
      '',
      'Written by `npm run bench:startup` (scripts/bench-startup.ts) against a lab, every figure of one run.',
      `Each command runs ${RUNS} times alternating with its baseline (after one warm-up each): medians of wall`,
      'time from spawn to exit, and of peak resident memory (GNU time; its own fork is in both). Measurements,',
      `not tests. breakglass: \`${path.relative(REPO_ROOT, BREAKGLASS)}\`.`,
      '',
      machineFacts(),
      '',
      `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter} (the machine is shared).`,
      '',
      '## One-shot commands',
      '',
      table(['command', 'wall (ms)', 'peak memory (MiB)', 'ratio', 'target'], cli),
      '',
      '## The TUI',
      '',
      `In tmux (120x40). First frame: from the shell's \`exec\` of breakglass (a time stamp just before) to the`,
      'first screen showing every static pod of the lab with its runtime state, the screen polled every',
      `millisecond or so; ${RUNS} starts. Idle: ${IDLE_SECONDS} s on the healthy lab, 10 s after that frame, CPU from`,
      '/proc/<pid>/stat, memory sampled every second. Keys: `?` opens help, `q` closes it, from tmux send-keys',
      `to the changed screen. The flood: a container writing ${FLOOD_RATE.toLocaleString('en-US')} lines a second`,
      `(10 ms batches) into its log, that log in the pane, for ${FLOOD_SECONDS} s.`,
      '',
      table(
        ['measure', 'value', 'target'],
        [
          [
            'first complete frame, median (min – max)',
            `${ms(frame.p50, 0)} ms (${ms(frame.min, 0)} – ${ms(frame.max, 0)})`,
            `≤ 250 ms ${met(frame.p50 <= 250)}`,
          ],
          ['CPU of breakglass until that frame, median', `${ms(frameCpu.p50, 0)} ms`, ''],
          ['idle CPU', `${w.idleCpuPct.toFixed(2)} % of one core`, `≤ 0.5 % ${met(w.idleCpuPct <= 0.5)}`],
          ['idle resident memory, over time (MiB)', overTime(w.idleRss), `≤ 80 MiB ${met(idleRssMax <= 80)}`],
          ['key to screen idle, p50 / p95', `${ms(w.idleKeys.p50, 1)} / ${ms(w.idleKeys.p95, 1)} ms`, ''],
          ['flood rate achieved', `${Math.round(w.flood.rate).toLocaleString('en-US')} lines/s`, ''],
          [
            'key to screen in the flood, p50 / p95',
            `${ms(w.flood.keys.p50, 1)} / ${ms(w.flood.keys.p95, 1)} ms`,
            `≤ 50 ms ${met(w.flood.keys.p50 <= 50)}`,
          ],
          ['CPU in the flood', `${w.flood.cpuPct.toFixed(1)} % of one core`, ''],
          [
            'resident memory in the flood, over time (MiB)',
            overTime(w.flood.rss),
            `flat: ${floodGrowth.toFixed(1)} MiB in its second half`,
          ],
        ],
      ),
      '',
    ].join('\n');
    // The figures replace the file's top; the write-up below the marker (profiles, what is left) stays.
    if (ONLY !== undefined) return void process.stdout.write(out);
    const file = path.join(REPO_ROOT, 'bench/STARTUP.md');
    const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const kept = old.includes(MARKER) ? old.slice(old.indexOf(MARKER)) : `${MARKER}\n`;
    fs.writeFileSync(file, `${out}\n${kept}`);
    process.stdout.write(out);
  } finally {
    if (!reuse) {
      await labDown(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err) => {
  process.stderr.write(`bench-startup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
