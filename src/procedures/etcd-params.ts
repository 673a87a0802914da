// What an etcd procedure works on, from the node as it is: this node's etcd member (its manifest, enabled
// or disabled), how to reach it, its quota and how many members its --initial-cluster names.
import * as fs from 'node:fs';
import { etcdQuota } from '../model/etcd-cluster.js';
import type { NodeFacts } from '../model/facts.js';
import { etcdAccess, findEtcdPod } from '../node/etcd.js';
import type { PodManifest } from '../sources/manifests/types.js';
import { BreakglassError } from '../util/errors.js';
import type { EtcdMaintenanceParams } from './etcd-maintenance.js';

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

export function etcdFlagsOf(pod: PodManifest): Record<string, string> {
  return pod.containers.find((c) => c.name === 'etcd')?.flags ?? pod.containers[0]?.flags ?? {};
}

export function etcdMaintenanceParams(facts: NodeFacts, keepSnapshots: number): EtcdMaintenanceParams {
  const pod = localEtcd(facts);
  const flags = etcdFlagsOf(pod);
  const initial = (flags['initial-cluster'] ?? '').split(',').filter((m) => m.includes('='));
  return {
    access: etcdAccess(pod, facts.layout.pki.value, (f) => fs.existsSync(f)),
    quota: etcdQuota(flags['quota-backend-bytes']),
    members: Math.max(1, initial.length),
    keepSnapshots,
    defragTimeoutMs: DEFRAG_TIMEOUT_MS,
  };
}
