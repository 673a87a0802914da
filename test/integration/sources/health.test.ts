// The static pods' health endpoints, from the lab's manifests (read with breakglass' own scanner), probed
// on loopback; and the ways a probe fails, against servers of the test's own.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type * as net from 'node:net';
import { describe, test } from 'node:test';
import { labPorts } from '../../../scripts/lab/node.js';
import { type HealthResult, type HealthTarget, probe, watchHealth } from '../../../src/sources/health.js';
import type { HealthEndpoint } from '../../../src/sources/manifests/types.js';
import { labEnv } from '../../helpers/lab.js';
import { labPods } from '../../helpers/lab-manifests.js';
import { closedPort, silentServer } from '../../helpers/loopback-servers.js';
import { watchUntil } from '../../helpers/wait.js';

const ports = labPorts(labEnv().portOffset);

const endpoint = (port: number, scheme: 'HTTP' | 'HTTPS' = 'HTTP', path = '/healthz'): HealthEndpoint => ({
  probe: 'liveness',
  scheme,
  host: '127.0.0.1',
  port,
  path,
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
