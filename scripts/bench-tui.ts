// The TUI measured in a real terminal (tmux) against a lab: what it costs when nothing happens (it shares
// the node with etcd), and how fast a key press reaches the screen, idle and while a container floods
// its log with tens of thousands of lines a second into the pane on screen. Writes bench/TUI.md.
//
//   npm run bench:tui        (a temp lab, torn down after; or the one in BREAKGLASS_LAB_DIR)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, REPO_ROOT } from '../test/helpers/paths.js';
import { Tmux } from '../test/helpers/tmux.js';
import { machineFacts, ms, summarize, table } from './bench-lib.js';
import { floodLines, helpToggles, KEY_PRESSES, usageOf } from './bench-tmux.js';
import { labBreakglassArgs, labDown, labEnvFor, labIsUp, labUp } from './lab/lab.js';

const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);

/** pauseUs: a pause after each line (busybox usleep), 0 for as fast as the shell can write. */
const FLOOD_MANIFEST = (nodeName: string, pauseUs: number) => `apiVersion: v1
kind: Pod
metadata:
  name: log-flood
  namespace: kube-system
  labels: {component: log-flood}
spec:
  hostNetwork: true
  containers:
  - name: log-flood
    image: local/busybox:1
    command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo \\"flood line $i from ${nodeName}: the quick brown fox jumps over the lazy dog\\";${pauseUs > 0 ? ` usleep ${pauseUs};` : ''} done"]
`;

async function main(): Promise<void> {
  const given = process.env.BREAKGLASS_LAB_DIR;
  const reuse = given !== undefined && (await labIsUp(given));
  const dir = reuse ? given : fs.mkdtempSync('/tmp/bg-bench-tui-');
  if (!reuse) await labUp(dir, { controlPlane: { portOffset: 18_000 } });
  const env = labEnvFor(dir);
  const manifest = path.join(env.nodeRoot, 'etc/kubernetes/manifests/log-flood.yaml');
  const tmux = new Tmux(120, 40);
  try {
    tmux.start({});
    tmux.run(`${BIN} ${labBreakglassArgs(env).join(' ')}`);
    await tmux.waitFor(/kube-scheduler\s+enabled\s+running/, 120_000, 'the TUI with the lab healthy');
    const pid = Number(
      spawnSync('pgrep', ['-P', String(tmux.panePid())], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')[0],
    );
    await sleep(10_000);

    const before = usageOf(pid);
    const t0 = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const after = usageOf(pid);
    const idleCpuPct = ((after.cpuSeconds - before.cpuSeconds) / ((performance.now() - t0) / 1000)) * 100;
    const idleKeys = summarize(await helpToggles(tmux));

    const floods: Flood[] = [];
    for (const pauseUs of [100, 0]) floods.push(await flood(tmux, env.podLogsDir, manifest, pauseUs, pid));
    const out = [
      '# breakglass TUI benchmarks',
      '',
      'Written by `npm run bench:tui` (scripts/bench-tui.ts): the real `bin/breakglass` in tmux (120x40)',
      "against a lab, measured from outside through /proc and the terminal's screen. Measurements, not tests.",
      '',
      machineFacts(),
      '',
      `## Idle (${IDLE_SECONDS} s, healthy lab, kubelet journal in the pane)`,
      '',
      'Every source open: runtime events (containerd 1.6 is polled by the runtime adapter), D-Bus signals, journalctl,',
      'inotify, disk 5 s, vitals 5 s, etcd metrics 5 s, health probes 10 s; samples repaint the screen at most every 5 s.',
      'Requirement: near zero, it shares the node with etcd.',
      '',
      table(
        ['what', 'value'],
        [
          ['CPU of the breakglass process', `${idleCpuPct.toFixed(2)} % of one core`],
          ['resident memory', `${(after.rssKiB / 1024).toFixed(1)} MiB`],
        ],
      ),
      '',
      `## A key press reaching the screen (${KEY_PRESSES * 2} presses: \`?\` opens help, \`q\` closes it)`,
      '',
      'From tmux send-keys to the changed screen read back with capture-pane (polled every 2 ms, so this includes',
      "tmux's own cost). Milliseconds.",
      '',
      table(
        ['while', 'min', 'p50', 'p95', 'max'],
        [
          ['idle', ms(idleKeys.min), ms(idleKeys.p50), ms(idleKeys.p95), ms(idleKeys.max)],
          ...floods.map((f) => [
            `a container logging ${Math.round(f.rate).toLocaleString('en-US')} lines/s into the pane`,
            ms(f.keys.min),
            ms(f.keys.p50),
            ms(f.keys.p95),
            ms(f.keys.max),
          ]),
        ],
      ),
      '',
      'During the floods the TUI read the log file in batches (one read per 50 ms at most), parsed every line and',
      'repainted the log at most 4 times a second (keys at once); the log pane keeps the newest 5 000 lines:',
      '',
      table(
        ['flood', 'CPU of breakglass', 'resident memory'],
        floods.map((f) => [
          `${Math.round(f.rate).toLocaleString('en-US')} lines/s`,
          `${f.cpuPct.toFixed(1)} % of one core`,
          `${(f.rssKiB / 1024).toFixed(1)} MiB`,
        ]),
      ),
      '',
    ].join('\n');
    fs.mkdirSync(path.join(REPO_ROOT, 'bench'), { recursive: true });
    fs.writeFileSync(path.join(REPO_ROOT, 'bench/TUI.md'), out);
    process.stdout.write(out);
  } finally {
    tmux.keys('q');
    await sleep(500);
    tmux.kill();
    fs.rmSync(manifest, { force: true });
    if (!reuse) {
      await labDown(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

interface Flood {
  rate: number;
  keys: ReturnType<typeof summarize>;
  cpuPct: number;
  rssKiB: number;
}

/** A container floods its log into the pane on screen while keys are timed. */
async function flood(
  tmux: Tmux,
  podLogsDir: string,
  manifest: string,
  pauseUs: number,
  pid: number,
): Promise<Flood> {
  fs.writeFileSync(manifest, FLOOD_MANIFEST('lab', pauseUs), { mode: 0o600 });
  try {
    await tmux.waitFor(/log-flood\s+enabled\s+running/, 60_000, 'the flood pod running');
    // Select the flood pod and show its log in the pane.
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
    const t0 = performance.now();
    const keys = summarize(await helpToggles(tmux));
    const seconds = (performance.now() - t0) / 1000;
    const end = usageOf(pid);
    return {
      rate: (floodLines(podLogsDir) - l0) / seconds,
      keys,
      cpuPct: ((end.cpuSeconds - start.cpuSeconds) / seconds) * 100,
      rssKiB: end.rssKiB,
    };
  } finally {
    fs.rmSync(manifest, { force: true });
    await tmux.waitFor((s) => !/log-flood\s+enabled/.test(s), 60_000, 'the flood pod gone');
  }
}

main().catch((err) => {
  process.stderr.write(`bench-tui: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
