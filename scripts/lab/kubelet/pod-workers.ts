// kubelet's pod workers for the static pods: a sandbox, then the containers, each restarted with back-off
// (the restart count is the CRI attempt), dead containers collected.
import { type ContainerSpec, mirrorPodName } from '../pods.js';
import { Backoff, formatDelay } from './backoff.js';
import { setUpHostPath } from './host-path.js';
import { errorText, klog } from './log.js';
import type { SourcePod } from './manifest-file.js';
import type { ObservedContainer, ObservedPod, ObservedSandbox, PodRuntime } from './runtime.js';

interface ContainerTrack {
  lastAttempt: number;
  /** When the newest attempt was seen exited or failed to start; null while it runs. */
  failedAt: number | null;
  failedContainerId: string | null;
  backoffLoggedFor: number | null;
}

interface PodTrack {
  uid: string;
  /** namespace/mirror name, as kubelet's log lines name a pod. */
  ref: string;
  lastSandboxAttempt: number;
  sandboxFailedAt: number | null;
  containers: Map<string, ContainerTrack>;
  gateLogged: boolean;
}

export function podRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function newest<T extends { attempt: number }>(items: T[]): T | undefined {
  return items.reduce<T | undefined>(
    (best, item) => (!best || item.attempt > best.attempt ? item : best),
    undefined,
  );
}

export class PodWorkers {
  private readonly tracks = new Map<string, PodTrack>();
  /** kubelet's pod workers start a static pod only when no other UID of the same full name was started. */
  private readonly startedByFullName = new Map<string, string>();
  private readonly backoff: Backoff;

  constructor(
    private readonly root: string,
    private readonly runtime: PodRuntime,
    backoffBaseMs: number,
    /** A back-off that ends at this time wants the loop to sync then. */
    private readonly noteDue: (at: number) => void,
  ) {
    this.backoff = new Backoff(backoffBaseMs);
  }

  /** namespace/mirror name of a pod that has a worker. */
  refOf(uid: string): string | undefined {
    return this.tracks.get(uid)?.ref;
  }

  trackedUids(): IterableIterator<string> {
    return this.tracks.keys();
  }

  forget(uid: string): void {
    this.tracks.delete(uid);
    this.backoff.forgetPod(uid);
    for (const [key, started] of this.startedByFullName)
      if (started === uid) this.startedByFullName.delete(key);
  }

  private trackFor(pod: SourcePod, observed: ObservedPod | undefined): PodTrack {
    let track = this.tracks.get(pod.uid);
    if (track) return track;
    track = {
      uid: pod.uid,
      ref: podRef(pod.spec.namespace, mirrorPodName(pod.spec)),
      lastSandboxAttempt: newest(observed?.sandboxes ?? [])?.attempt ?? -1,
      sandboxFailedAt: null,
      containers: new Map(),
      gateLogged: false,
    };
    this.tracks.set(pod.uid, track);
    if (observed?.sandboxes.some((sandbox) => sandbox.ready)) {
      klog('I', 'kubelet.go:2516', 'Found the pod running already: adopting it', {
        pod: track.ref,
        podUID: pod.uid,
      });
    }
    return track;
  }

  /** kubelet's pod worker for one static pod: its sandbox, then its containers, each with its back-off. */
  async sync(pod: SourcePod, observedPods: Map<string, ObservedPod>): Promise<void> {
    const observed = observedPods.get(pod.uid);
    const track = this.trackFor(pod, observed);
    if (this.waitsForAnotherUid(pod, track, observedPods)) return;
    const sandbox =
      observed?.sandboxes.find((s) => s.ready) ?? (await this.startSandbox(pod, track, observed));
    if (!sandbox) return;
    this.startedByFullName.set(pod.key, pod.uid);
    const containers = (observed?.containers ?? []).filter((c) => c.sandboxId === sandbox.id);
    for (const container of pod.spec.containers) {
      await this.syncContainer(pod, track, observed, sandbox, container, containers);
    }
  }

  /** A changed manifest is a new UID: it starts only when the old pod of the same name is gone. */
  private waitsForAnotherUid(pod: SourcePod, track: PodTrack, observed: Map<string, ObservedPod>): boolean {
    const startedUid = this.startedByFullName.get(pod.key);
    if (startedUid === undefined || startedUid === pod.uid) return false;
    if (!observed.has(startedUid)) {
      this.startedByFullName.delete(pod.key);
      return false;
    }
    if (!track.gateLogged) {
      track.gateLogged = true;
      klog(
        'I',
        'pod_workers.go:1180',
        'Pod cannot start yet: a pod with the same full name is still running',
        {
          pod: track.ref,
          podUID: pod.uid,
          runningPodUID: startedUid,
        },
      );
    }
    return true;
  }

