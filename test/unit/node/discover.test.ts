import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { discoverNode, rootPath } from '../../../src/node/discover.js';
import { fakeNodeRoots, kubeletConfig } from '../../helpers/kubelet-node.js';

const { makeRoot, kubeadmNode, removeAll } = fakeNodeRoots();
after(removeAll);

describe('rootPath', () => {
  test('joins a node path under the root', () => {
    assert.equal(rootPath('/mnt/node', '/etc/kubernetes'), '/mnt/node/etc/kubernetes');
    assert.equal(rootPath('/', '/etc/kubernetes'), '/etc/kubernetes');
  });

  test('cannot climb out of the root', () => {
    assert.equal(rootPath('/mnt/node', '/../../etc/passwd'), '/mnt/node/etc/passwd');
    assert.equal(rootPath('/mnt/node', 'etc/hostname'), '/mnt/node/etc/hostname');
  });
});

describe('discoverNode on a kubeadm node', () => {
  test('takes the manifest directory from staticPodPath in config.yaml named by --config', async () => {
    const root = kubeadmNode();
    const layout = await discoverNode({ root });
    const dropIn = `${root}/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf`;

    assert.equal(layout.root, root);
    assert.deepEqual(layout.manifests, {
      value: `${root}/etc/kubernetes/static`,
      source: `staticPodPath in ${root}/var/lib/kubelet/config.yaml`,
    });
    assert.deepEqual(layout.kubeletConfig, {
      value: `${root}/var/lib/kubelet/config.yaml`,
      source: `--config in ${dropIn}`,
    });
    assert.deepEqual(layout.runtimeEndpoint, {
      value: 'unix:///var/run/containerd/containerd.sock',
      source: `--container-runtime-endpoint in ${root}/var/lib/kubelet/kubeadm-flags.env`,
    });
    assert.deepEqual(layout.pki, { value: `${root}/etc/kubernetes/pki`, source: 'kubeadm default' });
    assert.deepEqual(layout.holding, {
      value: `${root}/etc/kubernetes/breakglass/disabled`,
      source: 'breakglass default: beside the manifest directory',
    });
    assert.deepEqual(layout.stateDir, { value: `${root}/var/lib/breakglass`, source: 'breakglass default' });
    assert.deepEqual(layout.problems, []);
  });

  test('--pod-manifest-path in kubeadm-flags.env overrides staticPodPath', async () => {
    const root = kubeadmNode({
      '/var/lib/kubelet/kubeadm-flags.env': 'KUBELET_KUBEADM_ARGS="--pod-manifest-path=/etc/kubelet.d"\n',
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.manifests, {
      value: `${root}/etc/kubelet.d`,
      source: `--pod-manifest-path in ${root}/var/lib/kubelet/kubeadm-flags.env`,
    });
  });

  test('a flag in /etc/default/kubelet (KUBELET_EXTRA_ARGS) beats the same flag in kubeadm-flags.env', async () => {
    const root = kubeadmNode({
      '/var/lib/kubelet/kubeadm-flags.env': 'KUBELET_KUBEADM_ARGS=--pod-manifest-path=/first\n',
      '/etc/default/kubelet': 'KUBELET_EXTRA_ARGS=--pod-manifest-path /second\n',
    });
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/second`);
    assert.equal(layout.manifests.source, `--pod-manifest-path in ${root}/etc/default/kubelet`);
  });

  test('a relative staticPodPath is resolved against the config file directory', async () => {
    const root = kubeadmNode({ '/var/lib/kubelet/config.yaml': kubeletConfig('staticPodPath: manifests') });
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/var/lib/kubelet/manifests`);
  });
});

