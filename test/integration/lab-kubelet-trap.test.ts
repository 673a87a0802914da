// The trap, with the lab's kubelet stand-in on the lab's containerd: kubelet restarted while the API server
// is down adopts the pods that run, and keeps the pod of a removed manifest until the API server answers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  breakglassStatus,
  criStandIns,
  criView,
  FILE_CHECK_MS,
  KUBELET_WAIT,
  podYaml,
  running,
  TestApiServer,
  uidOf,
  waitRunning,
  writeManifest,
} from '../helpers/kubelet-standin.js';
import { until } from '../helpers/wait.js';

describe('the lab kubelet stand-in over CRI', { timeout: 300_000 }, () => {
  const { client, endpoint, newNode, startStandIn } = criStandIns();

  test('the trap: restarted with the API server down, a removed manifest keeps its pod; adoption, no duplicates', async () => {
    const node = newNode('trap');
    const mirror = 'apiserver-kubelet-test-trap';
    const first = startStandIn(node);
    writeManifest(
      node,
      'apiserver.yaml',
      podYaml('apiserver', [
        { name: 'apiserver', script: 'echo serving; exec sleep 3600' },
        { name: 'crasher', script: 'exit 1' },
      ]),
    );
    const before = await waitRunning(client, mirror, 'apiserver');
    await until(
      'crasher attempt 1',
      async () =>
        (await criView(client, mirror)).containers.some(
          (c) => c.metadata?.name === 'crasher' && c.metadata.attempt >= 1,
        )
          ? true
          : null,
      KUBELET_WAIT,
    );
    const stopped = await first.stop();
    assert.equal(stopped.code, 0);
    assert.ok(stopped.ms < 2_000, `SIGTERM took ${stopped.ms} ms`);
    const afterStop = await criView(client, mirror);
    assert.equal(
      running(afterStop, 'apiserver')?.id,
      running(before, 'apiserver')!.id,
      'pods outlive kubelet',
    );
    const crasherAttempts = afterStop.containers
      .filter((c) => c.metadata?.name === 'crasher')
      .map((c) => c.metadata!.attempt);

    const apiserver = await TestApiServer.create(node);
    const second = startStandIn(node);
    await second.waitForLog(
      /"Unable to reach the API server; sources aren't ready" err="connect ECONNREFUSED/,
    );
    await second.waitForLog(
      /"Found the pod running already: adopting it" pod="kube-system\/apiserver-kubelet-test-trap"/,
    );
    await second.waitForLog(
      /"Restarted container" pod="kube-system\/apiserver-kubelet-test-trap" containerName="crasher"/,
    );
    const adopted = await criView(client, mirror);
    assert.equal(adopted.sandboxes.length, 1, 'no second sandbox');
    assert.equal(adopted.sandboxes[0]!.id, before.sandboxes[0]!.id);
    assert.equal(running(adopted, 'apiserver')?.id, running(before, 'apiserver')!.id, 'not restarted');
    const restartedAttempt = Math.max(
      ...adopted.containers.filter((c) => c.metadata?.name === 'crasher').map((c) => c.metadata!.attempt),
    );
    assert.ok(restartedAttempt > Math.max(...crasherAttempts), 'attempts go on from the runtime');

    fs.rmSync(path.join(node.manifests, 'apiserver.yaml'));
    await second.waitForLog(
      /"Skipping delete because sources aren't ready yet" pod="kube-system\/apiserver-kubelet-test-trap" podUID="[0-9a-f]{32}"/,
    );
    await sleep(2 * FILE_CHECK_MS + 1_000);
    const kept = await criView(client, mirror);
    assert.equal(running(kept, 'apiserver')?.id, running(before, 'apiserver')!.id, 'the pod keeps running');
    const orphan = breakglassStatus(node, endpoint).podsWithoutManifest.find((p) => p.podName === mirror);
    assert.ok(orphan, 'breakglass shows it running with no manifest');

    // A fixed manifest is a new UID with the same pod name: it waits for the old pod, which never goes.
    writeManifest(
      node,
      'apiserver.yaml',
      podYaml('apiserver', [{ name: 'apiserver', script: 'exec sleep 3600' }]),
    );
    const fixedUid = uidOf(node, 'apiserver.yaml', 'apiserver');
    await second.waitForLog(
      new RegExp(
        `"Pod cannot start yet: a pod with the same full name is still running" .*podUID="${fixedUid}"`,
      ),
    );
    await sleep(FILE_CHECK_MS);
    assert.deepEqual(
      (await criView(client, mirror)).sandboxes.map((s) => s.id),
      [before.sandboxes[0]!.id],
      'still only the old pod',
    );

    const readyAt = Date.now();
    await apiserver.listen();
    try {
      await second.waitForLog(/"API server answered: all sources ready"/);
      const replaced = await until(
        'the old pod removed and the fixed one running',
        async () => {
          const view = await criView(client, mirror);
          const uids = view.sandboxes.map((s) => s.metadata?.uid);
          return running(view, 'apiserver') && uids.length === 1 && uids[0] === fixedUid ? view : null;
        },
        KUBELET_WAIT,
      );
      assert.notEqual(running(replaced, 'apiserver')!.id, running(before, 'apiserver')!.id);
      process.stderr.write(
        `# API server up -> old pod removed, fixed pod running: ${Date.now() - readyAt} ms\n`,
      );
    } finally {
      await apiserver.close();
    }
  });
});
