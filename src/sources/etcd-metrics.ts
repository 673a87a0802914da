// etcd's own Prometheus metrics over plain HTTP on loopback (kubeadm: --listen-metrics-urls=
// http://127.0.0.1:2381, so http://127.0.0.1:2381/metrics): disk latency (WAL fsync, backend commit),
// database size and leadership. p99s are computed like Prometheus' histogram_quantile over a window:
// the difference between two successive scrapes' cumulative buckets, so they describe the last few
// seconds, not the whole life of etcd (which is what the raw counters say, and is flagged as such).
import { sanitizeLine } from '../util/sanitize.js';
import { plainError } from './disk.js';
import { describeRequestError, formatUrl, isLoopbackHost, loopbackGet } from './health.js';
import { sampleEvery } from './sampler.js';

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
const WANTED = [
  WAL_FSYNC,
  BACKEND_COMMIT,
  DB_SIZE,
  DB_SIZE_DEBUGGING,
  DB_SIZE_IN_USE,
  HAS_LEADER,
  LEADER_CHANGES,
  SERVER_VERSION,
];

// ---------------------------------------------------------------------------------------------
// The text exposition format (pure)

export interface PromSample {
  /** The sample's own name: a histogram's come as <name>_bucket, <name>_sum, <name>_count. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromMetrics {
  /** From `# TYPE name type`. */
  types: Map<string, string>;
  /** Samples by their own name. */
  samples: Map<string, PromSample[]>;
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
  }
  return text === '' ? Number.NaN : Number(text);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** `{a="x",b="y\"z"}` at the start of text -> labels and the rest; null when malformed. */
function parseLabels(text: string): { labels: Record<string, string>; rest: string } | null {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) return null;
    i += name.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') return null;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') return null;
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return null;
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        value += n === 'n' ? '\n' : n === '\\' ? '\\' : n === '"' ? '"' : `\\${n ?? ''}`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // closing quote
    labels[name] = value;
    while (text[i] === ' ') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return null;
  }
}

/**
 * Prometheus' text format, as much as breakglass needs: samples with labels and values (timestamps
 * ignored), `# TYPE` lines. Malformed lines are skipped. With `names`, only those metric families are
 * kept (a name matches its _bucket, _sum, _count and _total samples too).
 */
export function parsePrometheusText(text: string, names?: Iterable<string>): PromMetrics {
  const wanted = names ? new Set(names) : null;
  const keep = (name: string) =>
    !wanted || wanted.has(name) || wanted.has(name.replace(/_(bucket|sum|count|total)$/, ''));
  const metrics: PromMetrics = { types: new Map(), samples: new Map() };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m && keep(m[1]!)) metrics.types.set(m[1]!, m[2]!);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name || !keep(name)) continue;
    let rest = line.slice(name.length).trimStart();
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = parsed.rest;
    }
    const valueText = rest.trim().split(/\s+/)[0] ?? '';
    const value = parseValue(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') continue;
    const list = metrics.samples.get(name) ?? [];
    list.push({ name, labels, value });
    metrics.samples.set(name, list);
  }
  return metrics;
}

/** A gauge's (or counter's) value: the first series, or the first whose labels include `labels`. */
export function gaugeValue(
  metrics: PromMetrics,
  name: string,
  labels: Record<string, string> = {},
): number | null {
  const sample = metrics.samples
    .get(name)
    ?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample ? sample.value : null;
}

export interface HistogramBucket {
  /** The upper bound (`le`), +Infinity for the last. */
  le: number;
  /** Cumulative: observations <= le. */
  count: number;
}

export interface Histogram {
  /** Sorted by le. */
  buckets: HistogramBucket[];
  sum: number;
  count: number;
}

