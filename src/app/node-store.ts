// The composition root of the TUI's data: opens every source, keeps their latest word in one snapshot,
// and tells the screen when something changed (throttled, so a flood of events is one repaint). Each
// source fails alone: its error sits in its own slot and everything else keeps updating.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliArgs } from '../cli/args.js';
import { streamLogs } from '../cli/logs.js';
import { resolvePodTarget } from '../cli/pod-target.js';
import { connect, type RuntimeSnapshot } from '../cli/runtime-view.js';
import { LogBuffer, levelOf, levelOfPriority } from '../model/log-buffer.js';
import type { HealthView } from '../model/pod-rows.js';
import type { NodeLayout } from '../node/discover.js';
import { rootPath } from '../node/discover.js';
import { auditPath } from '../ops/audit.js';
import type { Intent } from '../ops/intent.js';
import { pendingIntent } from '../ops/staticpods.js';
import { type CertificateInfo, readCertificates } from '../sources/certs.js';
import { type DiskSample, watchDisk } from '../sources/disk.js';
import { type EtcdSample, metricsUrlFromFlag, watchEtcdMetrics } from '../sources/etcd-metrics.js';
import { watchHealth } from '../sources/health.js';
import { followJournal } from '../sources/journal.js';
import type { HealthEndpoint, PodManifest } from '../sources/manifests/types.js';
import {
  type ManifestDirs,
  type ManifestWatcher,
  scanBoth,
  watchManifestDirs,
} from '../sources/manifests/watch.js';
import type { RuntimeChoice } from '../sources/runtime/detect.js';
import type { Container, Runtime, RuntimeInfo, Sandbox } from '../sources/runtime/types.js';
import { openSystemd, type SystemdSource, systemBusAddress, type UnitState } from '../sources/systemd.js';
import { type VitalsSample, watchVitals } from '../sources/vitals.js';
import { errnoMessage } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';

export interface Slot<T> {
  value: T | null;
  /** Why the source could not be read, in plain words; null when it was. */
  error: string | null;
  at: number | null;
}

export interface UnitSlot extends Slot<UnitState> {
  name: string;
}

export interface NodeSnapshot {
  layout: NodeLayout;
  dirs: ManifestDirs;
  intent: Intent | null;
  runtime: Slot<{ info: RuntimeInfo; snapshot: RuntimeSnapshot }> & {
    kind: 'docker' | 'cri' | null;
    endpoint: string | null;
  };
  kubeletUnit: UnitSlot;
  runtimeUnit: UnitSlot | null;
  dbusAddress: string;
  health: Map<string, HealthView>;
  disk: Slot<DiskSample>;
  etcd: Slot<EtcdSample>;
  vitals: Slot<VitalsSample>;
  certs: Slot<CertificateInfo[]>;
  etcdDataDir: string;
  /** Bumped on every change. */
  version: number;
}

export interface StoreOptions {
  args: CliArgs;
  layout: NodeLayout;
  etcdDataDir: string;
  journalDir: string | null;
  dbusAddress: string | null;
  kubeletUnit: string;
  /** The fastest the screen is told about changes. */
  notifyMs?: number;
}

const RUNTIME_RETRY_MS = 5_000;
const RUNTIME_SAFETY_RELIST_MS = 30_000;
const CERTS_REFRESH_MS = 10 * 60_000;
/** After a source gave up (the bus went away, journalctl exited): try again this much later. */
const RESUBSCRIBE_MS = 5_000;
const BACKGROUND_NOTIFY_MS = 5_000;
const DISK_SAMPLE_MS = 5_000;

/** Log lines repaint at most this often: a flood is unreadable faster anyway, and keys stay quick. */
const LOG_NOTIFY_MS = 250;

export type Urgency = 'now' | 'log' | 'background';
const API_SERVER = 'kube-apiserver';
const KUBEADM_APISERVER_LIVEZ: HealthEndpoint = {
  probe: 'liveness',
  scheme: 'HTTPS',
  host: '127.0.0.1',
  port: 6443,
  path: '/livez',
};

