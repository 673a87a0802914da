// What the sources said about the node, in one plain value: the input of the model. The TUI's store keeps
// one of these up to date (a slot per source, each failing alone); `status` reads the same facts once.
// Pure data: no I/O, no classes.

import type { Located, NodeLayout } from '../node/discover.js';
import type { Intent } from '../node/state-dir.js';
import type { ProcedureState } from '../sources/breakglass-state.js';
import type { CertificateInfo } from '../sources/certs.js';
import type { DiskSample } from '../sources/disk/watch.js';
import type { EtcdSample } from '../sources/etcd/metrics.js';
import type { ManifestDirs } from '../sources/manifests/scan.js';
import type { RuntimeChoice } from '../sources/runtime/detect.js';
import type { Container, RuntimeInfo, Sandbox } from '../sources/runtime/types.js';
import type { UnitState } from '../sources/systemd.js';
import type { VitalsSample } from '../sources/vitals.js';
import type { EtcdView } from './etcd-cluster.js';

/** One source's latest word. Nothing read yet: value, error and at all null. */
export interface Slot<T> {
  value: T | null;
  /** Why the source could not be read, in plain words; null when it was. */
  error: string | null;
  /** When it last said something (ms since the epoch). */
  at: number | null;
}

export interface UnitSlot extends Slot<UnitState> {
  name: string;
}

/** What the container runtime runs, read in one go. */
export interface RuntimeReading {
  info: RuntimeInfo;
  sandboxes: Sandbox[];
  containers: Container[];
}

export interface RuntimeSlot extends Slot<RuntimeReading> {
  /** Which runtime and how it was found; null when none could be chosen (then error says why). */
  choice: RuntimeChoice | null;
}

/** What a health probe last said; the shape the health source reports. */
export interface HealthView {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  url: string;
}

export interface NodeFacts {
  layout: NodeLayout;
  etcdDataDir: Located<string>;
  /** The manifest directory and the holding directory (its error: not there yet, nothing disabled). */
  dirs: ManifestDirs;
  /** A manifest move cut short, waiting for `breakglass recover`. */
  intent: Intent | null;
  /** The procedure that runs or was cut short, and the last that ended (breakglass's own records). */
  procedures: ProcedureState;
  runtime: RuntimeSlot;
  kubeletUnit: UnitSlot;
  /** The runtime's own unit, when the node's runtime has a known one. */
  runtimeUnit: UnitSlot | null;
  dbusAddress: string;
  /** By pod name (metadata.name); empty when nothing was probed. */
  health: ReadonlyMap<string, HealthView>;
  disk: Slot<DiskSample>;
  etcd: Slot<EtcdSample>;
  vitals: Slot<VitalsSample>;
  certs: Slot<CertificateInfo[]>;
  /** etcd as this node's member sees the cluster (its API: status, members, alarms, quorum). */
  etcdCluster: Slot<EtcdView>;
}

export function emptySlot<T>(): Slot<T> {
  return { value: null, error: null, at: null };
}

/** The runtime's answer, or null when it could not be read (or not yet). */
export function runtimeReading(facts: Pick<NodeFacts, 'runtime'>): RuntimeReading | null {
  return facts.runtime.error === null ? facts.runtime.value : null;
}
