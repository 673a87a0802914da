// The lab node's static pods, read with breakglass' own scanner from the lab's manifest directory.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { etcdDataDir } from '../../src/node/etcd.js';
import { scanManifestDir } from '../../src/sources/manifests/scan.js';
import type { PodManifest } from '../../src/sources/manifests/types.js';
import { labEnv } from './lab.js';

const NODE_NAME = 'lab-master';

function scanLabManifests() {
  const manifestsDir = path.join(labEnv().nodeRoot, 'etc/kubernetes/manifests');
  return scanManifestDir(manifestsDir, { nodeName: NODE_NAME, role: 'manifests' });
}

export function labPods(): PodManifest[] {
  const snapshot = scanLabManifests();
  assert.equal(snapshot.error, null);
  return snapshot.files.filter((f) => f.loadedByKubelet).flatMap((f) => f.pods);
}

/** etcd's data dir as the lab's etcd manifest names it, on the node root. */
export function labEtcdDataDir(): string {
  return etcdDataDir(labEnv().nodeRoot, scanLabManifests(), null).value;
}
