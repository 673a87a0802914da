// The control-plane restart timed against the same thing done by hand the way the seeds' runbooks do
// it: for each pod in kubeadm's order, mv its manifest out, sleep 20, mv it back, then poll its health
// endpoint until it answers (what an operator does with curl) before the next. breakglass: `restart
// --all` (snapshot, quorum check, each pod gated on a new container and its probe), with the method it
// picks and with --method move. Alternating runs on the same lab. Writes bench/RESTART.md.
//
//   npm run bench:restart     (a temp lab at port offset 18000, torn down after; or BREAKGLASS_LAB_DIR)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, REPO_ROOT } from '../test/helpers/paths.js';
import { machineFacts, ms, summarize, table } from './bench-lib.js';
import { componentHealth } from './lab/controlplane.js';
import { labBreakglassArgs, labDown, labEnvFor, labIsUp, labUp } from './lab/lab.js';
import { labPorts } from './lab/node.js';

const RUNS = Number(process.env.BENCH_RESTART_RUNS ?? 3);
const ORDER = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
const SLEEP_SECONDS = 20;

async function healthyNamed(offset: number, name: string): Promise<boolean> {
  return (await componentHealth(labPorts(offset))).some((h) => h.name === name && h.healthy);
}

async function allHealthy(offset: number): Promise<void> {
  for (;;) {
    if ((await componentHealth(labPorts(offset))).every((h) => h.healthy)) return;
    await sleep(500);
  }
}

/** The runbook: mv out, sleep 20, mv back, curl until it answers; one pod after the other. */
async function byHand(nodeRoot: string, offset: number): Promise<number> {
  const manifests = path.join(nodeRoot, 'etc/kubernetes/manifests');
  const aside = fs.mkdtempSync('/tmp/bg-bench-aside-');
  const started = performance.now();
  for (const pod of ORDER) {
    fs.renameSync(path.join(manifests, `${pod}.yaml`), path.join(aside, `${pod}.yaml`));
    await sleep(SLEEP_SECONDS * 1000);
    fs.renameSync(path.join(aside, `${pod}.yaml`), path.join(manifests, `${pod}.yaml`));
    // `until curl -ks https://127.0.0.1:6443/readyz; do sleep 1; done`
    while (!(await healthyNamed(offset, pod))) await sleep(1000);
  }
  const elapsed = performance.now() - started;
  fs.rmSync(aside, { recursive: true, force: true });
  return elapsed;
}

function breakglassRestart(args: string[], extra: string[]): number {
  const started = performance.now();
  const r = spawnSync(BIN, ['restart', '--all', '--yes', ...extra, ...args], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (r.status !== 0) throw new Error(`breakglass restart failed: ${r.stdout}\n${r.stderr}`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const given = process.env.BREAKGLASS_LAB_DIR;
  const reuse = given !== undefined && (await labIsUp(given));
  const dir = reuse ? given : fs.mkdtempSync('/tmp/bg-bench-restart-');
  if (!reuse) await labUp(dir, { controlPlane: { portOffset: 18_000 } });
  const env = labEnvFor(dir);
  const args = labBreakglassArgs(env);
  const samples: Record<'hand' | 'auto' | 'move', number[]> = { hand: [], auto: [], move: [] };
  try {
    await allHealthy(env.portOffset);
    for (let run = 0; run < RUNS; run++) {
      samples.hand.push(await byHand(env.nodeRoot, env.portOffset));
      await allHealthy(env.portOffset);
      samples.auto.push(breakglassRestart(args, []));
      await allHealthy(env.portOffset);
      samples.move.push(breakglassRestart(args, ['--method', 'move']));
      await allHealthy(env.portOffset);
      process.stderr.write(`run ${run + 1}/${RUNS} done\n`);
    }
  } finally {
    if (!reuse) await labDown(dir);
  }
  const row = (what: string, xs: number[]) => {
    const s = summarize(xs.map((x) => x / 1000));
    return [what, ms(s.min, 1), ms(s.mean, 1), ms(s.max, 1)];
  };
  const out = [
    '# The control-plane restart: breakglass against the runbook',
    '',
    'Written by `npm run bench:restart` (scripts/bench-restart.ts) on the lab (real etcd, containerd, the',
    `kubelet stand-in, systemd): the four control-plane pods restarted in kubeadm's order, ${RUNS} runs of each,`,
    'alternating. Wall-clock seconds from the first command to every pod healthy again. Measurements, not tests.',
    '',
    machineFacts(),
    '',
    table(
      ['way', 'min s', 'mean s', 'max s'],
      [
        row(`by hand: mv out, sleep ${SLEEP_SECONDS}, mv back, curl until healthy; per pod`, samples.hand),
        row('breakglass restart --all (snapshot, quorum, each gated; method it picks)', samples.auto),
        row('breakglass restart --all --method move', samples.move),
      ],
    ),
    '',
    'The runbook waits its 20 s whether kubelet needed them or not, and a dropped SSH session between the two',
    'mv leaves a manifest in /tmp; it takes no snapshot and knows nothing of the new container it curls.',
    'breakglass moves on when the runtime shows the pod stopped (inotify makes kubelet act at once) or, with',
    'the runtime method, does not move the manifest at all; it takes and checks an etcd snapshot first and',
    'gates each pod on a container started after the step began and its probe answering.',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(REPO_ROOT, 'bench/RESTART.md'), out);
  process.stdout.write(out);
}

await main();
