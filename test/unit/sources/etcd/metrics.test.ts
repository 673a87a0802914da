import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BACKEND_COMMIT_P99_OK_MS,
  checkMetricsUrl,
  DB_SIZE,
  DB_SIZE_DEBUGGING,
  metricsUrlFromFlag,
  readEtcdMetrics,
  summarizeEtcd,
  WAL_FSYNC,
  WAL_FSYNC_P99_OK_MS,
} from '../../../../src/sources/etcd/metrics.js';
import { assertClose as close } from '../../../helpers/assert-close.js';

test('the thresholds are the etcd FAQ values', () => {
  assert.equal(WAL_FSYNC_P99_OK_MS, 10);
  assert.equal(BACKEND_COMMIT_P99_OK_MS, 25);
});

function page(wal: number[], leaderChanges: number, sizeMetric = DB_SIZE): string {
  const les = ['0.001', '0.002', '0.004', '0.008', '0.016', '0.032', '+Inf'];
  return [
    `# TYPE ${WAL_FSYNC} histogram`,
    ...les.map((le, i) => `${WAL_FSYNC}_bucket{le="${le}"} ${wal[i]}`),
    `${WAL_FSYNC}_sum 0.1`,
    `${WAL_FSYNC}_count ${wal.at(-1)}`,
    ...les.map((le) => `etcd_disk_backend_commit_duration_seconds_bucket{le="${le}"} 4`),
    'etcd_disk_backend_commit_duration_seconds_sum 0.01',
    'etcd_disk_backend_commit_duration_seconds_count 4',
    `${sizeMetric} 20480`,
    'etcd_server_has_leader 0',
    `etcd_server_leader_changes_seen_total ${leaderChanges}`,
    'etcd_server_version{server_version="3.4.23\x1b[31m"} 1',
    'unrelated_metric 5',
  ].join('\n');
}

test('readEtcdMetrics and summarizeEtcd: sizes, leadership, the window between two scrapes', () => {
  const first = readEtcdMetrics(page([5, 5, 5, 5, 5, 5, 5], 1), 'u', new Date(0), 1000);
  assert.equal(first.dbSizeBytes, 20480);
  assert.equal(first.dbSizeMetric, DB_SIZE);
  assert.equal(first.dbSizeInUseBytes, null);
  assert.equal(first.hasLeader, false);
  assert.equal(first.walFsync?.count, 5);
  assert.equal(first.backendCommit?.count, 4);
  assert.equal(first.version, '3.4.23', 'escape sequences from outside are removed');
  const old = readEtcdMetrics(page([5, 5, 5, 5, 5, 5, 5], 1, DB_SIZE_DEBUGGING), 'u', new Date(0), 0);
  assert.equal(old.dbSizeMetric, DB_SIZE_DEBUGGING);
  assert.equal(old.dbSizeBytes, 20480);

  const s1 = summarizeEtcd(null, first);
  assert.equal(s1.walFsync.window, 'since-start');
  assert.equal(s1.leaderChangesInWindow, null);
  const second = readEtcdMetrics(page([5, 5, 6, 7, 7, 7, 7], 3), 'u', new Date(5000), 6000);
  const s2 = summarizeEtcd(first, second);
  assert.equal(s2.walFsync.window, 'interval');
  assert.equal(s2.walFsync.windowMs, 5000);
  assert.equal(s2.walFsync.observations, 2);
  close(s2.walFsync.p99Ms, 4 + (4 * 0.98) / 1, 'rank 1.98 in (4,8] ms holding 1');
  assert.equal(s2.backendCommit.window, 'since-start', 'no new commits in the window');
  assert.equal(s2.leaderChangesInWindow, 2);
});

test('metrics URLs: loopback plain HTTP only, /metrics added, every-address listeners mapped', () => {
  assert.equal(checkMetricsUrl('http://127.0.0.1:2381').href, 'http://127.0.0.1:2381/metrics');
  assert.equal(checkMetricsUrl('http://127.0.0.1:2381/metrics').href, 'http://127.0.0.1:2381/metrics');
  assert.equal(checkMetricsUrl('http://[::1]:2381').href, 'http://[::1]:2381/metrics');
  assert.equal(checkMetricsUrl('http://localhost:2381').href, 'http://localhost:2381/metrics');
  assert.equal(checkMetricsUrl('http://0.0.0.0:2381').href, 'http://127.0.0.1:2381/metrics');
  assert.equal(checkMetricsUrl('http://[::]:2381').href, 'http://[::1]:2381/metrics');
  assert.throws(() => checkMetricsUrl('http://10.0.0.5:2381/metrics'), /not a loopback address/);
  assert.throws(() => checkMetricsUrl('http://example.com:2381'), /refusing to scrape/);
  assert.throws(() => checkMetricsUrl('https://127.0.0.1:2381'), /plain-HTTP metrics only/);
  assert.throws(() => checkMetricsUrl('unix:///x'), /not an http/);
  assert.throws(() => checkMetricsUrl('::nonsense'), /not a URL/);
  assert.equal(
    metricsUrlFromFlag('http://10.0.0.5:2381, http://127.0.0.1:2381'),
    'http://127.0.0.1:2381/metrics',
  );
  assert.throws(() => metricsUrlFromFlag('http://10.0.0.5:2381'), /not a loopback address/);
  assert.throws(() => metricsUrlFromFlag(''), /no --listen-metrics-urls/);
});
