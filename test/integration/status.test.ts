// The JSON that scripts rely on (documented in the README), from the real binary on a kubeadm layout.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { kubeadmManifest, makeNodeRoot, type NodeRoot } from '../helpers/node-root.js';
import { breakglass, breakglassJson } from '../helpers/run.js';

interface Status {
  node: { name: string };
  paths: Record<string, { value: string | null; source: string }>;
  staticPods: { name: string | null; file: string; enabled: boolean; findings: { code: string }[] }[];
  findings: { file: string; severity: string; message: string }[];
}

let node: NodeRoot;
before(() => {
  // kubelet's own configuration moves the manifests to a non-default place.
  node = makeNodeRoot({ manifests: [] });
  const staticDir = path.join(node.root, 'srv/static-pods');
  fs.mkdirSync(staticDir, { recursive: true, mode: 0o700 });
  for (const name of ['etcd.yaml', 'kube-apiserver.yaml', 'kube-scheduler.yaml']) {
    fs.writeFileSync(path.join(staticDir, name), kubeadmManifest(name), { mode: 0o600 });
  }
  fs.mkdirSync(path.join(node.root, 'var/lib/kubelet'), { recursive: true });
  fs.writeFileSync(
    path.join(node.root, 'var/lib/kubelet/config.yaml'),
    'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: /srv/static-pods\n',
  );
  fs.writeFileSync(
    path.join(node.root, 'var/lib/kubelet/kubeadm-flags.env'),
    'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --hostname-override=CP-1"\n',
  );
});
after(() => node.cleanup());

test('status --json: where each path came from, and every static pod with enabled and findings', () => {
  const { result, json } = breakglassJson<Status>(['status', ...node.flags]);
  // The runtime kubelet names does not exist under this root: a problem, so exit 1, and the rest is there.
  assert.equal(result.status, 1, result.stderr);
  assert.match(JSON.stringify(json), /"error":".*containerd\.sock: no such socket"/);
  assert.equal(json.node.name, 'cp-1');
  assert.deepEqual(json.paths.manifests, {
    value: path.join(node.root, 'srv/static-pods'),
    source: `staticPodPath in ${node.root}/var/lib/kubelet/config.yaml`,
  });
  assert.equal(json.paths.holding!.value, path.join(node.root, 'srv/breakglass/disabled'));
  assert.equal(json.paths.runtimeEndpoint!.value, 'unix:///run/containerd/containerd.sock');
  assert.equal(json.paths.etcdDataDir!.value, path.join(node.root, 'var/lib/etcd'));
  assert.match(json.paths.etcdDataDir!.source, /--data-dir in etcd\.yaml/);
  assert.deepEqual(
    json.staticPods.map((p) => [p.name, p.file, p.enabled, p.findings.length]),
    [
      ['etcd', 'etcd.yaml', true, 0],
      ['kube-apiserver', 'kube-apiserver.yaml', true, 0],
      ['kube-scheduler', 'kube-scheduler.yaml', true, 0],
    ],
  );
});

test('explicit flags override every path, and status says so', () => {
  const { json } = breakglassJson<Status>([
    'status',
    ...node.flags,
    '--runtime',
    'unix:///run/crio/crio.sock',
    '--pki',
    '/srv/pki',
    '--etcd-data-dir',
    '/data/etcd',
    '--node-name',
    'Other',
    '--holding',
    '/srv/held',
  ]);
  assert.deepEqual(json.paths.runtimeEndpoint, {
    value: 'unix:///run/crio/crio.sock',
    source: '--runtime flag',
  });
  assert.deepEqual(json.paths.pki, { value: '/srv/pki', source: '--pki flag' });
  assert.deepEqual(json.paths.etcdDataDir, { value: '/data/etcd', source: '--etcd-data-dir flag' });
  assert.equal(json.node.name, 'other');
  assert.deepEqual(json.paths.holding, { value: '/srv/held', source: '--holding flag' });
});

test('a disabled pod is listed with enabled: false; a stray copy makes status exit 1', () => {
  assert.equal(breakglass(['disable', 'kube-scheduler', ...node.flags]).status, 0);
  fs.writeFileSync(path.join(node.root, 'srv/static-pods/etcd.yaml.bak'), kubeadmManifest('etcd.yaml'), {
    mode: 0o600,
  });
  const { result, json } = breakglassJson<Status>(['status', ...node.flags]);
  assert.equal(result.status, 1);
  const scheduler = json.staticPods.find((p) => p.name === 'kube-scheduler')!;
  assert.equal(scheduler.enabled, false);
  const bak = json.staticPods.find((p) => p.file === 'etcd.yaml.bak')!;
  assert.equal(bak.enabled, true);
  assert.deepEqual(bak.findings.map((f) => f.code).sort(), ['duplicate-pod', 'stray-copy']);
  const text = breakglass(['status', ...node.flags]).stdout;
  assert.match(text, /disabled\s+kube-scheduler\s+kube-scheduler\.yaml/);
  assert.match(
    text,
    /error\s+etcd\.yaml\.bak: .*kubelet loads every file whose name does not start with a dot/,
  );
});

test('lint --json lists findings with file, severity and message; lint text never prints a raw escape', () => {
  fs.writeFileSync(path.join(node.root, 'srv/static-pods', 'x\x1b]0;pwned\x07.yaml'), 'kind: Pod\n', {
    mode: 0o600,
  });
  const { result, json } = breakglassJson<{ findings: Status['findings'] }>(['lint', ...node.flags]);
  assert.equal(result.status, 1);
  assert.ok(json.findings.every((f) => typeof f.file === 'string' && f.severity && f.message));
  assert.ok(json.findings.some((f) => f.file === 'x\\x1b]0;pwned\\x07.yaml'));
  const text = breakglass(['lint', ...node.flags]);
  assert.doesNotMatch(text.stdout + text.stderr, /[\x07\x1b]/);
});
