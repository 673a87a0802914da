// etcd's own Prometheus metrics over plain HTTP on loopback (kubeadm: --listen-metrics-urls=
// http://127.0.0.1:2381, so http://127.0.0.1:2381/metrics): disk latency (WAL fsync, backend commit),
// database size and leadership. p99s are computed like Prometheus' histogram_quantile over a window:
// the difference between two successive scrapes' cumulative buckets, so they describe the last few
// seconds, not the whole life of etcd (which is what the raw counters say, and is flagged as such).
import { sanitizeLine } from '../../util/sanitize.js';
import { plainError } from '../../util/timeout.js';
import { describeRequestError, formatUrl, isLoopbackHost, loopbackGet } from '../loopback-http.js';
import { sampleEvery } from '../sampler.js';
import {
  gaugeValue,
  type Histogram,
  histogramOf,
  type LatencyReading,
  latencyReading,
  parsePrometheusText,
} from './prometheus.js';

/** etcd FAQ: WAL fsync p99 should stay under 10 ms. */
export const WAL_FSYNC_P99_OK_MS = 10;
/** etcd FAQ: backend commit p99 should stay under 25 ms. */
export const BACKEND_COMMIT_P99_OK_MS = 25;
export const DEFAULT_ETCD_INTERVAL_MS = 5000;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 3000;
/** etcd's /metrics is ~150 KiB; anything near this is not etcd. */
export const MAX_METRICS_BYTES = 8 * 1024 * 1024;

export const WAL_FSYNC = 'etcd_disk_wal_fsync_duration_seconds';
export const BACKEND_COMMIT = 'etcd_disk_backend_commit_duration_seconds';
export const DB_SIZE = 'etcd_mvcc_db_total_size_in_bytes';
/** etcd < 3.4 only has the debugging name; 3.4 has both. */
export const DB_SIZE_DEBUGGING = 'etcd_debugging_mvcc_db_total_size_in_bytes';
export const DB_SIZE_IN_USE = 'etcd_mvcc_db_total_size_in_use_in_bytes';
export const HAS_LEADER = 'etcd_server_has_leader';
export const LEADER_CHANGES = 'etcd_server_leader_changes_seen_total';
export const SERVER_VERSION = 'etcd_server_version';
/** 1 for each peer this member has a working raft connection to, labelled by both members' hex IDs. */
export const ACTIVE_PEERS = 'etcd_network_active_peers';
const WANTED = [
  ACTIVE_PEERS,
  WAL_FSYNC,
  BACKEND_COMMIT,
  DB_SIZE,
  DB_SIZE_DEBUGGING,
  DB_SIZE_IN_USE,
  HAS_LEADER,
  LEADER_CHANGES,
  SERVER_VERSION,
];

/** Where the metrics are: only plain HTTP on a loopback address. Throws one plain sentence otherwise. */
export function checkMetricsUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${sanitizeLine(url)}`);
  }
  const shown = sanitizeLine(parsed.href);
  if (parsed.protocol === 'https:') {
    throw new Error(
      `etcd's metrics at ${shown} need TLS client certificates; breakglass reads plain-HTTP metrics only (kubeadm: --listen-metrics-urls=http://127.0.0.1:2381)`,
    );
  }
  if (parsed.protocol !== 'http:') throw new Error(`not an http:// URL: ${shown}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  // Listening on every address includes loopback.
  if (host === '0.0.0.0') parsed.hostname = '127.0.0.1';
  else if (host === '::') parsed.hostname = '[::1]';
  else if (!isLoopbackHost(host)) {
    throw new Error(
      `refusing to scrape etcd metrics at ${shown}: ${sanitizeLine(host)} is not a loopback address (breakglass only talks to 127.0.0.1 or ::1)`,
    );
  }
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/metrics';
  return parsed;
}

/**
 * The metrics URL from etcd's --listen-metrics-urls (comma-separated): the first plain-HTTP URL on a
 * loopback (or every) address, with /metrics. Throws one plain sentence when there is none.
 */
export function metricsUrlFromFlag(flag: string): string {
  const urls = flag
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new Error('etcd has no --listen-metrics-urls');
  const reasons: string[] = [];
  for (const url of urls) {
    try {
      return checkMetricsUrl(url).href;
    } catch (error) {
      reasons.push((error as Error).message);
    }
  }
  throw new Error(reasons.length === 1 ? reasons[0]! : `no usable metrics URL: ${reasons.join('; ')}`);
}

export interface EtcdScrape {
  url: string;
  at: Date;
  /** performance.now() at the answer, for windows. */
  atMs: number;
  walFsync: Histogram | null;
  backendCommit: Histogram | null;
  dbSizeBytes: number | null;
  /** Which metric gave the size (the debugging name on etcd < 3.4). */
  dbSizeMetric: string | null;
  /** Not on every etcd. */
  dbSizeInUseBytes: number | null;
  hasLeader: boolean | null;
  leaderChangesTotal: number | null;
  /** etcd_server_version's label, sanitized. */
  version: string | null;
  /** The peers (hex member IDs, lower case) this member's raft connection to is up. */
  activePeers: string[];
}

/** What one metrics page says (pure). */
export function readEtcdMetrics(text: string, url: string, at: Date, atMs: number): EtcdScrape {
  const m = parsePrometheusText(text, WANTED);
  const dbSize = gaugeValue(m, DB_SIZE);
  const dbSizeDebugging = dbSize === null ? gaugeValue(m, DB_SIZE_DEBUGGING) : null;
  const hasLeader = gaugeValue(m, HAS_LEADER);
  const version = m.samples.get(SERVER_VERSION)?.[0]?.labels.server_version;
  return {
    url,
    at,
    atMs,
    walFsync: histogramOf(m, WAL_FSYNC),
    backendCommit: histogramOf(m, BACKEND_COMMIT),
    dbSizeBytes: dbSize ?? dbSizeDebugging,
    dbSizeMetric: dbSize !== null ? DB_SIZE : dbSizeDebugging !== null ? DB_SIZE_DEBUGGING : null,
    dbSizeInUseBytes: gaugeValue(m, DB_SIZE_IN_USE),
    hasLeader: hasLeader === null ? null : hasLeader === 1,
    leaderChangesTotal: gaugeValue(m, LEADER_CHANGES),
    version: version === undefined ? null : sanitizeLine(version),
    activePeers: (m.samples.get(ACTIVE_PEERS) ?? [])
      .filter((p) => p.value >= 1 && p.labels.Remote)
      .map((p) => p.labels.Remote!.toLowerCase()),
  };
}

export interface ScrapeOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

/** One scrape. Rejects with one plain sentence (refused URL, connection refused, timed out, HTTP 500, ...). */
export async function scrapeEtcd(url: string, options: ScrapeOptions = {}): Promise<EtcdScrape> {
  const target = checkMetricsUrl(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = target.port === '' ? 80 : Number(target.port);
  const path = `${target.pathname}${target.search}`;
  const shown = sanitizeLine(formatUrl('http', host, port, path));
  let res: Awaited<ReturnType<typeof loopbackGet>>;
  try {
    res = await loopbackGet({
      scheme: 'http',
      host,
      port,
      path,
      timeoutMs: options.timeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? MAX_METRICS_BYTES,
      overflow: 'fail',
      headers: { Accept: 'text/plain; version=0.0.4' },
    });
  } catch (error) {
    throw new Error(`cannot scrape etcd metrics at ${shown}: ${describeRequestError(error)}`);
  }
  if (res.statusCode !== 200) {
    throw new Error(
      `etcd metrics at ${shown} answered HTTP ${res.statusCode} ${sanitizeLine(res.statusMessage)}`.trimEnd(),
    );
  }
  const scrape = readEtcdMetrics(res.body.toString('utf8'), shown, new Date(), performance.now());
  if (!scrape.walFsync && !scrape.backendCommit && scrape.dbSizeBytes === null) {
    throw new Error(`${shown} answered, but not with etcd's metrics`);
  }
  return scrape;
}

