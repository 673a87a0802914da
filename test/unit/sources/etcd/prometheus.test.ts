import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WAL_FSYNC, WAL_FSYNC_P99_OK_MS } from '../../../../src/sources/etcd/metrics.js';
import {
  gaugeValue,
  type Histogram,
  histogramDelta,
  histogramOf,
  histogramQuantile,
  latencyReading,
  parsePrometheusText,
} from '../../../../src/sources/etcd/prometheus.js';
import { assertClose as close } from '../../../helpers/assert-close.js';

const INF = Number.POSITIVE_INFINITY;

test('parsePrometheusText: types, labels with escapes, special values, timestamps, junk skipped', () => {
  const m = parsePrometheusText(
    [
      '# HELP etcd_server_has_leader Whether or not a leader exists.',
      '# TYPE etcd_server_has_leader gauge',
      'etcd_server_has_leader 1',
      'etcd_server_version{server_version="3.5.16"} 1',
      'x_total{a="q\\"uote",b="back\\\\slash",c="new\\nline" , } 12 1700000000000',
      'h_bucket{le="0.5"} 3',
      'h_bucket{le="+Inf"} 4',
      'weird{le="1"} NaN',
      'neg -Inf',
      'broken{a="x} 1',
      'novalue',
      '',
    ].join('\n'),
  );
  assert.equal(m.types.get('etcd_server_has_leader'), 'gauge');
  assert.equal(gaugeValue(m, 'etcd_server_has_leader'), 1);
  assert.deepEqual(m.samples.get('etcd_server_version')?.[0]?.labels, { server_version: '3.5.16' });
  assert.deepEqual(m.samples.get('x_total')?.[0], {
    name: 'x_total',
    labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' },
    value: 12,
  });
  assert.equal(m.samples.get('h_bucket')?.[1]?.labels.le, '+Inf');
  assert.ok(Number.isNaN(gaugeValue(m, 'weird')!));
  assert.equal(gaugeValue(m, 'neg'), -INF);
  assert.equal(m.samples.has('broken'), false);
  assert.equal(m.samples.has('novalue'), false);
  assert.equal(gaugeValue(m, 'missing'), null);
});

test('parsePrometheusText with names keeps only those families (with _bucket/_sum/_count)', () => {
  const m = parsePrometheusText('a_bucket{le="1"} 1\na_sum 2\na_count 1\nab 3\nb 4\n', ['a']);
  assert.deepEqual([...m.samples.keys()], ['a_bucket', 'a_sum', 'a_count']);
});

test('histogramQuantile: hand-computed values, Prometheus rules at the edges', () => {
  const b = [
    { le: 1, count: 10 },
    { le: 2, count: 20 },
    { le: 4, count: 40 },
    { le: INF, count: 40 },
  ];
  close(histogramQuantile(0.1, b), 0.4, 'rank 4 in [0,1]: 0 + 1*4/10');
  close(histogramQuantile(0.25, b), 1, 'rank 10: the top of [0,1]');
  close(histogramQuantile(0.5, b), 2, 'rank 20: top of (1,2]');
  close(histogramQuantile(0.99, b), 3.96, 'rank 39.6 in (2,4]: 2 + 2*19.6/20');
  close(histogramQuantile(1, b), 4);
  // unsorted input is sorted first
  close(histogramQuantile(0.99, [...b].reverse()), 3.96);
  // a rank in the +Inf bucket: the highest finite bound
  close(
    histogramQuantile(0.99, [
      { le: 1, count: 5 },
      { le: INF, count: 10 },
    ]),
    1,
  );
  assert.equal(histogramQuantile(0.99, [{ le: INF, count: 3 }]), null, 'fewer than two buckets');
  assert.equal(
    histogramQuantile(0.5, [
      { le: 1, count: 3 },
      { le: 2, count: 3 },
    ]),
    null,
    'no +Inf bucket',
  );
  assert.equal(
    histogramQuantile(0.5, [
      { le: 1, count: 0 },
      { le: INF, count: 0 },
    ]),
    null,
    'no observations',
  );
  assert.equal(histogramQuantile(1.5, b), INF);
  assert.equal(histogramQuantile(-1, b), -INF);
  assert.equal(histogramQuantile(Number.NaN, b), null);
  // non-monotonic counts (a scrape racing an observation) are evened out like Prometheus does
  close(
    histogramQuantile(0.5, [
      { le: 1, count: 10 },
      { le: 2, count: 8 },
      { le: INF, count: 20 },
    ]),
    1,
  );
});

