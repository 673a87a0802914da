import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { chooseRuntime } from '../../../../src/sources/runtime/detect.js';
import { makeTempDir } from '../../../helpers/node-root.js';

async function listen(socket: string): Promise<net.Server> {
  fs.mkdirSync(path.dirname(socket), { recursive: true });
  const server = net.createServer().listen(socket);
  await new Promise((r) => server.once('listening', r));
  return server;
}

test('kubelet names the endpoint: used under --root; cri-dockerd means Docker underneath', () => {
  const root = '/mnt/node';
  const containerd = chooseRuntime(root, {
    value: 'unix:///run/containerd/containerd.sock',
    source: '--container-runtime-endpoint in kubeadm-flags.env',
  });
  assert.deepEqual(containerd, {
    kind: 'cri',
    endpoint: 'unix:///mnt/node/run/containerd/containerd.sock',
    source: '--container-runtime-endpoint in kubeadm-flags.env',
  });
  const criDockerd = chooseRuntime(root, { value: 'unix:///run/cri-dockerd.sock', source: 'x' });
  assert.ok(!('error' in criDockerd));
  assert.equal(criDockerd.kind, 'docker');
  assert.equal(criDockerd.endpoint, 'unix:///mnt/node/var/run/docker.sock');
  const flag = chooseRuntime(root, { value: 'unix:///tmp/lab/containerd.sock', source: '--runtime flag' });
  assert.ok(!('error' in flag));
  assert.equal(
    flag.endpoint,
    'unix:///tmp/lab/containerd.sock',
    'a --runtime flag is a path of this machine',
  );
  assert.match(
    JSON.stringify(chooseRuntime(root, { value: 'tcp://1.2.3.4:1', source: 'x' })),
    /only unix sockets/,
  );
});

test('nothing configured: the first well-known socket that is there', async () => {
  const root = makeTempDir();
  try {
    assert.match(
      JSON.stringify(chooseRuntime(root, { value: null, source: 'none' })),
      /no containerd, CRI-O or Docker socket/,
    );
    const docker = await listen(path.join(root, 'var/run/docker.sock'));
    const crio = await listen(path.join(root, 'run/crio/crio.sock'));
    const choice = chooseRuntime(root, { value: null, source: 'none' });
    assert.ok(!('error' in choice));
    assert.deepEqual([choice.kind, choice.endpoint], ['cri', `unix://${root}/run/crio/crio.sock`]);
    crio.close();
    docker.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
