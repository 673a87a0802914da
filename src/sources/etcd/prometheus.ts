// Prometheus' text exposition format, as much as breakglass needs, and histogram quantiles over a window
// (the difference of two scrapes' cumulative buckets, like histogram_quantile over a rate). Pure.

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
