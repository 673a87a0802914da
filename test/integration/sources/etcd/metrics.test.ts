// etcd's Prometheus metrics scraped from the lab's etcd, at the URL its manifest names; and the ways a
// scrape fails, against servers of the test's own on loopback.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type * as net from 'node:net';
import { describe, test } from 'node:test';
import { labPorts } from '../../../../scripts/lab/node.js';
import {
  type EtcdSample,
  metricsUrlFromFlag,
  scrapeEtcd,
  WAL_FSYNC_P99_OK_MS,
  watchEtcdMetrics,
} from '../../../../src/sources/etcd/metrics.js';
import { labEnv } from '../../../helpers/lab.js';
import { labPods } from '../../../helpers/lab-manifests.js';
import { closedPort, silentServer } from '../../../helpers/loopback-servers.js';
import { watchUntil } from '../../../helpers/wait.js';

const ports = labPorts(labEnv().portOffset);

describe("etcd's metrics", () => {
  const etcd = labPods().find((p) => p.name === 'etcd');
  const flag = etcd?.containers[0]?.flags['listen-metrics-urls'];
  const url = metricsUrlFromFlag(flag ?? '');

  test('the URL comes from the manifest and is the lab port', () => {
    assert.equal(url, `http://127.0.0.1:${ports.etcdMetrics}/metrics`);
  });

  test('a scrape gives both disk histograms with observations, a db size and a leader', async () => {
    const scrape = await scrapeEtcd(url, { timeoutMs: 3000 });
    assert.ok(scrape.walFsync && scrape.walFsync.count > 0, 'WAL fsyncs observed');
    assert.ok(scrape.backendCommit && scrape.backendCommit.count > 0, 'backend commits observed');
    assert.equal(scrape.walFsync.buckets.at(-1)!.le, Number.POSITIVE_INFINITY);
    assert.ok(scrape.dbSizeBytes !== null && scrape.dbSizeBytes > 0);
    assert.ok(scrape.dbSizeMetric);
    assert.equal(scrape.hasLeader, true);
    assert.ok(scrape.leaderChangesTotal !== null && scrape.leaderChangesTotal >= 1);
    assert.match(scrape.version ?? '', /^3\./);
  });

  test('the watcher judges p99s over the window between scrapes (or says "since etcd start")', async () => {
    const samples: EtcdSample[] = [];
    const second = await watchUntil<EtcdSample>(
      'second etcd sample',
      (accept) =>
        watchEtcdMetrics(
          url,
          300,
          (s) => {
            samples.push(s);
            if (samples.length === 2) accept(s);
          },
          (error) => assert.fail(error.message),
        ),
      { timeoutMs: 5000 },
    );
    assert.equal(samples[0]!.walFsync.window, 'since-start');
    for (const reading of [second.walFsync, second.backendCommit]) {
      assert.ok(['interval', 'since-start'].includes(reading.window));
      if (reading.window === 'interval') assert.ok(reading.windowMs! > 0 && reading.observations > 0);
      assert.ok(reading.p99Ms !== null && reading.p99Ms > 0);
      assert.ok(['ok', 'slow'].includes(reading.verdict));
    }
    assert.equal(second.walFsync.thresholdMs, WAL_FSYNC_P99_OK_MS);
    assert.equal(second.leaderChangesInWindow, 0);
  });

  test('a non-loopback metrics URL is refused before any connection', async () => {
    await assert.rejects(
      scrapeEtcd('http://192.0.2.10:2381/metrics'),
      /refusing to scrape .*not a loopback address/,
    );
    const error = await watchUntil<Error>(
      'refusal',
      (accept) =>
        watchEtcdMetrics(
          'http://192.0.2.10:2381',
          1000,
          () => assert.fail('no sample expected'),
          (e) => accept(e),
        ),
      { timeoutMs: 2000 },
    );
    assert.match(error.message, /refusing to scrape/);
  });

  test('a closed port, a silent server and an oversized answer fail in words', async () => {
    await assert.rejects(scrapeEtcd(`http://127.0.0.1:${await closedPort()}`), /connection refused/);
    const silent = await silentServer();
    try {
      await assert.rejects(
        scrapeEtcd(`http://127.0.0.1:${silent.port}/metrics`, { timeoutMs: 400 }),
        /timed out after 400 ms/,
      );
    } finally {
      await silent.close();
    }
    const big = http.createServer((_req, res) => res.end(Buffer.alloc(256 * 1024, 0x61)));
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    try {
      const port = (big.address() as net.AddressInfo).port;
      await assert.rejects(
        scrapeEtcd(`http://127.0.0.1:${port}/metrics`, { maxBytes: 64 * 1024 }),
        /larger than/,
      );
      await assert.rejects(scrapeEtcd(`http://127.0.0.1:${port}/metrics`), /not with etcd's metrics/);
    } finally {
      big.close();
    }
  });
});
