// The node's own signals read from the real thing: the lab's etcd data dir on its loop-mounted ext4
// disk (/proc/diskstats), etcd's Prometheus metrics, the static pods' health endpoints from the lab's
// manifests (read with breakglass' own scanner), and the node's vitals. Read-only against the lab:
// nothing is stopped, faulted or edited; the only write is a temp file in etcd's file system, removed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { labPorts } from '../../scripts/lab/node.js';
import { etcdDataDir } from '../../src/node/etcd.js';
import { vitalsPaths } from '../../src/node/file-systems.js';
import { deviceOf } from '../../src/sources/disk/device.js';
import { DISKSTATS_PATH, findDevice, parseDiskstats } from '../../src/sources/disk/diskstats.js';
import { freeSpace } from '../../src/sources/disk/free-space.js';
import { type DiskSample, watchDisk } from '../../src/sources/disk/watch.js';
import {
  type EtcdSample,
  metricsUrlFromFlag,
  scrapeEtcd,
  WAL_FSYNC_P99_OK_MS,
  watchEtcdMetrics,
} from '../../src/sources/etcd/metrics.js';
import { type HealthResult, type HealthTarget, probe, watchHealth } from '../../src/sources/health.js';
import { scanManifestDir } from '../../src/sources/manifests/scan.js';
import type { HealthEndpoint, PodManifest } from '../../src/sources/manifests/types.js';
import { readVitals, type VitalsSample, watchVitals } from '../../src/sources/vitals.js';
import { labEnv } from '../helpers/lab.js';
import { watchUntil } from '../helpers/wait.js';

const lab = labEnv();
const ports = labPorts(lab.portOffset);
const manifestsDir = path.join(lab.nodeRoot, 'etc/kubernetes/manifests');
const NODE_NAME = 'lab-master';

function labPods(): PodManifest[] {
  const snapshot = scanManifestDir(manifestsDir, { nodeName: NODE_NAME, role: 'manifests' });
  assert.equal(snapshot.error, null);
  return snapshot.files.filter((f) => f.loadedByKubelet).flatMap((f) => f.pods);
}

function labEtcdDataDir(): string {
  const snapshot = scanManifestDir(manifestsDir, { nodeName: NODE_NAME, role: 'manifests' });
  return etcdDataDir(lab.nodeRoot, snapshot, null).value;
}

