// `breakglass doctor` timed against gathering the same evidence by hand, on the lab, healthy and with
// the API server crash-looping on a bad flag (the lab's fault). By hand is what an operator types when
// kubectl is dead: the runtime's containers and tasks, the apiserver's own log, kubelet's journal, the
// units' state, the four health endpoints, every certificate's dates, free space, etcd's status with its
// four TLS flags, and a grep of the manifest for the flag. Timed as commands run back to back: a lower
// bound for a person, who also reads and joins them. Medians of RUNS. Writes bench/DOCTOR.md.
//
//   npm run bench:doctor     (a temp lab at port offset 18000, torn down after; or BREAKGLASS_LAB_DIR)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BIN, REPO_ROOT } from '../test/helpers/paths.js';
import { machineFacts, ms, summarize, table } from './bench-lib.js';
import type { LabEnv } from './lab/lab.js';
import { labBreakglassArgs, labDown, labEnvFor, labFault, labHeal, labIsUp, labUp } from './lab/lab.js';
import { labPorts } from './lab/node.js';

const RUNS = Number(process.env.BENCH_DOCTOR_RUNS ?? 5);
const quiet = () => {};

interface Timed {
  ms: number;
  peakKiB: number | null;
  stdout: string;
}

/** One command under /usr/bin/time: its wall time and peak resident set. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_RSS=%M', command, ...args], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const elapsed = performance.now() - started;
  const rss = /BENCH_RSS=(\d+)/.exec(r.stderr ?? '');
  return { ms: elapsed, peakKiB: rss ? Number(rss[1]) : null, stdout: r.stdout ?? '' };
}

/** The by-hand round, command after command; how many commands and the total wall time. */
function byHand(env: LabEnv): { ms: number; commands: number } {
  const ports = labPorts(env.portOffset);
  const pki = path.join(env.nodeRoot, 'etc/kubernetes/pki');
  const ctr = (args: string[]) => timed('ctr', ['--address', env.containerdSocket, '-n', 'k8s.io', ...args]);
  const steps: (() => Timed)[] = [
    () => ctr(['containers', 'ls']),
    () => ctr(['tasks', 'ls']),
    () => {
      const dir = fs.readdirSync(env.podLogsDir).find((d) => d.startsWith('kube-system_kube-apiserver-'));
      const logs = dir ? path.join(env.podLogsDir, dir, 'kube-apiserver') : env.podLogsDir;
      return timed('sh', ['-c', `tail -n 50 "$(ls -t ${logs}/*.log | head -n 1)"`]);
    },
    () =>
      timed('journalctl', ['--directory', env.journalDir, '-u', 'kubelet.service', '-n', '50', '--no-pager']),
    ...['kubelet', 'containerd'].map(
      (unit) => () =>
        timed(
          'busctl',
          [
            'get-property',
            'org.freedesktop.systemd1',
            `/org/freedesktop/systemd1/unit/${unit}_2eservice`,
            'org.freedesktop.systemd1.Unit',
            'ActiveState',
            'SubState',
          ],
          { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: env.dbusAddress },
        ),
    ),
    ...[
      `https://127.0.0.1:${ports.apiserver}/livez`,
      `https://127.0.0.1:${ports.controllerManager}/healthz`,
      `https://127.0.0.1:${ports.scheduler}/healthz`,
      `http://127.0.0.1:${ports.etcdMetrics}/health`,
    ].map((url) => () => timed('curl', ['-ks', '--max-time', '3', url])),
    ...certificates(pki).map(
      (crt) => () => timed('openssl', ['x509', '-noout', '-subject', '-startdate', '-enddate', '-in', crt]),
    ),
    () =>
      timed('df', [
        '-h',
        ...['var/lib/etcd', 'var/lib/kubelet', 'var/log'].map((d) => path.join(env.nodeRoot, d)),
      ]),
    () =>
      timed('etcdctl', [
        `--endpoints=https://127.0.0.1:${ports.etcdClient}`,
        `--cacert=${pki}/etcd/ca.crt`,
        `--cert=${pki}/etcd/healthcheck-client.crt`,
        `--key=${pki}/etcd/healthcheck-client.key`,
        'endpoint',
        'status',
        '-w',
        'table',
      ]),
    () =>
      timed('grep', [
        '-n',
        '--',
        '--',
        path.join(env.nodeRoot, 'etc/kubernetes/manifests/kube-apiserver.yaml'),
      ]),
  ];
  let total = 0;
  for (const step of steps) total += step().ms;
  return { ms: total, commands: steps.length };
}

