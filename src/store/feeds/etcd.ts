// etcd's own metrics, scraped every 5 s from the metrics URL its manifest names; re-armed when that
// changes. No etcd manifest, or no usable URL, is one line in the slot.
import { etcdMetricsFlag } from '../../node/etcd.js';
import { metricsUrlFromFlag, watchEtcdMetrics } from '../../sources/etcd/metrics.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';
import { enabledPods } from './health.js';

const SCRAPE_INTERVAL_MS = 5_000;

export interface EtcdFeed extends Feed {
  sync(): void;
}

export function startEtcdFeed(host: FeedHost): EtcdFeed {
  let watcher: { close(): void } | null = null;
  let current: string | null = null;
  const sync = () => {
    if (host.closed) return;
    const found = metricsUrl(host);
    const key = 'url' in found ? found.url : `error:${found.error}`;
    if (key === current) return;
    current = key;
    watcher?.close();
    watcher = null;
    if (!('url' in found)) {
      host.update((s) => ({ ...s, etcd: { value: null, error: found.error, at: Date.now() } }));
      return;
    }
    watcher = watchEtcdMetrics(
      found.url,
      SCRAPE_INTERVAL_MS,
      (sample) =>
        host.update((s) => ({ ...s, etcd: { value: sample, error: null, at: Date.now() } }), 'background'),
      (err) => host.update((s) => ({ ...s, etcd: { ...s.etcd, error: err.message, at: Date.now() } })),
    );
  };
  sync();
  return { sync, close: () => watcher?.close() };
}

/** etcd's metrics URL from its enabled manifest, or why there is none. */
function metricsUrl(host: FeedHost): { url: string } | { error: string } {
  const etcd = enabledPods(host.snapshot).find((p) => p.name === 'etcd');
  if (!etcd) return { error: 'no etcd manifest in the static pod directory' };
  try {
    return { url: metricsUrlFromFlag(etcdMetricsFlag(etcd)) };
  } catch (err) {
    return { error: errnoMessage(err) };
  }
}
