// Where each component serves TLS and with which file, from its flags: loopback only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servingEndpoints } from '../../../src/node/serving.js';
import type { ContainerSpec } from '../../../src/sources/manifests/types.js';

const container = (flags: Record<string, string>): ContainerSpec => ({
  name: 'c',
  image: 'i',
  argv: [],
  flags,
  volumeMounts: [],
});

test("the API server on its secure port, etcd on its first loopback client and peer URLs; another host's address is not asked", () => {
  assert.deepEqual(
    servingEndpoints('kube-apiserver', [
      container({ 'tls-cert-file': '/p/apiserver.crt', 'secure-port': '6443', 'bind-address': '10.0.0.5' }),
    ]),
    [],
  );
  assert.deepEqual(servingEndpoints('kube-apiserver', [container({ 'tls-cert-file': '/p/apiserver.crt' })]), [
    { pod: 'kube-apiserver', certFile: '/p/apiserver.crt', host: '127.0.0.1', port: 6443 },
  ]);
  assert.deepEqual(
    servingEndpoints('etcd', [
      container({
        'cert-file': '/p/etcd/server.crt',
        'listen-client-urls': 'https://10.0.0.5:2379,https://127.0.0.1:2379',
        'peer-cert-file': '/p/etcd/peer.crt',
        'listen-peer-urls': 'https://10.0.0.5:2380',
      }),
    ]),
    [{ pod: 'etcd', certFile: '/p/etcd/server.crt', host: '127.0.0.1', port: 2379 }],
  );
  assert.deepEqual(
    servingEndpoints('kube-scheduler', [container({})]),
    [],
    'self-signed: no file to compare',
  );
});