/** The systemd unit that runs each runtime on a kubeadm node. */
export function runtimeUnitFor(endpoint: string | null, kind: 'docker' | 'cri' | null): string | null {
  if (!endpoint) return kind === 'docker' ? 'docker.service' : null;
  if (endpoint.includes('cri-dockerd')) return 'cri-docker.service';
  if (endpoint.includes('crio')) return 'crio.service';
  if (endpoint.includes('containerd')) return 'containerd.service';
  if (endpoint.includes('docker')) return 'docker.service';
  return null;
}

export class NodeStore {
  snapshot: NodeSnapshot;
  readonly journal = new LogBuffer(5_000);
  readonly containerLog = new LogBuffer(5_000);
  containerLogFor: string | null = null;
  containerLogNote: string | null = null;
  private readonly listeners = new Set<() => void>();
  private notifyTimer: NodeJS.Timeout | null = null;
  private notifyDue = 0;
  private runtimeSignature = '';
  private lastNotify = 0;
  private readonly closers: (() => void | Promise<void>)[] = [];
  private runtime: Runtime | null = null;
  private runtimeChoice: RuntimeChoice | null = null;
  private runtimeTimer: NodeJS.Timeout | null = null;
  private runtimeListing = false;
  private runtimeAgain = false;
  private systemd: SystemdSource | null = null;
  private unitWatch: { close(): void } | null = null;
  private healthWatch: { close(): void; probeNow(): void } | null = null;
  private healthSignature = '';
  private etcdWatch: { close(): void } | null = null;
  private etcdUrl: string | null = null;
  private logAbort: AbortController | null = null;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly notifyMs: number;

  constructor(private readonly options: StoreOptions) {
    this.notifyMs = options.notifyMs ?? 100;
    const { layout } = options;
    const dirs = scanBoth(watchOptions(layout));
    const runtimeEndpoint = layout.runtimeEndpoint.value;
    const dbusAddress = options.dbusAddress ?? systemBusAddress();
    this.snapshot = {
      layout,
      dirs,
      intent: pendingIntent(layout.stateDir.value),
      runtime: { value: null, error: null, at: null, kind: null, endpoint: runtimeEndpoint },
      kubeletUnit: { name: options.kubeletUnit, value: null, error: null, at: null },
      runtimeUnit: null,
      dbusAddress,
      health: new Map(),
      disk: emptySlot(),
      etcd: emptySlot(),
      vitals: emptySlot(),
      certs: emptySlot(),
      etcdDataDir: options.etcdDataDir,
      version: 0,
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.startManifests();
    this.startRuntime();
    this.startSystemd();
    this.startJournal();
    this.startDisk();
    this.startVitals();
    this.startCerts();
    this.syncHealthAndEtcd();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    if (this.runtimeTimer) clearTimeout(this.runtimeTimer);
    this.logAbort?.abort();
    this.unitWatch?.close();
    this.healthWatch?.close();
    this.etcdWatch?.close();
    await Promise.allSettled(this.closers.map(async (close) => close()));
    this.runtime?.close();
    await this.systemd?.close().catch(() => {});
  }

  get systemdSource(): SystemdSource | null {
    return this.systemd;
  }

  get runtimeClient(): Runtime | null {
    return this.runtime;
  }

  /** Probe every pod now (after an action) instead of at the next interval. */
  probeNow(): void {
    this.healthWatch?.probeNow();
  }

  /** Re-read everything that is not pushed to us. */
  refresh(): void {
    this.rescanManifests();
    this.listRuntimeSoon(0);
    this.probeNow();
    void this.readCerts();
  }

  rescanManifests(): void {
    this.update((s) => ({
      ...s,
      dirs: scanBoth(watchOptions(this.options.layout)),
      intent: pendingIntent(s.layout.stateDir.value),
    }));
    this.syncHealthAndEtcd();
  }

  // -- the static pod directories --------------------------------------------------------------------

  private startManifests(): void {
    let watcher: ManifestWatcher | null = null;
    try {
      watcher = watchManifestDirs(watchOptions(this.options.layout), (dirs) => {
        this.update((s) => ({ ...s, dirs, intent: pendingIntent(s.layout.stateDir.value) }));
        this.syncHealthAndEtcd();
        // A manifest change is what kubelet acts on next: look at the runtime soon.
        this.listRuntimeSoon(250);
      });
    } catch (err) {
      this.update((s) => ({
        ...s,
        dirs: { ...s.dirs, manifests: { ...s.dirs.manifests, error: errnoMessage(err) } },
      }));
    }
    if (watcher) this.closers.push(() => watcher.close());
  }

  // -- the runtime -----------------------------------------------------------------------------------

  private startRuntime(): void {
    const connected = connect(this.options.layout);
    if ('error' in connected) {
      this.update((s) => ({ ...s, runtime: { ...s.runtime, error: connected.error, at: Date.now() } }));
      return;
    }
    this.runtime = connected.runtime;
    this.runtimeChoice = connected.choice;
    const kind = connected.choice.kind;
    const unit = runtimeUnitFor(this.options.layout.runtimeEndpoint.value, kind);
    this.update((s) => ({
      ...s,
      runtime: { ...s.runtime, kind, endpoint: connected.choice.endpoint },
      runtimeUnit: unit ? { name: unit, value: null, error: null, at: null } : null,
    }));
    const subscription = connected.runtime.subscribe(() => this.listRuntimeSoon(100));
    this.closers.push(() => subscription.close());
    this.listRuntimeSoon(0);
  }

  private listRuntimeSoon(delayMs: number): void {
    if (this.closed || !this.runtime) return;
    if (this.runtimeListing) {
      this.runtimeAgain = true;
      return;
    }
    if (this.runtimeTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.runtimeTimer);
    }
    this.runtimeTimer = setTimeout(() => void this.listRuntime(), delayMs);
  }

