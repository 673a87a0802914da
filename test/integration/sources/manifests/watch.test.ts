// The watcher sees what kubelet would see: new files, moved manifests, a holding directory that only
// appears at the first disable. Timing is measured by scripts/bench-watch.ts, not asserted here.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { disableStaticPod } from '../../../../src/ops/staticpods.js';
import type { ManifestDirs } from '../../../../src/sources/manifests/scan.js';
import { type ManifestWatcher, watchManifestDirs } from '../../../../src/sources/manifests/watch.js';
import { kubeadmManifest, makeNodeRoot, type NodeRoot } from '../../../helpers/node-root.js';
import { until } from '../../../helpers/wait.js';

let node: NodeRoot;
let watcher: ManifestWatcher | null = null;
let updates: ManifestDirs[] = [];

beforeEach(() => {
  node = makeNodeRoot();
  updates = [];
  watcher = watchManifestDirs(
    { manifests: node.manifests, holding: node.holding, nodeName: 'master-1' },
    (d) => {
      updates.push(d);
    },
  );
});
afterEach(async () => {
  await watcher?.close();
  node.cleanup();
});

/** How long the watcher has to report a change. */
const REPORTED = { timeoutMs: 10_000, intervalMs: 10 };

const names = (d: ManifestDirs['manifests']) => d.files.map((f) => f.name);

test('a stray backup copied into the directory shows up with its finding', async () => {
  await new Promise((r) => setTimeout(r, 100)); // let inotify settle
  fs.writeFileSync(
    path.join(node.manifests, 'kube-apiserver.yaml.bak'),
    kubeadmManifest('kube-apiserver.yaml'),
    {
      mode: 0o600,
    },
  );
  const seen = await until(
    'the .bak file',
    () => updates.find((d) => names(d.manifests).includes('kube-apiserver.yaml.bak')),
    REPORTED,
  );
  const bak = seen.manifests.files.find((f) => f.name === 'kube-apiserver.yaml.bak')!;
  assert.ok(bak.findings.some((f) => f.code === 'stray-copy'));
});

test('a disable is seen as the manifest leaving, and arriving in a holding directory created for it', async () => {
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!fs.existsSync(node.holding));
  disableStaticPod(
    {
      manifests: node.manifests,
      holding: node.holding,
      stateDir: node.stateDir,
      nodeName: 'master-1',
      readOnly: false,
    },
    'kube-scheduler',
  );
  await until(
    'kube-scheduler.yaml moved to the holding directory',
    () =>
      updates.find(
        (d) =>
          !names(d.manifests).includes('kube-scheduler.yaml') &&
          names(d.holding).includes('kube-scheduler.yaml'),
      ),
    REPORTED,
  );
  // And files added to the new holding directory later are followed too.
  fs.writeFileSync(path.join(node.holding, 'extra.yaml'), kubeadmManifest('etcd.yaml'));
  await until(
    'a file in the new holding directory',
    () => updates.find((d) => names(d.holding).includes('extra.yaml')),
    REPORTED,
  );
});

test('an edit that changes content is reported; touching a dot file is not', async () => {
  await new Promise((r) => setTimeout(r, 100));
  fs.writeFileSync(path.join(node.manifests, '.etcd.yaml.swp'), 'junk');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(updates.length, 0, 'a dot file is invisible to kubelet and must not count as a change');
  fs.appendFileSync(path.join(node.manifests, 'etcd.yaml'), 'broken: [\n');
  const seen = await until(
    'the YAML error in etcd.yaml',
    () =>
      updates.find((d) =>
        d.manifests.files.some(
          (f) => f.name === 'etcd.yaml' && f.findings.some((x) => x.code === 'yaml-syntax'),
        ),
      ),
    REPORTED,
  );
  assert.equal(seen.manifests.files.find((f) => f.name === 'etcd.yaml')!.pods.length, 0);
});
