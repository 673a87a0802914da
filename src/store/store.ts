// The node's facts kept up to date: one snapshot with a slot per source, the feeds that fill them (each
// in src/store/feeds/, each failing alone), and the throttle that tells the screen about changes (a flood
// of events is one repaint). The TUI runs every feed; a procedure run from the CLI runs the few it gates
// on (manifests, runtime, health, systemd).

import { emptySlot } from '../model/facts.js';
import { LogBuffer } from '../model/log-buffer.js';
import type { Located, NodeLayout } from '../node/discover.js';
import { chooseRuntime } from '../sources/runtime/detect.js';
import type { Feed, FeedHost } from './feed.js';
import { type CertsFeed, startCertsFeed } from './feeds/certs.js';
import { type EtcdFeed, startEtcdFeed } from './feeds/etcd.js';
import { type EvidenceFeed, startEvidenceFeed } from './feeds/evidence.js';
import { type HealthFeed, startHealthFeed } from './feeds/health.js';
import { startJournalFeed } from './feeds/journal.js';
import { type ManifestsFeed, startManifestsFeed } from './feeds/manifests.js';
import { LOG_CAPACITY, type PodLogFeed, readLogTail, startPodLogFeed } from './feeds/pod-log.js';
import { type RuntimeFeed, startRuntimeFeed } from './feeds/runtime.js';
import { startDiskFeed, startVitalsFeed } from './feeds/samplers.js';
import { type ManifestRequest, type ShownFeed, startShownFeed } from './feeds/shown.js';
import { startSystemdFeed } from './feeds/systemd.js';
import { notifyDue, type Urgency } from './notify.js';
import { unreadFacts } from './once.js';
import type { NodeSnapshot } from './snapshot.js';

export type FeedName =
  | 'manifests'
  | 'runtime'
  | 'systemd'
  | 'journal'
  | 'health'
  | 'etcd'
  | 'disk'
  | 'vitals'
  | 'certs'
  | 'evidence';

export const ALL_FEEDS: readonly FeedName[] = [
  'runtime',
  'systemd',
  'journal',
  'health',
  'etcd',
  'disk',
  'vitals',
  'certs',
  'evidence',
];

export interface StoreOptions {
  layout: NodeLayout;
  etcdDataDir: Located<string>;
  /** kubelet's journal from a directory (journalctl --directory, the lab's); null: the system journal. */
  journalDir: string | null;
  /** systemd's D-Bus; null: $DBUS_SYSTEM_BUS_ADDRESS, else the system bus. */
  dbusAddress: string | null;
  kubeletUnit: string;
  /** The fastest the screen is told about changes. */
  notifyMs?: number;
}

/** What the screen wants read for it: the followed pod's log, the manifest shown, the audit view. */
export interface Focus {
  podLog: string | null;
  manifest: ManifestRequest | null;
  audit: boolean;
}