  private async listRuntime(): Promise<void> {
    this.runtimeTimer = null;
    const runtime = this.runtime;
    if (!runtime || this.closed) return;
    this.runtimeListing = true;
    let next = RUNTIME_SAFETY_RELIST_MS;
    try {
      const info = await runtime.info();
      const [sandboxes, containers] = await Promise.all([runtime.listSandboxes(), runtime.listContainers()]);
      const snapshot: RuntimeSnapshot = {
        choice: this.runtimeChoice,
        info,
        sandboxes,
        containers,
        error: null,
      };
      // The runtime is polled (containerd 1.6) and re-listed for safety: only a change is news.
      const signature = runtimeSignature(info, sandboxes, containers);
      if (signature !== this.runtimeSignature || this.snapshot.runtime.error !== null) {
        this.runtimeSignature = signature;
        this.update((s) => ({
          ...s,
          runtime: { ...s.runtime, value: { info, snapshot }, error: null, at: Date.now() },
        }));
      }
    } catch (err) {
      next = RUNTIME_RETRY_MS;
      this.update((s) => ({ ...s, runtime: { ...s.runtime, error: errnoMessage(err), at: Date.now() } }));
    } finally {
      this.runtimeListing = false;
    }
    if (this.runtimeAgain) {
      this.runtimeAgain = false;
      next = 100;
    }
    if (!this.closed && !this.runtimeTimer)
      this.runtimeTimer = setTimeout(() => void this.listRuntime(), next);
    this.runtimeTimer?.unref();
  }

  // -- systemd ---------------------------------------------------------------------------------------

  private startSystemd(): void {
    try {
      this.systemd = openSystemd({ address: this.snapshot.dbusAddress, timeoutMs: 5_000 });
    } catch (err) {
      this.setUnitError(errnoMessage(err));
      return;
    }
    this.watchUnits();
  }

  /** Watches the units; when the bus goes away (dbus restarted, systemd re-executed), watches again. */
  private watchUnits(): void {
    if (this.closed || !this.systemd) return;
    const names = [
      this.options.kubeletUnit,
      ...(this.snapshot.runtimeUnit ? [this.snapshot.runtimeUnit.name] : []),
    ];
    this.unitWatch = this.systemd.watchUnits(
      names,
      (state) =>
        this.update((s) => {
          const slot = { value: state, error: null, at: Date.now() };
          if (state.name === s.kubeletUnit.name) return { ...s, kubeletUnit: { ...s.kubeletUnit, ...slot } };
          if (s.runtimeUnit && state.name === s.runtimeUnit.name) {
            return { ...s, runtimeUnit: { ...s.runtimeUnit, ...slot } };
          }
          return s;
        }),
      (err) => {
        this.setUnitError(err.message);
        this.unitWatch = null;
        this.later(() => this.watchUnits(), RESUBSCRIBE_MS);
      },
    );
  }

