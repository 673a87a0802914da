// `breakglass etcd [--json]`: this node's etcd member and its cluster as etcd's own API tells them, with
// kubeadm's client certificate and the endpoint from etcd's manifest: the member (id, name, version,
// leader or not, raft term and index), every member with whether it is healthy, the leader, quorum, the
// database against its quota, the alarms, and what of it needs acting on. Exit 1 when something does.
// `breakglass etcd reclaim|defrag|disarm [--yes]`: the fixes for a full etcd (procedures/etcd-maintenance.ts),
// detached and durable like the guided restart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EtcdError } from '../../clients/etcd.js';
import { type EtcdView, etcdProblems, etcdQuota, etcdView } from '../../model/etcd-cluster.js';
import { manifestDirsOf } from '../../node/discover.js';
import { etcdAccess, etcdFlagsOf, findEtcdPod } from '../../node/etcd.js';
import { DEFAULT_KEPT_SNAPSHOTS } from '../../ops/etcd-snapshot.js';
import { bytes } from '../../ops/snapshot-space.js';
import { etcdDefrag, etcdDisarm, etcdReclaim } from '../../procedures/etcd-maintenance.js';
import { etcdMaintenanceParams, etcdRestoreParams } from '../../procedures/etcd-params.js';
import { etcdRestore } from '../../procedures/etcd-restore.js';
import { readEtcdCluster } from '../../sources/etcd/cluster.js';
import { scanBoth } from '../../sources/manifests/scan.js';
import { BreakglassError } from '../../util/errors.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { commandFlagArgs, nodeFlagArgs } from '../flags.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from '../io.js';
import { discover } from '../node.js';
import { runProcedureCommand } from '../run-procedure.js';

const MAINTENANCE = { reclaim: etcdReclaim, defrag: etcdDefrag, disarm: etcdDisarm } as const;
const NOT_RECORDED = ['yes', 'json'] as const;

export async function etcd(args: CliArgs, io: Io): Promise<number> {
  const [sub, ...rest] = args.targets;
  if (sub === undefined) return show(args, io);
  if (sub === 'restore') return restore(args, io, rest);
  if (!Object.hasOwn(MAINTENANCE, sub) || rest.length > 0)
    throw new BreakglassError(
      `etcd takes nothing, or reclaim, defrag, disarm or restore FILE; not "${escapeName(args.targets.join(' '))}"`,
      'usage',
    );
  const procedure = MAINTENANCE[sub as keyof typeof MAINTENANCE];
  const own = commandFlagArgs(args.flags, 'etcd', NOT_RECORDED);
  return runProcedureCommand(args, io, {
    procedure,
    feeds: [],
    confirm: true,
    params: (_model, facts) =>
      etcdMaintenanceParams(facts, args.flags.keepSnapshots ?? DEFAULT_KEPT_SNAPSHOTS),
    durable: {
      doing: `${sub} etcd`,
      argv: ['etcd', sub, ...own, ...nodeFlagArgs(args.flags)],
      recordArgs: [sub, ...own],
    },
  });
}

/** `etcd restore FILE`: detached and durable, as the restart; the file's absolute path is what runs. */
async function restore(args: CliArgs, io: Io, rest: string[]): Promise<number> {
  if (rest.length !== 1) throw new BreakglassError('etcd restore takes one snapshot FILE', 'usage');
  const file = path.resolve(rest[0]!);
  const own = commandFlagArgs(args.flags, 'etcd', NOT_RECORDED);
  return runProcedureCommand(args, io, {
    procedure: etcdRestore,
    feeds: ['runtime', 'health'],
    confirm: true,
    params: (model, facts) =>
      etcdRestoreParams(model, facts, {
        file,
        force: args.flags.force,
        gateSeconds: args.flags.gateTimeout,
        readOnly: args.flags.readOnly,
      }),
    durable: {
      doing: 'restore etcd',
      argv: ['etcd', 'restore', file, ...own, ...nodeFlagArgs(args.flags)],
      recordArgs: ['restore', file, ...own],
    },
  });
}

