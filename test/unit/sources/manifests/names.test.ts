import assert from 'node:assert/strict';
import { test } from 'node:test';
import { strayCopy } from '../../../../src/sources/manifests/names.js';

test('stray copy names', () => {
  for (const name of [
    'kube-apiserver.yaml.bak',
    'kube-apiserver.yaml~',
    '4913',
    'etcd.yaml.12345',
    'etcd.yaml.orig',
    'kube-apiserver.yaml.disabled',
    'etcd-backup.yaml',
    'etcd.old.yaml',
    'kube-apiserver.yaml.swp',
    '#etcd.yaml#',
    'etcd.yaml.2024-01-01',
    'kube-scheduler (copy).yaml',
  ]) {
    assert.ok(strayCopy(name), name);
  }
  for (const name of [
    'etcd.yaml',
    'kube-apiserver.yaml',
    'kube-vip.yaml',
    'coldstart.yaml',
    'origin-proxy.json',
  ]) {
    assert.equal(strayCopy(name), null, name);
  }
});
