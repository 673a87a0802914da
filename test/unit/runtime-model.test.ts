import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuntimeError } from '../../src/clients/runtime-error.js';
import { joinRuntime } from '../../src/model/runtime.js';
import { staticPodsOf } from '../../src/model/static-pods.js';
import { parseManifestText } from '../../src/sources/manifests/parse.js';
import type { ManifestDirSnapshot, ManifestFile } from '../../src/sources/manifests/types.js';
import { criRuntimeInfo } from '../../src/sources/runtime/cri.js';
import { DockerLogSplitter, parseDockerEvent } from '../../src/sources/runtime/docker.js';
import {
  exitReason,
  nanosToDate,
  parseDockerKubeName,
  restartCountOf,
} from '../../src/sources/runtime/labels.js';
import { container, sandbox } from '../helpers/runtime-fixtures.js';

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
        sha256: null,
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

test('CRI: only runtime.v1 is spoken', () => {
  const v = {
    version: '0.1.0',
    runtimeName: 'containerd',
    runtimeVersion: '1.5.9',
    runtimeApiVersion: 'v1alpha2',
  };
  assert.throws(
    () => criRuntimeInfo('unix:///run/containerd/containerd.sock', v),
    (err: unknown) =>
      err instanceof RuntimeError &&
      err.reason === 'unsupported' &&
      /v1alpha2 is not supported/.test(err.message),
  );
  assert.equal(criRuntimeInfo('e', { ...v, runtimeApiVersion: 'v1' }).name, 'containerd');
});

test("kubelet's names, times and reasons read back", () => {
  assert.deepEqual(parseDockerKubeName('/k8s_etcd_etcd-m1_kube-system_0123abcd_3'), {
    container: 'etcd',
    podName: 'etcd-m1',
    namespace: 'kube-system',
    podUid: '0123abcd',
    attempt: 3,
  });
  assert.equal(parseDockerKubeName('/some_other_container'), null);
  assert.equal(nanosToDate('0'), null);
  assert.equal(nanosToDate('1700000000123456789')!.toISOString(), '2023-11-14T22:13:20.123Z');
  assert.equal(exitReason('exited', 0, null), 'Completed');
  assert.equal(exitReason('exited', 137, null), 'Error');
  assert.equal(exitReason('exited', 137, 'OOMKilled'), 'OOMKilled');
  assert.equal(exitReason('running', null, null), null);
  assert.equal(restartCountOf(4, { 'io.kubernetes.container.restartCount': '2' }), 2);
  assert.equal(restartCountOf(4, {}), 4);
});

test('Docker log frames: split across chunks, 16 KiB messages joined, stderr apart, escapes removed', () => {
  const frame = (stream: 1 | 2, text: string) => {
    const body = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body]);
  };
  const ts = '2026-01-01T00:00:00.000000001Z';
  const stream = Buffer.concat([
    frame(1, `${ts} first half `),
    frame(2, `${ts} \x1b[31merror\x1b[0m line\n`),
    frame(1, `${ts} second half\n`),
  ]);
  const splitter = new DockerLogSplitter(false);
  const lines = [
    ...splitter.push(stream.subarray(0, 11)),
    ...splitter.push(stream.subarray(11)),
    ...splitter.flush(),
  ];
  assert.deepEqual(
    lines.map((l) => [l.stream, l.text]),
    [
      ['stderr', 'error line'],
      ['stdout', 'first half second half'],
    ],
  );
  assert.equal(lines[1]!.time!.toISOString(), '2026-01-01T00:00:00.000Z');
});

test('Docker events: container events become changes, others are ignored', () => {
  assert.deepEqual(parseDockerEvent('{"Type":"container","Action":"die","Actor":{"ID":"abc"}}'), {
    kind: 'changed',
    containerId: 'abc',
    sandboxId: null,
    what: 'die',
  });
  assert.equal(parseDockerEvent('{"Type":"network","Action":"connect"}'), null);
  assert.equal(parseDockerEvent('not json'), null);
});