  private async startSandbox(
    pod: SourcePod,
    track: PodTrack,
    observed: ObservedPod | undefined,
  ): Promise<ObservedSandbox | null> {
    const key = `${pod.uid}/sandbox`;
    const now = Date.now();
    if (track.sandboxFailedAt !== null) {
      const remainingMs = this.backoff.remainingMs(key, track.sandboxFailedAt, now);
      if (remainingMs > 0) {
        this.noteDue(now + remainingMs);
        return null;
      }
      this.backoff.next(key, track.sandboxFailedAt);
    }
    if (observed && observed.sandboxes.length > 0) {
      klog(
        'I',
        'kuberuntime_manager.go:1012',
        'No ready sandbox for pod can be found. Need to start a new one',
        {
          pod: track.ref,
        },
      );
      for (const dead of observed.sandboxes) await this.runtime.removeSandbox(observed, dead).catch(() => {});
    }
    const volumeErrors = pod.hostPathVolumes
      .map((v) => setUpHostPath(v, this.root))
      .filter((e) => e !== null);
    if (volumeErrors.length > 0) {
      track.sandboxFailedAt = Date.now();
      klog('E', 'kubelet.go:2005', 'Unable to attach or mount volumes for pod; skipping pod', {
        err: volumeErrors.join('; '),
        pod: track.ref,
        podUID: pod.uid,
      });
      return null;
    }
    const attempt = track.lastSandboxAttempt + 1;
    try {
      const id = await this.runtime.createSandbox(pod.spec, attempt);
      track.lastSandboxAttempt = attempt;
      track.sandboxFailedAt = null;
      klog('I', 'kuberuntime_manager.go:1057', 'Started pod sandbox', {
        pod: track.ref,
        podUID: pod.uid,
        sandboxID: id,
      });
      return { id, attempt, ready: true };
    } catch (error) {
      track.lastSandboxAttempt = attempt;
      track.sandboxFailedAt = Date.now();
      klog('E', 'pod_workers.go:1301', 'Error syncing pod, skipping', {
        err: `failed to "CreatePodSandbox" for "${track.ref}": ${errorText(error)}`,
        pod: track.ref,
        podUID: pod.uid,
      });
      return null;
    }
  }

  private async syncContainer(
    pod: SourcePod,
    track: PodTrack,
    observed: ObservedPod | undefined,
    sandbox: ObservedSandbox,
    container: ContainerSpec,
    containers: ObservedContainer[],
  ): Promise<void> {
    const mine = containers.filter((c) => c.name === container.name);
    const latest = newest(mine);
    const state = this.containerTrack(track, container.name, latest);
    if (latest?.running) {
      state.failedAt = null;
      return;
    }
    if (latest && latest.id !== state.failedContainerId) {
      state.failedContainerId = latest.id;
      // kubelet's back-off counts from the container's FinishedAt, not from when it noticed.
      const finishedAt = await this.runtime.finishedAt(latest.id).catch(() => null);
      state.failedAt = Math.min(finishedAt ?? Date.now(), Date.now());
      klog('I', 'kubelet.go:2457', 'SyncLoop (PLEG): event for pod', {
        pod: track.ref,
        event: `&{ID:${pod.uid} Type:ContainerDied Data:${latest.id}}`,
      });
    }
    const key = `${pod.uid}/${container.name}`;
    if (state.failedAt !== null) {
      const remainingMs = this.backoff.remainingMs(key, state.failedAt, Date.now());
      if (remainingMs > 0) {
        this.noteDue(Date.now() + remainingMs);
        this.logBackoff(state, track, container.name, key);
        return;
      }
      this.backoff.next(key, state.failedAt);
    }
    await this.startContainer(pod, track, observed, sandbox, container, state, mine);
  }

  private containerTrack(
    track: PodTrack,
    name: string,
    latest: ObservedContainer | undefined,
  ): ContainerTrack {
    const state = track.containers.get(name) ?? {
      lastAttempt: -1,
      failedAt: null,
      failedContainerId: null,
      backoffLoggedFor: null,
    };
    state.lastAttempt = Math.max(state.lastAttempt, latest?.attempt ?? -1);
    track.containers.set(name, state);
    return state;
  }

  private logBackoff(state: ContainerTrack, track: PodTrack, name: string, key: string): void {
    if (state.backoffLoggedFor === state.failedAt) return;
    state.backoffLoggedFor = state.failedAt;
    const [namespace, mirrorName] = track.ref.split('/');
    const delay = formatDelay(this.backoff.delayMs(key));
    klog('I', 'kuberuntime_manager.go:1483', 'Back-off restarting failed container', {
      err: `back-off ${delay} restarting failed container=${name} pod=${mirrorName}_${namespace}(${track.uid})`,
      pod: track.ref,
      podUID: track.uid,
      containerName: name,
    });
  }

  private async startContainer(
    pod: SourcePod,
    track: PodTrack,
    observed: ObservedPod | undefined,
    sandbox: ObservedSandbox,
    container: ContainerSpec,
    state: ContainerTrack,
    previous: ObservedContainer[],
  ): Promise<void> {
    const attempt = state.lastAttempt + 1;
    state.lastAttempt = attempt;
    try {
      const id = await this.runtime.startContainer(pod.spec, sandbox, container, attempt);
      state.failedAt = null;
      state.failedContainerId = null;
      klog('I', 'kuberuntime_container.go:280', attempt === 0 ? 'Started container' : 'Restarted container', {
        pod: track.ref,
        containerName: container.name,
        attempt,
        containerID: id,
      });
    } catch (error) {
      state.failedAt = Date.now();
      klog('E', 'pod_workers.go:1301', 'Error syncing pod, skipping', {
        err: `failed to "StartContainer" for "${container.name}" with RunContainerError: ${JSON.stringify(errorText(error))}`,
        pod: track.ref,
        podUID: pod.uid,
      });
    }
    // Also after a failed start: a container that never starts must not pile up dead containers.
    if (observed) await this.collectDeadContainers(observed, previous, attempt);
  }

  /** kubelet's container GC keeps the newest dead container of each name (for `logs --previous`). */
  private async collectDeadContainers(pod: ObservedPod, previous: ObservedContainer[], started: number) {
    for (const dead of previous.filter((c) => !c.running && c.attempt < started - 1)) {
      await this.runtime.removeContainer(pod, dead).catch((error: unknown) => {
        klog('E', 'container_gc.go:146', 'Failed to remove container', {
          err: errorText(error),
          containerID: dead.id,
        });
      });
    }
  }
}