  /** A timer that dies with the store. */
  private later(work: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) work();
    }, ms);
    this.timers.add(timer);
  }

  private setUnitError(error: string): void {
    this.update((s) => ({
      ...s,
      kubeletUnit: { ...s.kubeletUnit, error, at: Date.now() },
      runtimeUnit: s.runtimeUnit ? { ...s.runtimeUnit, error, at: Date.now() } : null,
    }));
  }

  // -- logs ------------------------------------------------------------------------------------------

  private startJournal(): void {
    const unit = this.options.kubeletUnit.replace(/\.service$/, '');
    let follower: { close(): void } | null = null;
    const follow = (lines: number) => {
      follower = followJournal(
        { unit, directory: this.options.journalDir, lines },
        (entries) => {
          for (const e of entries) {
            this.journal.push({
              time: e.time,
              text: e.text,
              level: levelOfPriority(e.priority, e.text),
              origin: e.pid === null ? e.identifier : `${e.identifier ?? unit}[${e.pid}]`,
            });
          }
          this.touch('log');
        },
        (err) => {
          this.journal.push({
            time: new Date(),
            text: `-- journal: ${err.message} (trying again in ${RESUBSCRIBE_MS / 1000} s)`,
            level: 'error',
            origin: 'breakglass',
          });
          this.touch();
          follower?.close();
          // Lines that came meanwhile are not read twice: the journal pane shows what follows.
          this.later(() => follow(0), RESUBSCRIBE_MS);
        },
      );
    };
    follow(300);
    this.closers.push(() => follower?.close());
  }

  /** Follow one static pod's container log in the log pane and viewer; null stops following. */
  followPodLog(podKey: string | null, target: { name: string } | null): void {
    // Same pod: keep the stream (it follows the container across restarts by itself); start it only if
    // the pod was not known yet when it was first asked for.
    if (this.containerLogFor === podKey && (this.logAbort !== null || target === null)) return;
    this.logAbort?.abort();
    this.logAbort = null;
    this.containerLog.clear();
    this.containerLogFor = podKey;
    this.containerLogNote = null;
    this.touch();
    if (!podKey || !target) return;
    const abort = new AbortController();
    this.logAbort = abort;
    void this.streamPodLog(target.name, abort.signal);
  }

  private async streamPodLog(name: string, signal: AbortSignal): Promise<void> {
    const runtimeValue = this.snapshot.runtime.value;
    const snapshot: RuntimeSnapshot = runtimeValue?.snapshot ?? {
      choice: null,
      info: null,
      sandboxes: [],
      containers: [],
      error: this.snapshot.runtime.error ?? 'the runtime has not answered yet',
    };
    const view = {
      layout: this.options.layout,
      etcdDataDir: { value: this.options.etcdDataDir, source: '' },
      manifests: this.snapshot.dirs.manifests,
      holding: this.snapshot.dirs.holding.error ? null : this.snapshot.dirs.holding,
    };
    const sink = {
      line: (line: { time: Date | null; stream: string; text: string }) => {
        this.containerLog.push({
          time: line.time,
          text: line.text,
          level: levelOf(line.text),
          origin: line.stream,
        });
        this.touch('log');
      },
      note: (text: string) => {
        this.containerLogNote = sanitizeLine(text);
        this.containerLog.push({
          time: new Date(),
          text: `-- ${sanitizeLine(text)}`,
          level: 'info',
          origin: 'breakglass',
        });
        this.touch();
      },
    };
    try {
      const target = resolvePodTarget(view, snapshot, name);
      const args: CliArgs = {
        ...this.options.args,
        command: 'logs',
        follow: true,
        tail: 1_000,
        container: undefined,
      };
      await streamLogs(args, view, snapshot, this.runtime, target, sink, signal);
    } catch (err) {
      if (signal.aborted) return;
      this.containerLogNote = errnoMessage(err);
      this.containerLog.push({
        time: new Date(),
        text: `-- ${errnoMessage(err)}`,
        level: 'error',
        origin: 'breakglass',
      });
      this.touch();
    }
  }

  // -- health, etcd, disk, vitals, certificates ------------------------------------------------------

  /** The probes and the etcd metrics URL follow the manifests: re-arm them when those change. */
  private syncHealthAndEtcd(): void {
    if (this.closed) return;
    const pods = this.enabledPods();
    const targets = pods.flatMap((p) => (p.health ? [{ key: p.name, endpoint: p.health }] : []));
    // Whether the API server answers matters most when its pod is not running: probe it anyway, at the
    // address its (disabled) manifest names, else kubeadm's.
    if (!targets.some((t) => t.key === API_SERVER)) {
      const held = this.snapshot.dirs.holding.files.flatMap((f) => f.pods).find((p) => p.name === API_SERVER);
      targets.push({ key: API_SERVER, endpoint: held?.health ?? KUBEADM_APISERVER_LIVEZ });
    }
    const signature = JSON.stringify(targets);
    if (signature !== this.healthSignature) {
      this.healthSignature = signature;
      this.healthWatch?.close();
      const live = new Set(targets.map((t) => t.key));
      this.update((s) => ({ ...s, health: new Map([...s.health].filter(([k]) => live.has(k))) }));
      this.healthWatch = watchHealth(
        targets,
        10_000,
        (key, result) => {
          const before = this.snapshot.health.get(key);
          const turned =
            !before ||
            before.ok !== result.ok ||
            before.statusCode !== result.statusCode ||
            before.error !== result.error;
          this.update(
            (s) => {
              const health = new Map(s.health);
              health.set(key, result);
              return { ...s, health };
            },
            turned ? 'now' : 'background',
          );
        },
        () => {},
      );
    }
    const etcd = pods.find((p) => p.name === 'etcd');
    const found = etcd ? etcdMetricsUrl(etcd) : { error: 'no etcd manifest in the static pod directory' };
    const key = 'url' in found ? found.url : `error:${found.error}`;
    if (key !== this.etcdUrl) {
      this.etcdUrl = key;
      this.etcdWatch?.close();
      this.etcdWatch = null;
      if (!('url' in found)) {
        this.update((s) => ({ ...s, etcd: { value: null, error: found.error, at: Date.now() } }));
        return;
      }
      const url = found.url;
      this.etcdWatch = watchEtcdMetrics(
        url,
        5_000,
        (sample) =>
          this.update((s) => ({ ...s, etcd: { value: sample, error: null, at: Date.now() } }), 'background'),
        (err) => this.update((s) => ({ ...s, etcd: { ...s.etcd, error: err.message, at: Date.now() } })),
      );
    }
  }

  private enabledPods(): PodManifest[] {
    return this.snapshot.dirs.manifests.files.filter((f) => f.loadedByKubelet).flatMap((f) => f.pods);
  }

  private startDisk(): void {
    const watcher = watchDisk(
      this.options.etcdDataDir,
      DISK_SAMPLE_MS,
      (sample) =>
        this.update((s) => ({ ...s, disk: { value: sample, error: null, at: Date.now() } }), 'background'),
      (err) => this.update((s) => ({ ...s, disk: { ...s.disk, error: err.message, at: Date.now() } })),
    );
    this.closers.push(() => watcher.close());
  }

  private startVitals(): void {
    const root = this.options.layout.root;
    const paths = ['/', '/var/lib/etcd', '/var/lib/kubelet', '/var/log'].map((p) => ({
      label: p,
      path: p === '/var/lib/etcd' ? this.options.etcdDataDir : rootPath(root, p),
    }));
    const watcher = watchVitals(
      { paths },
      5_000,
      (sample) =>
        this.update((s) => ({ ...s, vitals: { value: sample, error: null, at: Date.now() } }), 'background'),
      (err) => this.update((s) => ({ ...s, vitals: { ...s.vitals, error: err.message, at: Date.now() } })),
    );
    this.closers.push(() => watcher.close());
  }

  private startCerts(): void {
    void this.readCerts();
    const timer = setInterval(() => void this.readCerts(), CERTS_REFRESH_MS);
    timer.unref();
    this.closers.push(() => clearInterval(timer));
  }

  private async readCerts(): Promise<void> {
    const pkiDir = this.options.layout.pki.value;
    try {
      const list = await readCertificates({
        pkiDir,
        kubeconfigDir: path.dirname(pkiDir),
        root: this.options.layout.root,
      });
      this.update((s) => ({ ...s, certs: { value: list, error: null, at: Date.now() } }), 'background');
    } catch (err) {
      this.update((s) => ({ ...s, certs: { ...s.certs, error: errnoMessage(err), at: Date.now() } }));
    }
  }

  /** The newest audit records, newest last; read when the audit view opens. */
  async readAudit(limit = 500): Promise<{ lines: string[]; error: string | null }> {
    const file = auditPath(this.options.layout.stateDir.value);
    try {
      const handle = await fs.promises.open(file, 'r');
      try {
        const { size } = await handle.stat();
        const length = Math.min(size, 1024 * 1024);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        const lines = buffer.toString('utf8').split('\n').filter(Boolean);
        if (size > length) lines.shift();
        return { lines: lines.slice(-limit), error: null };
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], error: null };
      return { lines: [], error: `${file}: ${errnoMessage(err)}` };
    }
  }

  // -- change notification ---------------------------------------------------------------------------

  /**
   * 'now': something the operator acts on (a pod, a unit, a log line, a probe turning): on screen within
   * notifyMs. 'background': a new sample of a slow gauge (disk, vitals, etcd, a probe's latency): on
   * screen with the next repaint, at the latest after BACKGROUND_NOTIFY_MS. An idle node then costs a
   * repaint every few seconds, not one per sample.
   */
  private update(change: (s: NodeSnapshot) => NodeSnapshot, urgency: Urgency = 'now'): void {
    if (this.closed) return;
    this.snapshot = { ...change(this.snapshot), version: this.snapshot.version + 1 };
    this.touch(urgency);
  }

  /** Something changed: tell the screen, at most once per notifyMs (background changes: later). */
  touch(urgency: Urgency = 'now'): void {
    if (this.closed) return;
    const now = Date.now();
    const due = notifyDue(urgency, now, this.lastNotify, this.notifyMs);
    if (this.notifyTimer && this.notifyDue <= due) return;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyDue = due;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      this.lastNotify = Date.now();
      for (const listener of this.listeners) listener();
    }, due - now);
  }
}

