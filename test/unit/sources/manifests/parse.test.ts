import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseFlags, parseManifestText } from '../../../../src/sources/manifests/parse.js';
import { FIXTURES } from '../../../helpers/paths.js';

const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, 'kubeadm', name), 'utf8');

test("kubeadm's manifests: names, mirror pod names, flags and health endpoints from their own probes", () => {
  const expected = {
    'etcd.yaml': { name: 'etcd', scheme: 'HTTP', host: '127.0.0.1', port: 2381, path: '/livez' },
    'kube-apiserver.yaml': {
      name: 'kube-apiserver',
      scheme: 'HTTPS',
      host: '10.0.0.10',
      port: 6443,
      path: '/livez',
    },
    'kube-controller-manager.yaml': {
      name: 'kube-controller-manager',
      scheme: 'HTTPS',
      host: '127.0.0.1',
      port: 10257,
      path: '/healthz',
    },
    'kube-scheduler.yaml': {
      name: 'kube-scheduler',
      scheme: 'HTTPS',
      host: '127.0.0.1',
      port: 10259,
      path: '/healthz',
    },
  };
  for (const [file, want] of Object.entries(expected)) {
    const { pods, findings } = parseManifestText(fixture(file), 'Master-1');
    assert.deepEqual(findings, [], file);
    const pod = pods[0]!;
    assert.equal(pod.name, want.name);
    assert.equal(pod.namespace, 'kube-system');
    assert.equal(pod.mirrorPodName, `${want.name}-master-1`);
    assert.equal(pod.hostNetwork, true);
    assert.deepEqual(pod.health, {
      probe: 'liveness',
      scheme: want.scheme,
      host: want.host,
      port: want.port,
      path: want.path,
    });
  }
  const etcd = parseManifestText(fixture('etcd.yaml'), 'm').pods[0]!;
  assert.equal(etcd.containers[0]!.flags['data-dir'], '/var/lib/etcd');
  assert.equal(etcd.containers[0]!.flags['listen-metrics-urls'], 'http://127.0.0.1:2381');
  assert.deepEqual(
    etcd.hostPathVolumes.find((v) => v.name === 'etcd-data'),
    { name: 'etcd-data', path: '/var/lib/etcd' },
  );
});

test('a named probe port resolves through the container ports; no namespace means default', () => {
  const text = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {port: http}}
`;
  const pod = parseManifestText(text, 'n1').pods[0]!;
  assert.equal(pod.namespace, 'default');
  assert.deepEqual(pod.health, { probe: 'readiness', scheme: 'HTTP', host: null, port: 8080, path: '/' });
});

test('flags: --k=v and bare --k; the last occurrence wins', () => {
  assert.deepEqual(parseFlags(['etcd', '--a=1', '--b', '--a=2', 'positional', '--c=x=y']), {
    a: '2',
    b: 'true',
    c: 'x=y',
  });
});
