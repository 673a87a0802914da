// The runtime as the sync loop sees it: what runs, and how to change it (CRI or Docker with cri-dockerd's
// names, in runtime-adapters.ts).
import type { ContainerSpec, PodSpec } from '../pods.js';

/** kubelet uses the pod's terminationGracePeriodSeconds (default 30 s); the lab's pods stop fast. */
export const STOP_GRACE_SECONDS = 2;

export interface ObservedSandbox {
  id: string;
  attempt: number;
  ready: boolean;
}

export interface ObservedContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  running: boolean;
}

export interface ObservedPod {
  uid: string;
  /** The mirror pod name: <name>-<node>. */
  name: string;
  namespace: string;
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
}

export interface PodRuntime {
  /** The pods kubelet runs for this node (file pods whose mirror name ends in -<node>), by UID. */
  observe(): Promise<Map<string, ObservedPod>>;
  createSandbox(spec: PodSpec, attempt: number): Promise<string>;
  startContainer(
    spec: PodSpec,
    sandbox: ObservedSandbox,
    container: ContainerSpec,
    attempt: number,
  ): Promise<string>;
  stopContainer(id: string): Promise<void>;
  /** When a container exited (epoch ms), as the runtime reports it; null when unknown. */
  finishedAt(id: string): Promise<number | null>;
  /** A dead container and its log file (kubelet's container GC). */
  removeContainer(pod: ObservedPod, container: ObservedContainer): Promise<void>;
  /** A sandbox and its containers; the pod's logs stay. */
  removeSandbox(pod: ObservedPod, sandbox: ObservedSandbox): Promise<void>;
  /** Every sandbox and container of the pod, and its log directory. */
  removePod(pod: ObservedPod): Promise<void>;
}