export interface EtcdSample {
  url: string;
  at: Date;
  walFsync: LatencyReading;
  backendCommit: LatencyReading;
  dbSizeBytes: number | null;
  dbSizeMetric: string | null;
  dbSizeInUseBytes: number | null;
  hasLeader: boolean | null;
  leaderChangesTotal: number | null;
  /** Leader changes since the previous scrape; null without one (or across an etcd restart). */
  leaderChangesInWindow: number | null;
  version: string | null;
  /** The raw scrape, to be the `prev` of the next one. */
  scrape: EtcdScrape;
}

/** A scrape judged against the previous one (pure). */
export function summarizeEtcd(prev: EtcdScrape | null, next: EtcdScrape): EtcdSample {
  const windowMs = prev ? next.atMs - prev.atMs : null;
  const changes =
    prev?.leaderChangesTotal != null && next.leaderChangesTotal !== null
      ? next.leaderChangesTotal - prev.leaderChangesTotal
      : null;
  return {
    url: next.url,
    at: next.at,
    walFsync: latencyReading(WAL_FSYNC, prev?.walFsync ?? null, next.walFsync, WAL_FSYNC_P99_OK_MS, windowMs),
    backendCommit: latencyReading(
      BACKEND_COMMIT,
      prev?.backendCommit ?? null,
      next.backendCommit,
      BACKEND_COMMIT_P99_OK_MS,
      windowMs,
    ),
    dbSizeBytes: next.dbSizeBytes,
    dbSizeMetric: next.dbSizeMetric,
    dbSizeInUseBytes: next.dbSizeInUseBytes,
    hasLeader: next.hasLeader,
    leaderChangesTotal: next.leaderChangesTotal,
    leaderChangesInWindow: changes !== null && changes >= 0 ? changes : null,
    version: next.version,
    scrape: next,
  };
}

export interface EtcdMetricsWatcher {
  close(): void;
}

/**
 * Scrapes every `intervalMs` (first at once); each sample's p99s cover the time since the previous
 * successful scrape. Scrapes never overlap. A refused URL is reported once through onError.
 */
export function watchEtcdMetrics(
  url: string,
  intervalMs: number = DEFAULT_ETCD_INTERVAL_MS,
  onSample: (sample: EtcdSample) => void,
  onError: (error: Error) => void,
  options: ScrapeOptions = {},
): EtcdMetricsWatcher {
  let prev: EtcdScrape | null = null;
  try {
    checkMetricsUrl(url);
  } catch (error) {
    let closed = false;
    queueMicrotask(() => {
      if (!closed) onError(plainError(error));
    });
    return {
      close() {
        closed = true;
      },
    };
  }
  const timeoutMs = options.timeoutMs ?? Math.min(DEFAULT_SCRAPE_TIMEOUT_MS, intervalMs);
  const read = async (): Promise<EtcdSample> => {
    const next = await scrapeEtcd(url, { ...options, timeoutMs });
    const sample = summarizeEtcd(prev, next);
    prev = next;
    return sample;
  };
  return sampleEvery(intervalMs, read, onSample, onError);
}