/** A histogram, its series summed bucket by bucket (etcd's disk histograms have one series). */
export function histogramOf(metrics: PromMetrics, name: string): Histogram | null {
  const bucketSamples = metrics.samples.get(`${name}_bucket`);
  if (!bucketSamples || bucketSamples.length === 0) return null;
  const byLe = new Map<number, number>();
  for (const s of bucketSamples) {
    const le = parseValue(s.labels.le ?? '');
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  const buckets = [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const total = (suffix: string) =>
    (metrics.samples.get(`${name}_${suffix}`) ?? []).reduce((a, s) => a + s.value, 0);
  const inf = buckets.at(-1);
  const count = metrics.samples.has(`${name}_count`) ? total('count') : (inf?.count ?? 0);
  return { buckets, sum: total('sum'), count };
}

/**
 * Prometheus' histogram_quantile (promql bucketQuantile): the bucket holding rank q*count, linear
 * interpolation inside it, the lower bound of the first bucket being 0; a rank in the +Inf bucket
 * gives the highest finite bound. null when there is nothing to say (no observations, no +Inf bucket,
 * fewer than two buckets). q < 0 gives -Infinity, q > 1 +Infinity, like Prometheus.
 */
export function histogramQuantile(q: number, buckets: HistogramBucket[]): number | null {
  if (Number.isNaN(q)) return null;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted.at(-1)!.le !== Number.POSITIVE_INFINITY) return null;
  // Cumulative counts must not decrease (they can, across a scrape racing an observation): make them so.
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.count < sorted[i - 1]!.count)
      sorted[i] = { le: sorted[i]!.le, count: sorted[i - 1]!.count };
  }
  const observations = sorted.at(-1)!.count;
  if (!(observations > 0)) return null;
  let rank = q * observations;
  let b = sorted.findIndex((bucket) => bucket.count >= rank);
  if (b < 0) b = sorted.length - 1;
  if (b === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (b === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  let start = 0;
  const end = sorted[b]!.le;
  let count = sorted[b]!.count;
  if (b > 0) {
    start = sorted[b - 1]!.le;
    count -= sorted[b - 1]!.count;
    rank -= sorted[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}

/**
 * What was observed between two scrapes: next minus prev, bucket by bucket. null when the bucket
 * layouts differ or a count went down (etcd restarted between the scrapes).
 */
export function histogramDelta(prev: Histogram, next: Histogram): Histogram | null {
  if (prev.buckets.length !== next.buckets.length) return null;
  const buckets: HistogramBucket[] = [];
  for (let i = 0; i < next.buckets.length; i++) {
    const p = prev.buckets[i]!;
    const n = next.buckets[i]!;
    if (p.le !== n.le || n.count < p.count) return null;
    buckets.push({ le: n.le, count: n.count - p.count });
  }
  if (next.count < prev.count) return null;
  return { buckets, sum: next.sum - prev.sum, count: next.count - prev.count };
}

export type Verdict = 'ok' | 'slow' | 'unknown';

export interface LatencyReading {
  metric: string;
  /** The p99 in milliseconds; null when the metric is missing or nothing was ever observed. */
  p99Ms: number | null;
  /** Mean over the same window (sum / count), ms. */
  meanMs: number | null;
  /** 'interval': between the last two scrapes; 'since-start': etcd's cumulative counters (since etcd start). */
  window: 'interval' | 'since-start';
  /** Length of an 'interval' window; null for 'since-start'. */
  windowMs: number | null;
  /** Observations in the window. */
  observations: number;
  thresholdMs: number;
  /** ok: p99 < threshold. */
  verdict: Verdict;
}

/**
 * The p99 over the window between two scrapes, or over etcd's whole life when there is no previous
 * scrape, etcd restarted, or nothing was observed in the window. Pure.
 */
export function latencyReading(
  metric: string,
  prev: Histogram | null,
  next: Histogram | null,
  thresholdMs: number,
  windowMs: number | null,
): LatencyReading {
  const none: LatencyReading = {
    metric,
    p99Ms: null,
    meanMs: null,
    window: 'since-start',
    windowMs: null,
    observations: 0,
    thresholdMs,
    verdict: 'unknown',
  };
  if (!next) return none;
  const delta = prev ? histogramDelta(prev, next) : null;
  const windowed = delta !== null && delta.count > 0;
  const h = windowed ? delta : next;
  const p99 = histogramQuantile(0.99, h.buckets);
  const p99Ms = p99 === null ? null : p99 * 1000;
  return {
    metric,
    p99Ms,
    meanMs: h.count > 0 ? (h.sum / h.count) * 1000 : null,
    window: windowed ? 'interval' : 'since-start',
    windowMs: windowed ? windowMs : null,
    observations: h.count,
    thresholdMs,
    verdict: p99Ms === null ? 'unknown' : p99Ms < thresholdMs ? 'ok' : 'slow',
  };
}

// ---------------------------------------------------------------------------------------------
// Scraping

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
