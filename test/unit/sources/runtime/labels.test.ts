import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  exitReason,
  nanosToDate,
  parseDockerKubeName,
  restartCountOf,
} from '../../../../src/sources/runtime/labels.js';

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
