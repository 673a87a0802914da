import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vitalsPaths } from '../../../src/node/file-systems.js';

test('vitalsPaths: the control plane file systems, under a root prefix for the lab', () => {
  assert.deepEqual(vitalsPaths(), [
    { label: '/', path: '/' },
    { label: '/var/lib/etcd', path: '/var/lib/etcd' },
    { label: '/var/lib/kubelet', path: '/var/lib/kubelet' },
    { label: '/var/log', path: '/var/log' },
  ]);
  assert.deepEqual(
    vitalsPaths('/lab/node').map((p) => p.path),
    ['/lab/node', '/lab/node/var/lib/etcd', '/lab/node/var/lib/kubelet', '/lab/node/var/log'],
  );
});