describe('kubelet flags', () => {
  test('the last repeated flag wins, underscores count as dashes, --flag value works', async () => {
    const root = makeRoot({
      '/etc/systemd/system/kubelet.service':
        '[Service]\nExecStart=/usr/bin/kubelet --pod-manifest-path /a --pod_manifest_path=/b --v 2 --fail-swap-on\n',
    });
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/b`);
  });

  test('containerRuntimeEndpoint comes from the config, unless a flag sets it', async () => {
    const config = kubeletConfig('containerRuntimeEndpoint: unix:///run/crio/crio.sock');
    const fromConfig = await discoverNode({
      root: kubeadmNode({ '/var/lib/kubelet/kubeadm-flags.env': '', '/var/lib/kubelet/config.yaml': config }),
    });
    assert.deepEqual(fromConfig.runtimeEndpoint, {
      value: 'unix:///run/crio/crio.sock',
      source: `containerRuntimeEndpoint in ${fromConfig.root}/var/lib/kubelet/config.yaml`,
    });

    const fromFlag = await discoverNode({ root: kubeadmNode({ '/var/lib/kubelet/config.yaml': config }) });
    assert.equal(fromFlag.runtimeEndpoint.value, 'unix:///var/run/containerd/containerd.sock');
    assert.match(fromFlag.runtimeEndpoint.source, /^--container-runtime-endpoint in .*kubeadm-flags\.env$/);
  });

  test('--config-dir drop-ins are merged over the config file in name order', async () => {
    const root = kubeadmNode({
      '/etc/default/kubelet': 'KUBELET_EXTRA_ARGS=--config-dir=/etc/kubernetes/kubelet.conf.d\n',
      '/etc/kubernetes/kubelet.conf.d/10-a.conf': 'staticPodPath: /from-10\n',
      '/etc/kubernetes/kubelet.conf.d/20-b.conf': 'staticPodPath: /from-20\n',
      '/etc/kubernetes/kubelet.conf.d/30-ignored.yaml': 'staticPodPath: /not-a-conf\n',
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.manifests, {
      value: `${root}/from-20`,
      source: `staticPodPath in ${root}/etc/kubernetes/kubelet.conf.d/20-b.conf`,
    });
  });
});

describe('node name', () => {
  test('--hostname-override is lowercased', async () => {
    const root = kubeadmNode({
      '/etc/default/kubelet': 'KUBELET_EXTRA_ARGS=--hostname-override=CP-One.Example\n',
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.nodeName, {
      value: 'cp-one.example',
      source: `--hostname-override in ${root}/etc/default/kubelet (lowercased)`,
    });
  });

  test('under a root, /etc/hostname names the node', async () => {
    const root = makeRoot({ '/etc/hostname': '# set by installer\nWorker-7\n' });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.nodeName, { value: 'worker-7', source: `${root}/etc/hostname (lowercased)` });
  });

  test('under a root without /etc/hostname, this machine’s host name is used and said so', async () => {
    const layout = await discoverNode({ root: makeRoot() });
    assert.equal(layout.nodeName.value, os.hostname().toLowerCase());
    assert.match(layout.nodeName.source, /^host name of this machine/);
  });
});

describe('missing and broken files', () => {
  test('an empty root gives kubeadm defaults and one problem line, without throwing', async () => {
    const root = makeRoot();
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.manifests, {
      value: `${root}/etc/kubernetes/manifests`,
      source: 'kubeadm default',
    });
    assert.deepEqual(layout.kubeletConfig, { value: null, source: 'none found' });
    assert.equal(layout.runtimeEndpoint.value, null);
    assert.equal(layout.pki.value, `${root}/etc/kubernetes/pki`);
    assert.deepEqual(layout.problems, [
      `found no kubelet.service, kubeadm flags or kubelet config under ${root}; using kubeadm defaults`,
    ]);
  });

  test('a root that does not exist behaves like an empty one', async () => {
    const root = path.join(makeRoot(), 'nowhere');
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/etc/kubernetes/manifests`);
    assert.equal(layout.problems.length, 1);
  });

  test('a broken config.yaml is a problem with its line number; discovery goes on', async () => {
    const root = kubeadmNode({
      '/var/lib/kubelet/config.yaml':
        'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: a: b\n',
    });
    const layout = await discoverNode({ root });
    const parseProblem = layout.problems.find((p) => p.startsWith('cannot parse'));
    assert.ok(parseProblem, `problems: ${layout.problems.join(' | ')}`);
    assert.match(
      parseProblem,
      /^cannot parse .*\/var\/lib\/kubelet\/config\.yaml: .+ at line 3, column \d+$/,
    );
    assert.equal(layout.kubeletConfig.value, `${root}/var/lib/kubelet/config.yaml`);
    assert.deepEqual(layout.manifests, {
      value: `${root}/etc/kubernetes/manifests`,
      source: 'kubeadm default',
    });
    assert.equal(layout.runtimeEndpoint.value, 'unix:///var/run/containerd/containerd.sock');
    assert.ok(layout.problems.some((p) => p.includes('neither --pod-manifest-path nor staticPodPath')));
  });

  test('a config.yaml that is not a mapping is a problem', async () => {
    const root = kubeadmNode({ '/var/lib/kubelet/config.yaml': '- just\n- a list\n' });
    const layout = await discoverNode({ root });
    assert.ok(layout.problems.some((p) => p.includes('not a YAML mapping')));
  });

  test('--config naming a missing file is a problem and no config is reported', async () => {
    const root = kubeadmNode();
    fs.rmSync(path.join(root, 'var/lib/kubelet/config.yaml'));
    const layout = await discoverNode({ root });
    assert.equal(layout.kubeletConfig.value, null);
    assert.ok(layout.problems.some((p) => p.includes('config.yaml') && p.includes('does not exist')));
  });

  test('an unreadable file is a problem, not an exception', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root reads files whatever their mode');
      return;
    }
    const root = kubeadmNode();
    fs.chmodSync(path.join(root, 'var/lib/kubelet/config.yaml'), 0o000);
    const layout = await discoverNode({ root });
    assert.ok(layout.problems.some((p) => p.includes('permission denied')));
  });

  test('a config path that is a directory is a problem', async () => {
    const root = kubeadmNode();
    fs.rmSync(path.join(root, 'var/lib/kubelet/config.yaml'));
    fs.mkdirSync(path.join(root, 'var/lib/kubelet/config.yaml'));
    const layout = await discoverNode({ root });
    assert.ok(layout.problems.includes(`cannot read ${root}/var/lib/kubelet/config.yaml: is a directory`));
  });

  test('a drop-in directory that is a file is skipped without throwing', async () => {
    const root = kubeadmNode({ '/etc/systemd/system/kubelet.service.d': 'not a directory' });
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/etc/kubernetes/static`);
  });
});

describe('explicit options', () => {
  test('override everything kubelet says, and are used as given', async () => {
    const root = kubeadmNode({
      '/etc/default/kubelet': 'KUBELET_EXTRA_ARGS=--hostname-override=from-kubelet\n',
    });
    const layout = await discoverNode({
      root,
      manifests: '/srv/manifests',
      holding: '/srv/holding',
      stateDir: '/srv/state',
      nodeName: 'Explicit-Node',
      runtime: 'unix:///run/other.sock',
    });
    assert.deepEqual(layout.manifests, { value: '/srv/manifests', source: '--manifests flag' });
    assert.deepEqual(layout.holding, { value: '/srv/holding', source: '--holding flag' });
    assert.deepEqual(layout.stateDir, { value: '/srv/state', source: '--state-dir flag' });
    assert.deepEqual(layout.nodeName, { value: 'explicit-node', source: '--node-name flag' });
    assert.deepEqual(layout.runtimeEndpoint, { value: 'unix:///run/other.sock', source: '--runtime flag' });
  });

  test('relative explicit paths are made absolute', async () => {
    const layout = await discoverNode({ root: makeRoot(), manifests: 'rel/manifests' });
    assert.equal(layout.manifests.value, path.resolve('rel/manifests'));
  });
});
