// Every change a procedure's steps make, in one place: each is an ops/ change (guarded, locked, audited,
// crash-safe). The write sides of the runtime and of systemd are opened here on first use, and closed
// with the procedure; nothing outside src/ops reaches them.
import type { NodeLayout } from '../node/discover.js';
import type { EtcdAccess } from '../node/etcd.js';
import { connectRuntime } from '../sources/runtime/read-once.js';
import type { Runtime } from '../sources/runtime/types.js';
import { BreakglassError } from '../util/errors.js';
import { openRuntimeControl, type RuntimeControl } from './control/runtime.js';
import { openUnitControl, type UnitControl } from './control/units.js';
import { type CordonOutcome, setNodeUnschedulable } from './cordon.js';
import { compactToCurrent, defragment, disarmNospace, testWrite } from './etcd-maintenance.js';
import { type SnapshotRequest, type SnapshotResult, takeEtcdSnapshot } from './etcd-snapshot.js';
import { type ReplaceRequest, type ReplaceResult, replaceManifest } from './replace.js';
import { type ChangeContext, disableStaticPod, enableStaticPod, type MoveResult } from './staticpods.js';
import { planStop, type StopPlan, type StopResult, type StopTarget, stopPod } from './stop.js';
import { restartUnit } from './units.js';

export interface NodeOps {
  moveManifest(action: 'disable' | 'enable', fileName: string): MoveResult;
  /** The manifest's bytes swapped for others, crash-safe (revert). */
  replaceManifest(request: ReplaceRequest): ReplaceResult;
  /** What a stop would touch now, read fresh from the runtime. */
  planStop(target: StopTarget): Promise<StopPlan>;
  stopPod(plan: StopPlan, options: { graceSeconds: number; force: boolean }): Promise<StopResult>;
  /** Stops the pod's running containers, sandbox left: kubelet starts them again (a restart in place). */
  restartContainers(target: StopTarget, graceSeconds: number): Promise<StopResult>;
  restartUnit(unit: string, signal: AbortSignal): Promise<{ notes: string[] }>;
  snapshotEtcd(request: Omit<SnapshotRequest, 'stateDir' | 'readOnly'>): Promise<SnapshotResult>;
  /** etcd's maintenance calls on the member at `access`, each audited (ops/etcd-maintenance.ts). */
  etcd(access: EtcdAccess): EtcdMaintenance;
  /** spec.unschedulable of this node through the API server, with the node's admin kubeconfig. */
  setUnschedulable(kubeconfig: string, value: boolean): Promise<CordonOutcome>;
  close(): Promise<void>;
}

export interface EtcdMaintenance {
  compact(): ReturnType<typeof compactToCurrent>;
  defragment(timeoutMs: number): ReturnType<typeof defragment>;
  disarmNospace(): ReturnType<typeof disarmNospace>;
  testWrite(): ReturnType<typeof testWrite>;
}

export interface OpsContext {
  layout: NodeLayout;
  readOnly: boolean;
  dbusAddress: string;
}

export function nodeOps(ctx: OpsContext): NodeOps {
  const { layout } = ctx;
  const change: ChangeContext = {
    manifests: layout.manifests.value,
    holding: layout.holding.value,
    stateDir: layout.stateDir.value,
    nodeName: layout.nodeName.value,
    readOnly: ctx.readOnly,
  };
  let runtime: { reader: Runtime; control: RuntimeControl } | null = null;
  let units: UnitControl | null = null;
  const openRuntime = () => {
    if (runtime) return runtime;
    const connected = connectRuntime({ root: layout.root, runtimeEndpoint: layout.runtimeEndpoint });
    if ('error' in connected)
      throw new BreakglassError(`cannot reach the runtime: ${connected.error}`, 'runtime');
    runtime = { reader: connected.runtime, control: openRuntimeControl(connected.choice) };
    return runtime;
  };
  return {
    moveManifest: (action, fileName) =>
      action === 'disable' ? disableStaticPod(change, fileName) : enableStaticPod(change, fileName),
    replaceManifest: (request) => replaceManifest(change, request),
    planStop: (target) => planStop(openRuntime().reader, target),
    stopPod: (plan, options) => stopPod(openRuntime().control, plan, { ...change, ...options }),
    restartContainers: async (target, graceSeconds) => {
      const plan = await planStop(openRuntime().reader, target);
      return stopPod(openRuntime().control, plan, {
        ...change,
        graceSeconds,
        force: true,
        containersOnly: true,
      });
    },
    snapshotEtcd: (request) =>
      takeEtcdSnapshot({ ...request, stateDir: change.stateDir, readOnly: ctx.readOnly }),
    etcd: (access) => {
      const m = { access, stateDir: change.stateDir, readOnly: ctx.readOnly };
      return {
        compact: () => compactToCurrent(m),
        defragment: (timeoutMs) => defragment(m, timeoutMs),
        disarmNospace: () => disarmNospace(m),
        testWrite: () => testWrite(m),
      };
    },
    setUnschedulable: (kubeconfig, value) =>
      setNodeUnschedulable(
        {
          kubeconfig,
          root: layout.root,
          nodeName: change.nodeName,
          stateDir: change.stateDir,
          readOnly: ctx.readOnly,
        },
        value,
      ),
    restartUnit: (unit, signal) => {
      units ??= openUnitControl({ address: ctx.dbusAddress, timeoutMs: 5_000 });
      return restartUnit(units, unit, { stateDir: change.stateDir, readOnly: ctx.readOnly, signal });
    },
    async close() {
      runtime?.reader.close();
      runtime?.control.close();
      await units?.close();
    },
  };
}
