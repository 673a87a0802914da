// The node's facts read once, without feeds: for `status`, `lint` and the commands that act on one pod;
// and the facts a store starts from. The slots nobody read stay empty (null value, null error).

import { systemBusAddress } from '../clients/systemd-address.js';
import { emptySlot, type NodeFacts } from '../model/facts.js';
import { type Located, manifestDirsOf, type NodeLayout } from '../node/discover.js';
import { etcdDataDir } from '../node/etcd.js';
import { runtimeUnitFor } from '../node/runtime-unit.js';
import { pendingIntent, procedureState } from '../sources/breakglass-state.js';
import { type ManifestDirs, scanBoth } from '../sources/manifests/scan.js';

export interface OnceOptions {
  /** --etcd-data-dir: overrides what the etcd manifest names. */
  etcdDataDir?: string | undefined;
  readRuntime: boolean;
  kubeletUnit: string;
  dbusAddress: string | null;
}

/** Loaded only when asked for: the runtime clients (gRPC, dockerode) are most of a command's start-up. */
export function preloadRuntimeReader() {
  return import('../sources/runtime/read-once.js');
}

export async function readFactsOnce(layout: NodeLayout, options: OnceOptions): Promise<NodeFacts> {
  const runtime = options.readRuntime
    ? await (await preloadRuntimeReader()).readRuntimeOnce({
        root: layout.root,
        runtimeEndpoint: layout.runtimeEndpoint,
      })
    : null;
  const facts = unreadFacts(layout, { ...options, runtimeKind: runtime?.choice?.kind ?? null });
  if (!runtime) return facts;
  const { choice, info, sandboxes, containers, error } = runtime;
  const value = info ? { info, sandboxes, containers } : null;
  return { ...facts, runtime: { choice, value, error, at: Date.now() } };
}

/** The directories and the intent log read now; every other slot empty. */
export function unreadFacts(
  layout: NodeLayout,
  options: Omit<OnceOptions, 'readRuntime'> & { runtimeKind: 'docker' | 'cri' | null },
): NodeFacts {
  const dirs = scanBoth(manifestDirsOf(layout));
  const unit = runtimeUnitFor(layout.runtimeEndpoint.value, options.runtimeKind);
  return {
    layout,
    etcdDataDir: locateEtcdDataDir(layout, dirs, options.etcdDataDir),
    dirs,
    intent: pendingIntent(layout.stateDir.value),
    procedures: procedureState(layout.stateDir.value),
    runtime: { ...emptySlot(), choice: null },
    kubeletUnit: { name: options.kubeletUnit, ...emptySlot() },
    runtimeUnit: unit ? { name: unit, ...emptySlot() } : null,
    dbusAddress: options.dbusAddress ?? systemBusAddress(),
    health: new Map(),
    disk: emptySlot(),
    etcd: emptySlot(),
    vitals: emptySlot(),
    certs: emptySlot(),
    etcdCluster: emptySlot(),
  };
}

/** etcd's data directory: the flag, else what its manifest names (enabled or held), else kubeadm's. */
export function locateEtcdDataDir(
  layout: NodeLayout,
  dirs: ManifestDirs,
  explicit: string | undefined,
): Located<string> {
  return etcdDataDir(layout.root, dirs.manifests, dirs.holding.error ? null : dirs.holding, explicit);
}
