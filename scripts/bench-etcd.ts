// What the screen's etcd read costs the node, every 10 s while breakglass runs (store/feeds/evidence.ts):
// this member's status, members, alarms and a linearizable read, against the lab's etcd. Three ways, in
// one run, alternating: a new TLS client and the raft-link metrics scraped each read (as it was), a new
// client each read, and one client kept (sources/etcd/session.ts, as it is); beside them what an operator
// runs instead, etcdctl's endpoint status and alarm list with their TLS flags (two processes).
// CPU per read from process.cpuUsage (etcdctl's from GNU time). Writes bench/ETCD.md.
//
//   npm run bench:etcd     (the lab in BREAKGLASS_LAB_DIR, else a temp lab at port offset 18000, torn down)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { etcdAccess } from '../src/node/etcd.js';
import { readEtcdCluster } from '../src/sources/etcd/cluster.js';
import { metricsUrlFromFlag, scrapeEtcd } from '../src/sources/etcd/metrics.js';
import { EtcdSession } from '../src/sources/etcd/session.js';
import { parseManifestText } from '../src/sources/manifests/parse.js';
import { REPO_ROOT } from '../test/helpers/paths.js';
import { machineFacts, ms, summarize, table } from './bench-lib.js';
import { labDown, labEnvFor, labIsUp, labUp } from './lab/lab.js';
import { labPorts } from './lab/node.js';

const ROUNDS = Number(process.env.BENCH_ETCD_ROUNDS ?? 7);
const READS = 20;
const READ_EVERY_S = 10;

async function cpuPerRead(read: () => Promise<unknown>): Promise<number> {
  await read();
  const before = process.cpuUsage();
  for (let i = 0; i < READS; i++) await read();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / READS;
}

/** User plus system CPU of one command (GNU time), in ms. */
function commandCpu(command: string, args: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_CPU=%U %S', command, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  const m = /BENCH_CPU=([\d.]+) ([\d.]+)/.exec(r.stderr)!;
  return (Number(m[1]) + Number(m[2])) * 1000;
}

async function main(): Promise<void> {
  const given = process.env.BREAKGLASS_LAB_DIR;
  const reuse = given !== undefined && (await labIsUp(given));
  const dir = reuse ? given : fs.mkdtempSync('/tmp/bg-bench-etcd-');
  if (!reuse) await labUp(dir, { controlPlane: { portOffset: 18_000 } });
  const env = labEnvFor(dir);
  const pki = path.join(env.nodeRoot, 'etc/kubernetes/pki');
  const manifest = fs.readFileSync(path.join(env.nodeRoot, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8');
  const pod = parseManifestText(manifest, 'lab-master').pods[0]!;
  const access = etcdAccess(pod, pki, (f) => fs.existsSync(f));
  const session = new EtcdSession();
  const etcdctl = (args: string[]) =>
    commandCpu('etcdctl', [
      `--endpoints=https://127.0.0.1:${labPorts(env.portOffset).etcdClient}`,
      `--cacert=${pki}/etcd/ca.crt`,
      `--cert=${pki}/etcd/healthcheck-client.crt`,
      `--key=${pki}/etcd/healthcheck-client.key`,
      ...args,
    ]);
  const samples = {
    before: [] as number[],
    fresh: [] as number[],
    kept: [] as number[],
    etcdctl: [] as number[],
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      samples.before.push(
        await cpuPerRead(() =>
          Promise.all([readEtcdCluster(access), scrapeEtcd(metricsUrlFromFlag(access.metricsFlag))]),
        ),
      );
      samples.fresh.push(await cpuPerRead(() => readEtcdCluster(access)));
      samples.kept.push(await cpuPerRead(() => session.read(access)));
      samples.etcdctl.push(etcdctl(['endpoint', 'status', '-w', 'table']) + etcdctl(['alarm', 'list']));
    }
  } finally {
    session.close();
    if (!reuse) await labDown(dir);
  }
  const row = (what: string, xs: number[]) => {
    const p50 = summarize(xs).p50;
    return [what, ms(p50, 2), `${((p50 / (READ_EVERY_S * 1000)) * 100).toFixed(3)} %`];
  };
  const out = [
    "# etcd's read on screen: what it costs the node",
    '',
    "Written by `npm run bench:etcd` (scripts/bench-etcd.ts) against the lab's single etcd member. One read",
    "is what the screen asks every 10 s: this member's Status, MemberList, Alarm and a linearizable Range",
    `(etcdctl endpoint health's test). CPU of breakglass's process per read, ${READS} reads a round, medians of`,
    `${ROUNDS} rounds, the three ways alternating; etcdctl's user and system CPU from GNU time. Measurements, not tests.`,
    '',
    machineFacts(),
    '',
    `Load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (the machine is shared).`,
    '',
    table(
      ['read', 'CPU per read (ms)', 'of one core, read every 10 s'],
      [
        row('a new TLS client and the metrics scraped, each read (before)', samples.before),
        row('a new TLS client each read', samples.fresh),
        row('one client kept (EtcdSession, now)', samples.kept),
        row('by hand: `etcdctl endpoint status` + `etcdctl alarm list`', samples.etcdctl),
      ],
    ),
    '',
    "The metrics (this member's raft links) are now read only when a peer's client URLs are on another",
    'node, the one case they are needed for. The kept client is made anew when the endpoint or the',
    'certificate files change, or after a TLS refusal, and kept while etcd is down: a client closed then',
    "left grpc-js's connection to make one more attempt, which stayed open, unused, once etcd was back",
    "(test/integration/etcd-session.test.ts). GNU time counts CPU in 10 ms steps: etcdctl's figure is coarse.",
    '',
  ].join('\n');
  fs.writeFileSync(path.join(REPO_ROOT, 'bench/ETCD.md'), out);
  process.stdout.write(out);
}

await main();
