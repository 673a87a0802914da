// The sync loop: kubelet's PLEG relist, its file and API sources and its housekeeping (the deletion of pods
// that have no manifest) in one loop, handing the pods to the pod workers.
import { mirrorPodName } from '../pods.js';
import type { SourcesReadiness } from './api-source.js';
import { ManifestSource } from './file-source.js';
import { errorText, klog } from './log.js';
import type { SourcePod } from './manifest-file.js';
import type { NodeConfig } from './node-config.js';
import type { StandInOptions } from './options.js';
import { PodWorkers, podRef } from './pod-workers.js';
import { type ObservedPod, type PodRuntime, STOP_GRACE_SECONDS } from './runtime.js';

/** kubelet's generic PLEG relists the runtime every second. */
const PLEG_PERIOD_MS = 1_000;
/** The loop never spins: at least this long between two syncs. */
const MIN_WAIT_MS = 20;
const MAX_API_PROBE_PERIOD_MS = 10_000;

/** The loop's sleep: ends after a period, or at once when an inotify event or a probe result comes. */
class Wakeup {
  private finish: (() => void) | null = null;
  private pending = false;

  wake(): void {
    if (this.finish) this.finish();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish?.(), ms);
      this.finish = () => {
        clearTimeout(timer);
        this.finish = null;
        resolve();
      };
    });
  }
}

export class StandInKubelet {
  private readonly workers: PodWorkers;
  private readonly wakeup = new Wakeup();
  private readonly source: ManifestSource;
  private desiredUids = new Set<string>();
  private readonly skipLogged = new Set<string>();
  private runtimeError = '';
  private nextRelistAt = 0;
  private nextProbeAt = 0;
  private nextDueAt = Number.POSITIVE_INFINITY;

  constructor(
    node: NodeConfig,
    private readonly options: StandInOptions,
    private readonly runtime: PodRuntime,
    private readonly readiness: SourcesReadiness,
  ) {
    this.workers = new PodWorkers(node.root, runtime, options.backoffBaseMs, (at) => this.noteDue(at));
    this.source = new ManifestSource(node, () => this.wakeup.wake());
  }

  async run(): Promise<never> {
    // Before the first sync, so that an API server that answers at once never delays a delete.
    await this.readiness.probe(() => {});
    for (;;) {
      this.nextDueAt = Number.POSITIVE_INFINITY;
      await this.syncOnce().catch((error: unknown) => {
        klog('E', 'kubelet.go:2340', 'Sync loop iteration failed; retrying', { err: errorText(error) });
      });
      const untilDue = this.nextDueAt - Date.now();
      await this.wakeup.wait(Math.max(MIN_WAIT_MS, Math.min(PLEG_PERIOD_MS, untilDue)));
    }
  }

  /** A back-off that ends before the next PLEG tick wakes the loop exactly then. */
  private noteDue(at: number): void {
    this.nextDueAt = Math.min(this.nextDueAt, at);
  }

  private async syncOnce(): Promise<void> {
    const now = Date.now();
    this.probeApiServer(now);
    this.source.applyWatchEvents();
    if (now >= this.nextRelistAt) {
      this.source.relist();
      this.nextRelistAt = now + this.options.fileCheckFrequencyMs;
    }
    const desired = this.source.pods();
    this.logConfigChanges(desired);
    const observed = await this.observeRuntime();
    if (!observed) return;
    const unwanted = [...observed.values()].filter((pod) => !this.desiredUids.has(pod.uid));
    this.dropStaleTracks(observed);
    await Promise.all([
      ...desired.map((pod) => this.workers.sync(pod, observed)),
      ...unwanted.map((pod) => this.handleUnwanted(pod)),
    ]);
  }

  private probeApiServer(now: number): void {
    if (this.readiness.ready || now < this.nextProbeAt) return;
    this.nextProbeAt = now + Math.min(this.options.fileCheckFrequencyMs, MAX_API_PROBE_PERIOD_MS);
    void this.readiness.probe(() => this.wakeup.wake());
  }

  private async observeRuntime(): Promise<Map<string, ObservedPod> | null> {
    try {
      const observed = await this.runtime.observe();
      if (this.runtimeError) klog('I', 'kubelet.go:2880', 'Container runtime answers again');
      this.runtimeError = '';
      return observed;
    } catch (error) {
      const reason = errorText(error);
      if (reason !== this.runtimeError) {
        klog('E', 'generic.go:241', 'GenericPLEG: Unable to retrieve pods', { err: reason });
      }
      this.runtimeError = reason;
      return null;
    }
  }

  /** kubelet's "SyncLoop ADD" / "SyncLoop REMOVE" lines for what the file source changed. */
  private logConfigChanges(desired: SourcePod[]): void {
    const uids = new Set(desired.map((pod) => pod.uid));
    const added = desired.filter((pod) => !this.desiredUids.has(pod.uid));
    const removed = [...this.desiredUids].filter((uid) => !uids.has(uid));
    if (added.length > 0) {
      const pods = added.map((pod) => podRef(pod.spec.namespace, mirrorPodName(pod.spec)));
      klog('I', 'kubelet.go:2393', 'SyncLoop ADD', { source: 'file', pods });
    }
    if (removed.length > 0) {
      const pods = removed.map((uid) => this.workers.refOf(uid) ?? uid);
      klog('I', 'kubelet.go:2409', 'SyncLoop REMOVE', { source: 'file', pods });
    }
    this.desiredUids = uids;
  }

  /** A pod in the runtime with no manifest: deleted only once all sources are ready. */
  private async handleUnwanted(pod: ObservedPod): Promise<void> {
    const ref = podRef(pod.namespace, pod.name);
    if (!this.readiness.ready) {
      if (!this.skipLogged.has(pod.uid)) {
        this.skipLogged.add(pod.uid);
        klog('I', 'kubelet.go:2037', "Skipping delete because sources aren't ready yet", {
          pod: ref,
          podUID: pod.uid,
        });
      }
      return;
    }
    klog('I', 'kubelet_pods.go:1240', 'Killing unwanted pod', { podName: pod.name, podUID: pod.uid });
    try {
      await this.stopRunningContainers(pod, ref);
      await this.runtime.removePod(pod);
      this.forgetPod(pod.uid);
      klog('I', 'kubelet_pods.go:1260', 'Pod removed', { pod: ref, podUID: pod.uid });
    } catch (error) {
      klog('E', 'kubelet_pods.go:1252', 'Failed killing the pod', {
        err: errorText(error),
        podName: pod.name,
      });
    }
  }

  private async stopRunningContainers(pod: ObservedPod, ref: string): Promise<void> {
    const running = pod.containers.filter((c) => c.running);
    await Promise.all(
      running.map((container) => {
        klog('I', 'kuberuntime_container.go:770', 'Killing container with a grace period', {
          pod: ref,
          podUID: pod.uid,
          containerName: container.name,
          containerID: container.id,
          gracePeriod: STOP_GRACE_SECONDS,
        });
        // A container that exits meanwhile cannot be stopped; removing the pod takes it anyway.
        return this.runtime.stopContainer(container.id).catch(() => {});
      }),
    );
  }

  /** Pods that went from the config before they ever ran. */
  private dropStaleTracks(observed: Map<string, ObservedPod>): void {
    for (const uid of this.workers.trackedUids()) {
      if (!this.desiredUids.has(uid) && !observed.has(uid)) this.forgetPod(uid);
    }
  }

  private forgetPod(uid: string): void {
    this.skipLogged.delete(uid);
    this.workers.forget(uid);
  }
}