export class NodeStore implements FeedHost {
  snapshot: NodeSnapshot;
  closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly feeds: Feed[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly notifyMs: number;
  private notifyTimer: NodeJS.Timeout | null = null;
  private notifyAt = 0;
  private lastNotify = 0;
  private manifests: ManifestsFeed | null = null;
  private runtime: RuntimeFeed | null = null;
  private health: HealthFeed | null = null;
  private etcd: EtcdFeed | null = null;
  private certs: CertsFeed | null = null;
  private evidence: EvidenceFeed | null = null;
  private podLog: PodLogFeed | null = null;
  private shown: ShownFeed | null = null;
  private auditShown = false;
  private deferred: FeedName[] = [];

  constructor(private readonly options: StoreOptions) {
    this.notifyMs = options.notifyMs ?? 100;
    this.snapshot = initialSnapshot(options);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes with every fact and every log line: what a screen compares to know it must repaint. */
  get version(): number {
    const s = this.snapshot;
    return s.version + s.journal.version + s.podLog.buffer.version;
  }

  /**
   * Starts the feeds; those in `later` wait for startLater() (the TUI: the gauges and the certificates
   * after its first frame, which they would only slow down).
   */
  start(feeds: readonly FeedName[] = ALL_FEEDS, options: { later?: readonly FeedName[] } = {}): void {
    const later = new Set(options.later ?? []);
    this.deferred = feeds.filter((f) => later.has(f));
    this.startFeeds(feeds.filter((f) => !later.has(f)));
  }

  /** The feeds start() kept for later, started now (once). */
  startLater(): void {
    const feeds = this.deferred;
    this.deferred = [];
    if (!this.closed && feeds.length > 0) this.startFeeds(feeds, false);
  }

  /** Resolves once the runtime has answered or failed (or after timeoutMs): what a first frame needs. */
  runtimeRead(timeoutMs: number): Promise<void> {
    const read = () => this.snapshot.runtime.value !== null || this.snapshot.runtime.error !== null;
    if (read()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const poll = setInterval(() => (read() || this.closed) && done(), 5);
    });
  }

  private startFeeds(feeds: readonly FeedName[], first = true): void {
    const want = new Set(feeds);
    const { layout } = this.options;
    // Everything else follows the manifests: they are always watched.
    if (first) this.manifests = this.keep(startManifestsFeed(this, layout, () => this.manifestsChanged()));
    if (want.has('runtime')) this.runtime = this.keep(startRuntimeFeed(this, layout));
    if (want.has('systemd')) this.keep(startSystemdFeed(this, this.snapshot.dbusAddress));
    if (want.has('journal'))
      this.keep(startJournalFeed(this, this.options.kubeletUnit, this.options.journalDir));
    if (want.has('health')) this.health = this.keep(startHealthFeed(this));
    if (want.has('etcd')) this.etcd = this.keep(startEtcdFeed(this));
    if (want.has('disk')) this.keep(startDiskFeed(this, this.options.etcdDataDir.value));
    if (want.has('vitals')) this.keep(startVitalsFeed(this, layout.root, this.options.etcdDataDir.value));
    if (want.has('certs')) this.certs = this.keep(startCertsFeed(this, layout));
    if (want.has('evidence')) this.evidence = this.keep(startEvidenceFeed(this, () => this.runtime));
    if (!first) return;
    this.podLog = this.keep(startPodLogFeed(this, () => this.runtime));
    this.shown = startShownFeed(this);
  }

  /** Re-read everything that is not pushed to us. */
  refresh(): void {
    this.rescanManifests();
    this.runtime?.poke(0);
    this.probeNow();
    this.certs?.refresh();
    if (this.auditShown) this.shown?.readAudit();
  }

  /** Read both manifest directories again now (after a change breakglass made). */
  rescanManifests(): void {
    this.manifests?.rescan();
  }

  /** List the runtime again soon (a change was made that kubelet acts on). */
  pokeRuntime(delayMs = 0): void {
    this.runtime?.poke(delayMs);
  }

  /** Probe every pod now instead of at the next interval. */
  probeNow(): void {
    this.health?.probeNow();
  }

  /** etcd's latencies measured from now (see EtcdFeed.measure). */
  measureEtcdNow(minFsyncs: number, maxMs: number, signal: AbortSignal): Promise<void> {
    return this.etcd?.measure(minFsyncs, maxMs, signal) ?? Promise.resolve();
  }

  /** The diagnosis's own reads (failing pods' logs, etcd's status) now; resolves when they are in. */
  readEvidenceNow(): Promise<void> {
    return this.evidence?.readNow() ?? Promise.resolve();
  }

  /** The last `lines` lines of a pod's newest container log, from the runtime or kubelet's files. */
  logTail(pod: { podName: string; namespace: string }, lines: number): Promise<string[]> {
    return readLogTail(this.snapshot, this.runtime, pod, lines);
  }

  /** What the screen shows now, so the store reads it: a pod's log, a manifest, the audit log. */
  focus(focus: Focus): void {
    this.podLog?.follow(focus.podLog);
    this.shown?.showManifest(focus.manifest);
    if (focus.audit && !this.auditShown) this.shown?.readAudit();
    this.auditShown = focus.audit;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    await Promise.allSettled(this.feeds.map(async (feed) => feed.close()));
  }

  // -- FeedHost --------------------------------------------------------------------------------------

  update(change: (s: NodeSnapshot) => NodeSnapshot, urgency: Urgency = 'now'): void {
    if (this.closed) return;
    this.snapshot = { ...change(this.snapshot), version: this.snapshot.version + 1 };
    this.touch(urgency);
  }

  /** Something changed: tell the screen, at most once per notifyMs (background changes: later). */
  touch(urgency: Urgency = 'now'): void {
    if (this.closed) return;
    const now = Date.now();
    const due = notifyDue(urgency, now, this.lastNotify, this.notifyMs);
    if (this.notifyTimer && this.notifyAt <= due) return;
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyAt = due;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      this.lastNotify = Date.now();
      for (const listener of this.listeners) listener();
    }, due - now);
  }

  later(work: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) work();
    }, ms);
    this.timers.add(timer);
  }

  // --------------------------------------------------------------------------------------------------

  private keep<T extends Feed>(feed: T): T {
    this.feeds.push(feed);
    return feed;
  }

  /** What follows the manifests: the probes, the etcd metrics URL, and the runtime, which kubelet acts on next. */
  private manifestsChanged(): void {
    this.health?.sync();
    this.etcd?.sync();
    this.runtime?.poke(250);
  }
}

function initialSnapshot(options: StoreOptions): NodeSnapshot {
  const { layout } = options;
  const choice = chooseRuntime(layout.root, layout.runtimeEndpoint);
  return {
    ...unreadFacts(layout, {
      etcdDataDir: options.etcdDataDir.value,
      kubeletUnit: options.kubeletUnit,
      dbusAddress: options.dbusAddress,
      runtimeKind: 'error' in choice ? null : choice.kind,
    }),
    etcdDataDir: options.etcdDataDir,
    journal: new LogBuffer(LOG_CAPACITY),
    podLog: { key: null, buffer: new LogBuffer(LOG_CAPACITY), note: null },
    manifestText: emptySlot(),
    audit: emptySlot(),
    evidence: { crashLogs: [], etcd: null },
    version: 0,
  };
}
