// etcd's own metrics, scraped every 5 s from the metrics URL its manifest names; re-armed when that
// changes. No etcd manifest, or no usable URL, is one line in the slot.
import { etcdMetricsFlag } from '../../node/etcd.js';
import {
  metricsUrlFromFlag,
  scrapeEtcd,
  summarizeEtcd,
  watchEtcdMetrics,
} from '../../sources/etcd/metrics.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';
import { enabledPods } from './health.js';

const SCRAPE_INTERVAL_MS = 5_000;

export interface EtcdFeed extends Feed {
  sync(): void;
  /**
   * Measures etcd's latencies from now: a scrape, then another every 250 ms until `minFsyncs` WAL
   * fsyncs happened or `maxMs` passed; the slot then holds that interval. For a one-shot judgement
   * (the doctor) that should not wait for the next 5 s scrape, nor judge by etcd's since-start figures.
   */
  measure(minFsyncs: number, maxMs: number, signal: AbortSignal): Promise<void>;
}

const MEASURE_STEP_MS = 250;

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
  const measure = async (minFsyncs: number, maxMs: number, signal: AbortSignal) => {
    const started = Date.now();
    let found = metricsUrl(host);
    // Right after the start the manifests may not be read yet: their etcd names the URL.
    while (!('url' in found) && Date.now() - started < maxMs && !signal.aborted && !host.closed) {
      await new Promise((r) => setTimeout(r, 50));
      found = metricsUrl(host);
    }
    if (!('url' in found)) return;
    try {
      const first = await scrapeEtcd(found.url);
      for (;;) {
        await new Promise((r) => setTimeout(r, MEASURE_STEP_MS));
        if (host.closed || signal.aborted) return;
        const next = await scrapeEtcd(found.url);
        const sample = summarizeEtcd(first, next);
        // No fsync since the first scrape: the sample falls back to since-start figures.
        const enough = sample.walFsync.window === 'interval' && sample.walFsync.observations >= minFsyncs;
        if (enough || next.atMs - first.atMs >= maxMs) {
          host.update((s) => ({ ...s, etcd: { value: sample, error: null, at: Date.now() } }));
          return;
        }
      }
    } catch {
      // The feed's own scrapes say what is wrong with etcd's metrics.
    }
  };
  sync();
  return { sync, measure, close: () => watcher?.close() };
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