test("histogramQuantile on etcd's real WAL fsync buckets", () => {
  const les = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, INF];
  const counts = [38, 55, 75, 77, 77, 77, 77];
  const b = les.map((le, i) => ({ le, count: counts[i]! }));
  // rank 76.23 falls in (0.004, 0.008] holding 2: 0.004 + 0.004 * 1.23 / 2
  close(histogramQuantile(0.99, b), 0.004 + (0.004 * 1.23) / 2);
});

/** Cumulative etcd-style seconds buckets. */
function hist(counts: number[], sum: number): Histogram {
  const les = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, INF];
  return { buckets: les.map((le, i) => ({ le, count: counts[i]! })), sum, count: counts.at(-1)! };
}

test('windowed p99: the last interval, not the life of etcd', () => {
  // 1000 fast fsyncs since start, then 10 slow ones (8-16 ms) in the last 5 s.
  const prev = hist([1000, 1000, 1000, 1000, 1000, 1000, 1000], 0.5);
  const next = hist([1000, 1000, 1000, 1000, 1010, 1010, 1010], 0.62);
  const delta = histogramDelta(prev, next)!;
  assert.deepEqual(
    delta.buckets.map((b) => b.count),
    [0, 0, 0, 0, 10, 10, 10],
  );
  close(delta.sum, 0.12);
  const w = latencyReading(WAL_FSYNC, prev, next, WAL_FSYNC_P99_OK_MS, 5000);
  assert.equal(w.window, 'interval');
  assert.equal(w.windowMs, 5000);
  assert.equal(w.observations, 10);
  close(w.p99Ms, 15.92, 'rank 9.9 in (8,16] ms: 8 + 8*9.9/10');
  close(w.meanMs, 12);
  assert.equal(w.verdict, 'slow');
  // the cumulative histogram would have hidden it: rank 999.9 in [0,1] ms
  const since = latencyReading(WAL_FSYNC, null, next, WAL_FSYNC_P99_OK_MS, null);
  assert.equal(since.window, 'since-start');
  assert.equal(since.windowMs, null);
  close(since.p99Ms, 0.9999, 'rank 999.9 in [0,1] ms holding 1000');
  assert.equal(since.verdict, 'ok');
});

test('windowed p99 falls back to the cumulative histogram: no new observations, etcd restarted', () => {
  const prev = hist([10, 20, 40, 40, 40, 40, 40], 0.05);
  const same = latencyReading(WAL_FSYNC, prev, prev, WAL_FSYNC_P99_OK_MS, 5000);
  assert.equal(same.window, 'since-start');
  assert.equal(same.observations, 40);
  close(same.p99Ms, 3.96);
  const restarted = hist([1, 1, 1, 1, 1, 1, 1], 0.0005);
  assert.equal(histogramDelta(prev, restarted), null);
  const r = latencyReading(WAL_FSYNC, prev, restarted, WAL_FSYNC_P99_OK_MS, 5000);
  assert.equal(r.window, 'since-start');
  assert.equal(r.observations, 1);
  const missing = latencyReading(WAL_FSYNC, prev, null, WAL_FSYNC_P99_OK_MS, 5000);
  assert.equal(missing.verdict, 'unknown');
  assert.equal(missing.p99Ms, null);
  const empty = latencyReading(WAL_FSYNC, null, hist([0, 0, 0, 0, 0, 0, 0], 0), WAL_FSYNC_P99_OK_MS, null);
  assert.equal(empty.verdict, 'unknown');
});

test('histogramOf sums series bucket by bucket', () => {
  const m = parsePrometheusText(
    [
      'h_bucket{op="a",le="1"} 1',
      'h_bucket{op="a",le="+Inf"} 2',
      'h_bucket{op="b",le="1"} 3',
      'h_bucket{op="b",le="+Inf"} 4',
      'h_sum{op="a"} 1',
      'h_sum{op="b"} 2',
      'h_count{op="a"} 2',
      'h_count{op="b"} 4',
    ].join('\n'),
  );
  assert.deepEqual(histogramOf(m, 'h'), {
    buckets: [
      { le: 1, count: 4 },
      { le: INF, count: 6 },
    ],
    sum: 3,
    count: 6,
  });
  assert.equal(histogramOf(m, 'nope'), null);
});
