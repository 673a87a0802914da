// What an etcd procedure works on, from the node as it is: this node's etcd member (its manifest, enabled
// or disabled), how to reach it, its quota and how many members its --initial-cluster names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { etcdMaxRequest, etcdQuota } from '../model/etcd-cluster.js';
import type { NodeFacts } from '../model/facts.js';
import type { NodeModel } from '../model/node.js';
import { etcdAccess, etcdFlagsOf, findEtcdPod } from '../node/etcd.js';
import { findRestoreTool } from '../ops/etcd-restore.js';
import type { PodManifest } from '../sources/manifests/types.js';
import { chooseRuntime } from '../sources/runtime/detect.js';
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import type { EtcdMaintenanceParams } from './etcd-maintenance.js';
import type { EtcdRestoreParams } from './etcd-restore.js';
import { podSubject } from './pod-steps.js';
import { DEFAULT_GATE_SECONDS } from './restart-pods.js';

/** Five minutes: a 8 GiB database defragments in about a minute on a good disk. */
export const DEFRAG_TIMEOUT_MS = 300_000;

export function localEtcd(facts: NodeFacts): PodManifest {
  const holding = facts.dirs.holding.error ? null : facts.dirs.holding;
  const pod = findEtcdPod(facts.dirs.manifests, holding);
  if (!pod)
    throw new BreakglassError(
      `no etcd manifest in ${facts.layout.manifests.value}: this node runs no local etcd member`,
      'etcd',
    );
  return pod;
}

export function etcdMaintenanceParams(facts: NodeFacts, keepSnapshots: number): EtcdMaintenanceParams {
  const pod = localEtcd(facts);
  const flags = etcdFlagsOf(pod);
  const initial = initialMembers(flags);
  return {
    access: etcdAccess(pod, facts.layout.pki.value, (f) => fs.existsSync(f)),
    quota: etcdQuota(flags['quota-backend-bytes']),
    maxRequestBytes: etcdMaxRequest(flags['max-request-bytes']),
    members: Math.max(1, initial.length),
    keepSnapshots,
    defragTimeoutMs: DEFRAG_TIMEOUT_MS,
  };
}

function initialMembers(flags: Record<string, string>): string[] {
  return (flags['initial-cluster'] ?? '').split(',').filter((m) => m.includes('='));
}

export function etcdRestoreParams(
  model: NodeModel,
  facts: NodeFacts,
  ask: { file: string; force: boolean; gateSeconds: number | undefined; readOnly: boolean },
): EtcdRestoreParams {
  const pod = localEtcd(facts);
  const flags = etcdFlagsOf(pod);
  const members = initialMembers(flags);
  if (members.length > 1 && !ask.force)
    throw new BreakglassError(
      `etcd's --initial-cluster names ${members.length} members (${members.map((m) => escapeName(m.split('=')[0]!)).join(', ')}): restoring one alone splits it from the others. A restore of a cluster is the same snapshot on every member: stop the API server on every master, then etcd on every master, restore on each with its own --name and --initial-advertise-peer-urls and the same --initial-cluster, start etcd on all, then the API servers. --force restores this member alone`,
      'etcd',
    );
  const file = path.resolve(ask.file);
  if (!fs.existsSync(file)) throw new BreakglassError(`${escapeName(file)}: no such snapshot`, 'usage');
  const image = pod.containers.find((c) => c.name === 'etcd')?.image ?? pod.containers[0]?.image ?? '';
  const runtime = chooseRuntime(facts.layout.root, facts.layout.runtimeEndpoint);
  const tools = {
    image: image && !('error' in runtime) ? { image, runtime } : null,
    host: findRestoreTool(),
    logDir: path.join(facts.layout.stateDir.value, 'run-once'),
  };
  const name = flags.name ?? facts.layout.nodeName.value;
  const peer = flags['initial-advertise-peer-urls'] ?? '';
  if (!peer)
    throw new BreakglassError(
      "etcd's manifest has no --initial-advertise-peer-urls: the restored member would not know its own peer URL",
      'etcd',
    );
  const view = (n: string) => model.pods.find((p) => p.name === n && p.enabled !== null) ?? null;
  const etcd = view(pod.name) ?? view('etcd');
  if (!etcd) throw new BreakglassError('etcd has no manifest breakglass can move', 'etcd');
  const apiserver = view('kube-apiserver');
  return {
    file,
    tools,
    access: etcdAccess(pod, facts.layout.pki.value, (f) => fs.existsSync(f)),
    dataDir: facts.etcdDataDir.value,
    identity: {
      name,
      initialCluster: flags['initial-cluster'] ?? `${name}=${peer}`,
      initialClusterToken: flags['initial-cluster-token'] ?? 'etcd-cluster',
      initialAdvertisePeerUrls: peer,
    },
    etcd: podSubject(etcd),
    apiserver: apiserver ? podSubject(apiserver) : null,
    stateDir: facts.layout.stateDir.value,
    readOnly: ask.readOnly,
    gateSeconds: ask.gateSeconds ?? DEFAULT_GATE_SECONDS,
    members: Math.max(1, members.length),
  };
}
