// kubelet.service as systemd assembles it (unit files, drop-ins, environment, ExecStart= words), seen
// through discoverNode: the flags it finds and where it says they came from.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { discoverNode } from '../../../src/node/discover.js';
import { fakeNodeRoots, KUBEADM_DROP_IN, KUBEADM_FLAGS, kubeletConfig } from '../../helpers/kubelet-node.js';

const { makeRoot, kubeadmNode, removeAll } = fakeNodeRoots();
after(removeAll);

describe('systemd unit assembly', () => {
  test('a drop-in in /etc hides the same-named one in /usr/lib', async () => {
    const root = kubeadmNode({
      '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf': KUBEADM_DROP_IN.replace(
        '--config=/var/lib/kubelet/config.yaml',
        '--config=/etc/kubelet/custom.yaml',
      ),
      '/etc/kubelet/custom.yaml': kubeletConfig('staticPodPath: /etc/kubelet/pods'),
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.kubeletConfig, {
      value: `${root}/etc/kubelet/custom.yaml`,
      source: `--config in ${root}/etc/systemd/system/kubelet.service.d/10-kubeadm.conf`,
    });
    assert.equal(layout.manifests.value, `${root}/etc/kubelet/pods`);
  });

  test('drop-ins apply in name order across directories, and an empty ExecStart= resets', async () => {
    const root = kubeadmNode({
      '/etc/systemd/system/kubelet.service.d/05-early.conf':
        '[Service]\nExecStart=\nExecStart=/usr/bin/kubelet --pod-manifest-path=/early\n',
      '/lib/systemd/system/kubelet.service.d/20-late.conf':
        '[Service]\nExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_CONFIG_ARGS --pod-manifest-path=/late\n',
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.manifests, {
      value: `${root}/late`,
      source: `--pod-manifest-path in ${root}/lib/systemd/system/kubelet.service.d/20-late.conf`,
    });
    // 20-late.conf dropped $KUBELET_KUBEADM_ARGS, so the runtime flag is gone too.
    assert.equal(layout.runtimeEndpoint.value, null);
  });

  test('the unit in /etc wins over the one in /usr/lib', async () => {
    const root = makeRoot({
      '/etc/systemd/system/kubelet.service':
        '[Service]\nExecStart=/usr/bin/kubelet --pod-manifest-path=/etc-unit\n',
      '/usr/lib/systemd/system/kubelet.service':
        '[Service]\nExecStart=/usr/bin/kubelet --pod-manifest-path=/usr-unit\n',
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.manifests, {
      value: `${root}/etc-unit`,
      source: `--pod-manifest-path in ${root}/etc/systemd/system/kubelet.service`,
    });
  });

  test('quoted values keep their spaces, in unit files and environment files', async () => {
    const root = kubeadmNode({
      '/etc/systemd/system/kubelet.service.d/30-quotes.conf': [
        '[Service]',
        `Environment="EXTRA_ENDPOINT=--container-runtime-endpoint 'unix:///run/my runtime.sock'"`,
        'ExecStart=',
        'ExecStart=/usr/bin/kubelet $KUBELET_EXTRA_ARGS $EXTRA_ENDPOINT',
        '',
      ].join('\n'),
      '/etc/default/kubelet': `KUBELET_EXTRA_ARGS="--pod-manifest-path '/srv/static pods' --hostname-override=\\"Node A\\""\n`,
    });
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/srv/static pods`);
    assert.equal(layout.nodeName.value, 'node a');
    assert.equal(layout.runtimeEndpoint.value, 'unix:///run/my runtime.sock');
    assert.equal(
      layout.runtimeEndpoint.source,
      `--container-runtime-endpoint in ${root}/etc/systemd/system/kubelet.service.d/30-quotes.conf`,
    );
  });

  test('braced variables expand inside a word, a lone $VAR splits into words, $$ is a dollar', async () => {
    const root = makeRoot({
      '/etc/systemd/system/kubelet.service': [
        '[Service]',
        'Environment=DIR=/opt/pods "ARGS=--hostname-override=Braced --v=2"',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR} syntax, not a JS template
        'ExecStart=/usr/bin/kubelet --pod-manifest-path=${DIR}/static $ARGS --container-runtime-endpoint=unix:///x$$y',
        '',
      ].join('\n'),
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.manifests, {
      value: `${root}/opt/pods/static`,
      source: `--pod-manifest-path in ${root}/etc/systemd/system/kubelet.service`,
    });
    assert.equal(layout.nodeName.value, 'braced');
    assert.equal(layout.runtimeEndpoint.value, 'unix:///x$y');
  });

  test('with no unit, kubeadm-flags.env and config.yaml are still read', async () => {
    const root = makeRoot({
      '/var/lib/kubelet/kubeadm-flags.env': KUBEADM_FLAGS,
      '/var/lib/kubelet/config.yaml': kubeletConfig('staticPodPath: /etc/kubernetes/static'),
      '/etc/sysconfig/kubelet': 'KUBELET_EXTRA_ARGS=--hostname-override=RPM-Node\n',
    });
    const layout = await discoverNode({ root });
    assert.deepEqual(layout.kubeletConfig, {
      value: `${root}/var/lib/kubelet/config.yaml`,
      source: 'kubeadm default path',
    });
    assert.equal(layout.manifests.value, `${root}/etc/kubernetes/static`);
    assert.equal(layout.runtimeEndpoint.value, 'unix:///var/run/containerd/containerd.sock');
    assert.equal(layout.nodeName.value, 'rpm-node');
    assert.deepEqual(layout.problems, []);
  });

  test('config.yaml is still read when the unit passes no --config, and the source says so', async () => {
    const root = makeRoot({
      '/etc/systemd/system/kubelet.service': '[Service]\nExecStart=/usr/bin/kubelet\n',
      '/var/lib/kubelet/config.yaml': kubeletConfig('staticPodPath: /etc/kubernetes/static'),
    });
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/etc/kubernetes/static`);
    assert.equal(
      layout.kubeletConfig.source,
      `kubeadm default path, although ${root}/etc/systemd/system/kubelet.service passes no --config`,
    );
  });

  test('a missing required EnvironmentFile is a problem, an optional one is not', async () => {
    const root = makeRoot({
      '/etc/systemd/system/kubelet.service':
        '[Service]\nEnvironmentFile=/etc/kubelet.env\nEnvironmentFile=-/etc/optional.env\nExecStart=/usr/bin/kubelet\n',
    });
    const layout = await discoverNode({ root });
    assert.equal(layout.problems.filter((p) => p.includes('/etc/kubelet.env')).length, 1);
    assert.ok(!layout.problems.some((p) => p.includes('optional.env')));
  });

  test('a unit masked with a symlink to /dev/null falls back to kubeadm files', async () => {
    const root = makeRoot({
      '/var/lib/kubelet/kubeadm-flags.env': 'KUBELET_KUBEADM_ARGS=--pod-manifest-path=/fallback\n',
    });
    fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    fs.symlinkSync('/dev/null', path.join(root, 'etc/systemd/system/kubelet.service'));
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/fallback`);
    assert.ok(layout.problems.some((p) => p.includes('empty or masked')));
  });

  test('absolute symlinks resolve inside the root, not on this machine', async () => {
    const root = makeRoot({
      '/opt/kubelet/kubelet.service': '[Service]\nExecStart=/usr/bin/kubelet --pod-manifest-path=/linked\n',
    });
    fs.mkdirSync(path.join(root, 'etc/systemd/system'), { recursive: true });
    fs.symlinkSync('/opt/kubelet/kubelet.service', path.join(root, 'etc/systemd/system/kubelet.service'));
    const layout = await discoverNode({ root });
    assert.equal(layout.manifests.value, `${root}/linked`);
  });
});
