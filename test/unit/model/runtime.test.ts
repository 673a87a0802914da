import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podViews } from '../../../src/model/pod-view.js';
import { joinRuntime } from '../../../src/model/runtime.js';
import { staticPodsOf } from '../../../src/model/static-pods.js';
import { parseManifestText } from '../../../src/sources/manifests/parse.js';
import type { ManifestDirSnapshot, ManifestFile } from '../../../src/sources/manifests/types.js';
import { container, sandbox } from '../../helpers/runtime-fixtures.js';

function manifestDir(files: [string, string][]): ManifestDirSnapshot {
  return {
    dir: '/etc/kubernetes/manifests',
    error: null,
    findings: [],
    files: files.map(
      ([name, text]): ManifestFile => ({
        name,
        displayName: name,
        rawName: Buffer.from(name),
        path: `/etc/kubernetes/manifests/${name}`,
        kind: 'file',
        loadedByKubelet: true,
        symlinkTarget: null,
        mode: 0o600,
        uid: 0,
        gid: 0,
        size: text.length,
        mtimeMs: 0,
        ctimeMs: 0,
        sha256: null,
        text,
        pods: parseManifestText(text, 'm1').pods,
        findings: [],
      }),
    ),
  };
}

const pod = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: kube-system}\nspec:\n  containers: [{name: ${name}, image: x}]\n`;

test('the newest attempt wins, and the one before it explains the restart', () => {
  const pods = staticPodsOf(manifestDir([['kube-apiserver.yaml', pod('kube-apiserver')]]), null);
  const joined = joinRuntime(
    pods,
    [sandbox({})],
    [
      container({ id: 'a0', attempt: 0, state: 'exited', exitCode: 137, reason: 'OOMKilled' }),
      container({ id: 'a2', attempt: 2, restartCount: 2, state: 'running' }),
      container({ id: 'a1', attempt: 1, state: 'exited', exitCode: 1, reason: 'Error' }),
    ],
  );
  const view = joined.byStaticPod.get(pods[0]!)!;
  assert.equal(view.containers.length, 1);
  assert.equal(view.containers[0]!.id, 'a2');
  assert.equal(view.containers[0]!.restartCount, 2);
  assert.deepEqual(view.containers[0]!.lastTermination, { exitCode: 1, reason: 'Error', finishedAt: null });
  assert.equal(view.running, true);
  assert.deepEqual(joined.podsWithoutManifest, []);
});

test('a fixed manifest is a new pod: its fresh container is shown, not the old pod crash-looping', () => {
  const pods = staticPodsOf(manifestDir([['kube-apiserver.yaml', pod('kube-apiserver')]]), null);
  const joined = joinRuntime(
    pods,
    [
      sandbox({ id: 'old', podUid: 'u-old', state: 'notready', createdAt: new Date(1_000) }),
      sandbox({ id: 'new', podUid: 'u-new', state: 'ready', createdAt: new Date(9_000) }),
    ],
    [
      container({
        id: 'o7',
        podUid: 'u-old',
        attempt: 7,
        restartCount: 7,
        state: 'exited',
        exitCode: 1,
        reason: 'Error',
      }),
      container({ id: 'n0', podUid: 'u-new', attempt: 0, state: 'running' }),
    ],
  );
  const view = joined.byStaticPod.get(pods[0]!)!;
  assert.equal(view.containers[0]!.id, 'n0');
  assert.equal(view.containers[0]!.state, 'running');
  assert.equal(view.containers[0]!.restartCount, 0);
});

test('a running file pod no manifest claims is listed; one of another node or source is not', () => {
  const pods = staticPodsOf(manifestDir([['etcd.yaml', pod('etcd')]]), null);
  const joined = joinRuntime(
    pods,
    [
      sandbox({ id: 's1', podName: 'kube-apiserver-m1' }),
      sandbox({ id: 's2', podName: 'coredns-abc', configSource: 'api' }),
      sandbox({ id: 's3', podName: 'old-exited-m1', state: 'notready' }),
    ],
    [container({ sandboxId: 's1' }), container({ podName: 'coredns-abc', sandboxId: 's2' })],
  );
  assert.deepEqual(
    joined.podsWithoutManifest.map((p) => p.podName),
    ['kube-apiserver-m1'],
  );
});

test("a running pod from kubelet's HTTP source is its own row: its state, the URL as its origin, nothing to move", () => {
  const pods = staticPodsOf(manifestDir([['etcd.yaml', pod('etcd')]]), null);
  const joined = joinRuntime(
    pods,
    [
      sandbox({ id: 's1', podName: 'from-url-m1', configSource: 'http' }),
      sandbox({ id: 's2', podName: 'gone-m1', configSource: 'http', state: 'notready' }),
    ],
    [container({ podName: 'from-url-m1', sandboxId: 's1', name: 'web' })],
  );
  assert.deepEqual(joined.podsWithoutManifest, [], 'a pod from the URL is not one whose file is gone');
  assert.deepEqual(
    joined.podsFromUrl.map((p) => p.podName),
    ['from-url-m1'],
  );
  const rows = podViews({
    staticPods: pods,
    runtime: joined.byStaticPod,
    podsWithoutManifest: joined.podsWithoutManifest,
    podsFromUrl: joined.podsFromUrl,
    health: new Map(),
  });
  const row = rows.find((r) => r.origin === 'url')!;
  assert.equal(row.key, 'url:kube-system/from-url-m1');
  assert.equal(row.phase, 'running');
  assert.equal(row.enabled, null, 'no file to disable or enable');
  assert.deepEqual(
    row.alerts.map((a) => [a.code, a.severity]),
    [['from-url', 'warning']],
  );
  assert.match(row.alerts[0]!.message, /moving files in the manifest directory does not stop it/);
  assert.equal(rows.at(-1), row, 'after the pods from files');
});