/** When the screen must hear of a change of this urgency (pure: the store's throttle, tested alone). */
export function notifyDue(urgency: Urgency, now: number, lastNotify: number, notifyMs: number): number {
  switch (urgency) {
    case 'now':
      return Math.max(now, lastNotify + notifyMs);
    case 'log':
      return Math.max(now, lastNotify + LOG_NOTIFY_MS);
    case 'background':
      return now + BACKGROUND_NOTIFY_MS;
  }
}

/** What the runtime said, as a string that changes exactly when something on screen would. */
function runtimeSignature(info: RuntimeInfo, sandboxes: Sandbox[], containers: Container[]): string {
  return JSON.stringify([
    info.name,
    info.version,
    sandboxes.map((x) => [x.id, x.state]),
    containers.map((c) => [c.id, c.state, c.attempt, c.restartCount, c.exitCode, c.reason]),
  ]);
}

function emptySlot<T>(): Slot<T> {
  return { value: null, error: null, at: null };
}

function watchOptions(layout: NodeLayout) {
  return {
    manifests: layout.manifests.value,
    holding: layout.holding.value,
    nodeName: layout.nodeName.value,
  };
}

/** etcd's --listen-metrics-urls (kubeadm: http://127.0.0.1:2381): the URL, or why there is none. */
export function etcdMetricsUrl(pod: PodManifest): { url: string } | { error: string } {
  const flags = pod.containers.find((c) => c.name === 'etcd')?.flags ?? pod.containers[0]?.flags ?? {};
  try {
    return { url: metricsUrlFromFlag(flags['listen-metrics-urls'] ?? '') };
  } catch (err) {
    return { error: errnoMessage(err) };
  }
}