async function show(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const dirs = scanBoth(manifestDirsOf(layout));
  const pod = findEtcdPod(dirs.manifests, dirs.holding);
  if (!pod)
    throw new BreakglassError(
      `no etcd manifest in ${layout.manifests.value}: this node runs no local etcd member`,
      'etcd',
    );
  const access = etcdAccess(pod, layout.pki.value, (f) => fs.existsSync(f));
  const flags = etcdFlagsOf(pod);
  let cluster: Awaited<ReturnType<typeof readEtcdCluster>>;
  try {
    cluster = await readEtcdCluster(access);
  } catch (err) {
    if (!(err instanceof EtcdError)) throw err;
    throw new BreakglassError(
      `etcd does not answer on ${access.url} (${access.source}): ${err.message}. \`breakglass doctor\` says why; \`breakglass logs etcd\` shows its last words`,
      'etcd',
    );
  }
  const view = etcdView(cluster, etcdQuota(flags['quota-backend-bytes']));
  const problems = etcdProblems(view);
  if (args.flags.json) {
    jsonLine(io, { endpoint: access.url, ...view, problems });
  } else {
    io.out(etcdText(view, access.url));
    for (const p of problems) io.out(`${p.severity === 'error' ? '✗' : '!'} ${p.text}\n`);
  }
  return problems.length > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

/** The member, the cluster and the database, as lines for a terminal (names from etcd escaped). */
export function etcdText(v: EtcdView, endpoint: string): string {
  const out: string[] = [];
  const m = v.member;
  const role = m.isLeader ? 'leader' : m.isLearner ? 'learner' : 'follower';
  out.push(
    `member   ${escapeName(m.name)} (id ${m.id}, ${role}) etcd ${escapeName(m.version)} at ${escapeName(endpoint)}`,
  );
  out.push(
    `raft     term ${m.raftTerm}, index ${m.raftIndex}; revision ${m.revision}; cluster ${v.clusterId}`,
  );
  out.push(`leader   ${v.leader ? `${escapeName(v.leader.name)} (id ${v.leader.id})` : 'NONE'}`);
  out.push(
    `quorum   ${v.quorum ? 'yes (a linearizable read answered)' : `NO: ${escapeName(v.quorumError ?? '')}`}`,
  );
  const pct = Math.round((100 * v.dbSize) / v.quota);
  out.push(
    `database ${bytes(v.dbSize)} (in use ${bytes(v.dbSizeInUse)}) of its ${bytes(v.quota)} quota, ${pct} %`,
  );
  const alarms = v.alarms
    ? v.alarms.length > 0
      ? v.alarms.map((a) => `${a.alarm} on ${escapeName(a.member)}`).join(', ')
      : 'none'
    : `unknown (${escapeName(v.alarmsError ?? '')})`;
  out.push(`alarms   ${alarms}`);
  out.push('members');
  for (const x of v.members) {
    const state = x.healthy === true ? 'healthy' : x.healthy === false ? 'UNHEALTHY' : 'unknown';
    const how =
      x.how === 'peer-link'
        ? ' (by its raft link: its URLs are on another node)'
        : x.how === 'unknown'
          ? ' (not asked: its URLs are on another node)'
          : '';
    const tags = [x.self ? 'this node' : '', x.leader ? 'leader' : '', x.isLearner ? 'learner' : '']
      .filter(Boolean)
      .join(', ');
    out.push(
      `  ${escapeName(x.name || '(unstarted)')} ${x.id}${tags ? ` [${tags}]` : ''}: ${state}${how}${x.error ? `: ${escapeName(x.error)}` : ''}`,
    );
    out.push(
      `    peers ${x.peerURLs.map(escapeName).join(', ') || '-'}; clients ${x.clientURLs.map(escapeName).join(', ') || '-'}`,
    );
  }
  return `${out.join('\n')}\n`;
}
