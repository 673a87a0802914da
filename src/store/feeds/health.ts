// The static pods' own health probes, on loopback, every 10 s; re-armed when the manifests change. The
// API server is always probed, also when its pod is disabled: whether it answers matters most then. A
// probe turning (ok to failing, another status or error) is news at once; a new latency is not.
import type { HealthView } from '../../model/facts.js';
import { API_SERVER_POD, apiServerProbe } from '../../node/apiserver.js';
import { type HealthTarget, watchHealth } from '../../sources/health.js';
import type { PodManifest } from '../../sources/manifests/types.js';
import type { Feed, FeedHost } from '../feed.js';
import type { NodeSnapshot } from '../snapshot.js';

const PROBE_INTERVAL_MS = 10_000;

export interface HealthFeed extends Feed {
  /** Targets from the manifests as they are now; a changed set restarts the probes. */
  sync(): void;
  /** Probe every pod now (after an action) instead of at the next interval. */
  probeNow(): void;
}

export function startHealthFeed(host: FeedHost): HealthFeed {
  let watcher: { close(): void; probeNow(): void } | null = null;
  let signature = '';
  const sync = () => {
    if (host.closed) return;
    const targets = healthTargets(host.snapshot);
    const next = JSON.stringify(targets);
    if (next === signature) return;
    signature = next;
    watcher?.close();
    const live = new Set(targets.map((t) => t.key));
    host.update((s) => ({ ...s, health: new Map([...s.health].filter(([k]) => live.has(k))) }));
    watcher = watchHealth(
      targets,
      PROBE_INTERVAL_MS,
      (key, result) => {
        const before = host.snapshot.health.get(key);
        host.update(
          (s) => ({ ...s, health: new Map(s.health).set(key, result) }),
          turned(before, result) ? 'now' : 'background',
        );
      },
      () => {},
    );
  };
  sync();
  return { sync, probeNow: () => watcher?.probeNow(), close: () => watcher?.close() };
}

function turned(before: HealthView | undefined, after: HealthView): boolean {
  return (
    !before ||
    before.ok !== after.ok ||
    before.statusCode !== after.statusCode ||
    before.error !== after.error
  );
}

export function enabledPods(s: Pick<NodeSnapshot, 'dirs'>): PodManifest[] {
  return s.dirs.manifests.files.filter((f) => f.loadedByKubelet).flatMap((f) => f.pods);
}

function healthTargets(s: NodeSnapshot): HealthTarget[] {
  const pods = enabledPods(s);
  const targets = pods.flatMap((p) => (p.health ? [{ key: p.name, endpoint: p.health }] : []));
  if (!targets.some((t) => t.key === API_SERVER_POD)) {
    const held = s.dirs.holding.files.flatMap((f) => f.pods);
    targets.push({ key: API_SERVER_POD, endpoint: apiServerProbe(pods, held) });
  }
  return targets;
}
