// The store against the lab: what kubelet does is in its facts within seconds (the runtime's events
// are listed at once, not at the 30 s safety re-list), and the model made from them says it.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { nodeModel } from '../../src/model/node.js';
import { discoverNode, manifestDirsOf } from '../../src/node/discover.js';
import { scanBoth } from '../../src/sources/manifests/scan.js';
import { locateEtcdDataDir } from '../../src/store/once.js';
import { NodeStore } from '../../src/store/store.js';
import { labEnv } from '../helpers/lab.js';
import { breakglass } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();
let store: NodeStore | null = null;

after(async () => {
  await store?.close();
  breakglass(['enable', 'kube-scheduler', '--root', lab.nodeRoot]);
  await until(
    'the lab healthy again',
    async () => (await componentHealth(labPorts(lab.portOffset))).every((h) => h.healthy),
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
});

test('a pod kubelet stops is seen stopped within seconds, also right after a listing', async () => {
  const layout = await discoverNode({ root: lab.nodeRoot });
  const dirs = scanBoth(manifestDirsOf(layout));
  store = new NodeStore({
    layout,
    etcdDataDir: locateEtcdDataDir(layout, dirs, undefined),
    journalDir: null,
    dbusAddress: lab.dbusAddress,
    kubeletUnit: 'kubelet.service',
  });
  store.start(['runtime']);
  const s = store;
  const scheduler = () => nodeModel(s.snapshot).pods.find((p) => p.name === 'kube-scheduler');
  await until('the scheduler running in the store', () => scheduler()?.phase === 'running', {
    timeoutMs: 30_000,
  });
  // Right after a listing the next safety re-list is 30 s away: an event must not wait for it.
  const disabled = breakglass(['disable', 'kube-scheduler', '--root', lab.nodeRoot]);
  assert.equal(disabled.status, 0, disabled.stderr);
  const started = Date.now();
  const stopped = () => {
    const now = scheduler();
    return now?.enabled === false && !now.containers.some((c) => c.state === 'running');
  };
  await until('the scheduler seen stopped', stopped, { timeoutMs: 15_000 });
  const seenAfter = Date.now() - started;
  assert.equal(scheduler()?.staticPod?.manifest.path, path.join(layout.holding.value, 'kube-scheduler.yaml'));
  process.stderr.write(`store: the stop seen ${seenAfter} ms after the disable\n`);
});