/** A loopback server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const endpoint = (port: number, scheme: 'HTTP' | 'HTTPS' = 'HTTP', path = '/healthz'): HealthEndpoint => ({
  probe: 'liveness',
  scheme,
  host: '127.0.0.1',
  port,
  path,
});

describe('disk: the block device under etcd and its I/O', () => {
  const dataDir = labEtcdDataDir();

  test("etcd's data dir is on the lab's loop device, ext4, with its backing file", async () => {
    const device = await deviceOf(dataDir);
    assert.equal(device.kind, 'loop');
    assert.match(device.name, /^loop\d+$/);
    assert.equal(device.major, 7);
    assert.equal(device.fsType, 'ext4');
    assert.equal(device.mountPoint, dataDir);
    assert.equal(device.mountSource, `/dev/${device.name}`);
    assert.equal(device.loopBackingFile, path.join(lab.dir, 'etcd-disk.img'));
    // Its parent directory is on another device.
    assert.notEqual((await deviceOf(path.dirname(dataDir))).name, device.name);
  });

  test('a path with no block device below it says so in words', async () => {
    await assert.rejects(deviceOf('/proc/self'), /is on a proc file system .*not a block device/);
    await assert.rejects(
      deviceOf(path.join(dataDir, 'no-such-file')),
      /cannot stat .*no such file or directory/,
    );
  });

  test('writing and fsyncing 8 MiB in etcd file system shows in diskstats and in the next sample', async () => {
    const device = await deviceOf(dataDir);
    const scratch = path.join(dataDir, `.breakglass-node-signals-${process.pid}`);
    const read = () =>
      findDevice(parseDiskstats(fs.readFileSync(DISKSTATS_PATH, 'utf8')), device.major, device.minor)!;
    const samples: DiskSample[] = [];
    let firstSample: () => void = () => {};
    const gotFirst = new Promise<void>((resolve) => {
      firstSample = resolve;
    });
    let sawWrites: (s: DiskSample) => void = () => {};
    const writesSeen = new Promise<DiskSample>((resolve) => {
      sawWrites = resolve;
    });
    let wrote = false;
    const errors: Error[] = [];
    const watcher = watchDisk(
      dataDir,
      250,
      (sample) => {
        samples.push(sample);
        firstSample();
        if (wrote && sample.rates && sample.rates.writeIops > 0) sawWrites(sample);
      },
      (error) => errors.push(error),
    );
    try {
      await gotFirst;
      assert.equal(samples[0]!.rates, null, 'the first sample has no rates yet');
      assert.equal(samples[0]!.device.name, device.name);
      const before = read();
      const fd = fs.openSync(scratch, 'w', 0o600);
      try {
        const chunk = Buffer.alloc(1024 * 1024, 0x5a);
        for (let i = 0; i < 8; i++) fs.writeSync(fd, chunk);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const afterWrite = read();
      wrote = true;
      const sectors = afterWrite.sectorsWritten - before.sectorsWritten;
      assert.ok(sectors * 512 >= 8 * 1024 * 1024, `8 MiB written, diskstats saw ${sectors * 512} bytes`);
      assert.ok(afterWrite.writesCompleted > before.writesCompleted);
      const sample = await Promise.race([
        writesSeen,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('no sample with writes in 5 s')), 5000),
        ),
      ]);
      assert.ok(sample.rates!.writeIops > 0);
      assert.ok(sample.rates!.writeMBps > 0);
      assert.ok(sample.rates!.utilizationPct >= 0 && sample.rates!.utilizationPct <= 100);
      assert.ok(sample.rates!.elapsedMs > 0);
      assert.deepEqual(errors, []);
    } finally {
      watcher.close();
      fs.rmSync(scratch, { force: true });
    }
  });

  test("free space of etcd's disk: the 512 MiB image, minus what is used", async () => {
    const space = await freeSpace(dataDir);
    assert.ok(
      space.totalBytes > 400 * 1024 * 1024 && space.totalBytes <= 512 * 1024 * 1024,
      `${space.totalBytes}`,
    );
    assert.ok(space.availableBytes > 0 && space.availableBytes < space.totalBytes);
    assert.ok(space.usedPct > 0 && space.usedPct < 100);
    await assert.rejects(freeSpace(path.join(dataDir, 'missing')), /does not exist/);
  });
});

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

describe('health probes', () => {
  const pods = labPods();

  test("every lab manifest's own probe answers ok on loopback, with a latency", async () => {
    const names = pods.map((p) => p.name).sort();
    assert.deepEqual(names, ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
    for (const pod of pods) {
      assert.ok(pod.health, `${pod.name} has an HTTP probe`);
      const result = await probe(pod.health, { timeoutMs: 3000 });
      assert.equal(result.ok, true, `${pod.name}: ${result.error} (${result.url})`);
      assert.ok(result.statusCode! >= 200 && result.statusCode! < 400);
      assert.ok(result.latencyMs !== null && result.latencyMs >= 0 && result.latencyMs < 3000);
      assert.equal(result.error, null);
      assert.match(
        result.url,
        new RegExp(`^${pod.health.scheme.toLowerCase()}://127\\.0\\.0\\.1:${pod.health.port}/`),
      );
      assert.ok(result.body.length <= 200);
    }
    const apiserver = pods.find((p) => p.name === 'kube-apiserver')!;
    assert.equal(apiserver.health!.scheme, 'HTTPS', 'self-signed TLS, not verified, like kubelet');
    const kubelet = await probe({ ...endpoint(ports.kubeletHealthz), host: null });
    assert.equal(kubelet.ok, true, kubelet.error ?? '');
    assert.equal(kubelet.body, 'ok');
  });

  test("a manifest naming the node's address is probed on 127.0.0.1, and says so", async () => {
    const scheduler = pods.find((p) => p.name === 'kube-scheduler')!.health!;
    const result = await probe({ ...scheduler, host: '192.0.2.10' });
    assert.equal(result.ok, true, result.error ?? '');
    assert.equal(result.hostReplaced, true);
    assert.equal(result.manifestHost, '192.0.2.10');
    assert.match(result.url, /^https:\/\/127\.0\.0\.1:/);
  });

  test('a server that accepts and never answers: "timed out" within the bound, HTTP and HTTPS', async () => {
    const silent = await silentServer();
    try {
      for (const scheme of ['HTTP', 'HTTPS'] as const) {
        const started = performance.now();
        const result = await probe(endpoint(silent.port, scheme), { timeoutMs: 500 });
        const took = performance.now() - started;
        assert.equal(result.ok, false);
        assert.equal(result.error, 'timed out after 500 ms');
        assert.equal(result.statusCode, null);
        assert.ok(took >= 450 && took < 1500, `${scheme} took ${took} ms`);
      }
    } finally {
      await silent.close();
    }
  });

  test('a closed port: "connection refused"; TLS spoken to plain HTTP: "TLS: ..."; 5xx: not ok', async () => {
    const refused = await probe(endpoint(await closedPort()));
    assert.equal(refused.ok, false);
    assert.equal(refused.error, 'connection refused');
    const tls = await probe(endpoint(ports.kubeletHealthz, 'HTTPS'));
    assert.equal(tls.ok, false);
    assert.match(tls.error ?? '', /^TLS: /);
    const failing = http.createServer((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end(`[-]etcd failed\x1b]52;c;ZXZpbA==\x07 ${'x'.repeat(1000)}`);
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const result = await probe(endpoint((failing.address() as net.AddressInfo).port));
      assert.equal(result.ok, false);
      assert.equal(result.statusCode, 503);
      assert.equal(result.error, 'HTTP 503 Service Unavailable');
      assert.ok(result.body.startsWith('[-]etcd failed x'), result.body);
      assert.ok(!result.body.includes('\x1b') && !result.body.includes('\x07'), 'sanitized');
      assert.ok(result.body.length <= 200);
    } finally {
      failing.close();
    }
  });

  test('the watcher probes every target, at once on probeNow, never twice in flight per target', async () => {
    const targets: HealthTarget[] = pods.map((p) => ({ key: p.name, endpoint: p.health! }));
    const results = new Map<string, HealthResult>();
    const all = await watchUntil<Map<string, HealthResult>>(
      'a result for every pod',
      (accept) =>
        watchHealth(
          targets,
          60_000,
          (key, result) => {
            results.set(key, result);
            if (results.size === targets.length) accept(results);
          },
          (error) => assert.fail(error.message),
        ),
      { timeoutMs: 5000 },
    );
    for (const [key, result] of all) assert.equal(result.ok, true, `${key}: ${result.error}`);

    const silent = await silentServer();
    const seen: HealthResult[] = [];
    const watcher = watchHealth(
      [{ key: 'silent', endpoint: endpoint(silent.port) }],
      50,
      (_key, result) => seen.push(result),
      (error) => assert.fail(error.message),
      { timeoutMs: 600 },
    );
    try {
      for (let i = 0; i < 5; i++) watcher.probeNow();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(silent.accepted(), 1, 'one probe in flight, however often it is asked');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.error, 'timed out after 600 ms');
    } finally {
      watcher.close();
      await silent.close();
    }
  });
});

describe('vitals', () => {
  test("memory, load, processes and the lab's file systems", async () => {
    const paths = [
      ...vitalsPaths(lab.nodeRoot),
      { label: '/missing', path: path.join(lab.nodeRoot, 'missing') },
    ];
    const { sample, procStat } = await readVitals({ paths }, null);
    assert.ok(procStat);
    assert.ok(sample.memory.ok && sample.memory.availableBytes > 0 && sample.memory.totalBytes > 0);
    assert.ok(sample.load.cpus > 0 && sample.load.one >= 0);
    assert.equal(sample.cpu, null, 'CPU shares need two reads');
    assert.ok(sample.procs.ok && sample.procs.blocked !== null);
    const byLabel = new Map(sample.filesystems.map((f) => [f.label, f]));
    for (const label of ['/', '/var/lib/etcd', '/var/lib/kubelet', '/var/log']) {
      const fsv = byLabel.get(label)!;
      assert.ok(fsv.ok, `${label}: ${fsv.ok ? '' : fsv.error}`);
      assert.ok(fsv.totalBytes > 0 && fsv.availableBytes > 0 && fsv.usedPct >= 0);
    }
    const etcdFs = byLabel.get('/var/lib/etcd')!;
    const rootFs = byLabel.get('/')!;
    assert.ok(etcdFs.ok && rootFs.ok);
    assert.notEqual(etcdFs.devNum, rootFs.devNum, "etcd's data dir is on its own disk");
    assert.ok(etcdFs.totalBytes <= 512 * 1024 * 1024);
    const missing = byLabel.get('/missing')!;
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.error, /missing does not exist/);
  });

  test('the watcher gives CPU shares from the second sample on', async () => {
    const samples: VitalsSample[] = [];
    const second = await watchUntil<VitalsSample>(
      'second vitals sample',
      (accept) =>
        watchVitals(
          { paths: vitalsPaths(lab.nodeRoot) },
          200,
          (s) => {
            samples.push(s);
            if (samples.length === 2) accept(s);
          },
          (error) => assert.fail(error.message),
        ),
      { timeoutMs: 5000 },
    );
    assert.ok(second.cpu?.ok);
    if (second.cpu?.ok) {
      const total = second.cpu.busyPct + second.cpu.idlePct + second.cpu.iowaitPct;
      assert.ok(total === 0 || Math.abs(total - 100) < 1e-6, `shares add up: ${total}`);
      assert.ok(second.cpu.iowaitPct >= 0 && second.cpu.iowaitPct <= 100);
    }
  });
});