function certificates(pki: string): string[] {
  const out: string[] = [];
  for (const dir of [pki, path.join(pki, 'etcd')]) {
    for (const name of fs.readdirSync(dir).sort()) if (name.endsWith('.crt')) out.push(path.join(dir, name));
  }
  return out;
}

interface Round {
  doctor: Timed[];
  hand: number[];
  commands: number;
  first: string;
}

function rounds(env: LabEnv): Round {
  const args = ['doctor', '--json', ...labBreakglassArgs(env)];
  const round: Round = { doctor: [], hand: [], commands: 0, first: '' };
  for (let i = 0; i < RUNS; i++) {
    const d = timed(BIN, args);
    round.doctor.push(d);
    try {
      const report = JSON.parse(d.stdout) as { findings: { code: string }[] };
      round.first = report.findings[0]?.code ?? '(none)';
    } catch {
      round.first = '(no JSON)';
    }
    const h = byHand(env);
    round.hand.push(h.ms);
    round.commands = h.commands;
  }
  return round;
}

async function main(): Promise<void> {
  const loadAtStart = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const given = process.env.BREAKGLASS_LAB_DIR;
  const reuse = given !== undefined && (await labIsUp(given));
  const dir = reuse ? given : fs.mkdtempSync('/tmp/bg-bench-doctor-');
  if (!reuse) await labUp(dir, { controlPlane: { portOffset: 18_000 } });
  const env = labEnvFor(dir);
  let healthy: Round;
  let broken: Round;
  try {
    healthy = rounds(env);
    await labFault(dir, 'apiserver-bad-flag', quiet);
    // kubelet's back-off: the apiserver has crashed a few times before anyone looks.
    await new Promise((r) => setTimeout(r, 20_000));
    broken = rounds(env);
  } finally {
    await labHeal(dir, 'apiserver-bad-flag', quiet).catch(() => {});
    if (!reuse) await labDown(dir);
  }
  const med = (xs: number[]) => summarize(xs).p50;
  const row = (state: string, r: Round) => {
    const doctor = med(r.doctor.map((d) => d.ms));
    const hand = med(r.hand);
    const rss = Math.max(...r.doctor.map((d) => d.peakKiB ?? 0)) / 1024;
    return [
      state,
      r.first,
      ms(doctor / 1000, 2),
      `${rss.toFixed(0)} MiB`,
      `${ms(hand / 1000, 2)} (${r.commands} commands)`,
      (doctor / hand).toFixed(1),
    ];
  };
  const out = [
    '# The doctor: breakglass against gathering the evidence by hand',
    '',
    'Written by `npm run bench:doctor` (scripts/bench-doctor.ts) on the lab. `breakglass doctor --json`',
    'against the commands an operator runs when kubectl is dead (ctr containers and tasks, a tail of the',
    "apiserver's log, kubelet's journal, both units' state over D-Bus, the four health endpoints with curl,",
    'openssl x509 on every certificate, df, etcdctl endpoint status with its TLS flags, a grep of the',
    `manifest), run back to back. Medians of ${RUNS}; the doctor's peak resident set the highest of its runs.`,
    'Measurements, not tests.',
    '',
    machineFacts(),
    '',
    `Load average when it started: ${loadAtStart} (the machine was shared with other labs at the time).`,
    '',
    table(
      ['lab', "doctor's first finding", 'doctor s', 'doctor peak RSS', 'by hand s', 'ratio'],
      [row('healthy', healthy), row('apiserver-bad-flag', broken)],
    ),
    '',
    'By hand is a lower bound: the commands alone, none of the reading, and no joining of what they say',
    "(which crash-looping container is the cause, which flag, which line). The doctor's time is mostly",
    "waiting: for every source's first answer (at most 8 s), for kubelet's journal, and, when etcd's",
    'fsync p99 since its start looks slow, for its own measurement from now (until 20 fsyncs, at most 3 s:',
    'the idle lab etcd fsyncs about once in 2 s, so the doctor waits the whole 3 s there).',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(REPO_ROOT, 'bench/DOCTOR.md'), out);
  process.stdout.write(out);
}

await main();
