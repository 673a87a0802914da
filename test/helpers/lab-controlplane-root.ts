// A control-plane node root of the lab's making, for the tests of the lab's control plane itself: its PKI
// and manifests for node lab-master, on ports of their own.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { writeLabManifests } from '../../scripts/lab/manifests.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labPkiDir } from '../../scripts/lab/pki/files.js';
import { ensureLabPki } from '../../scripts/lab/pki.js';
import { makeTempDir } from './node-root.js';

export const NODE_NAME = 'lab-master';
/** Far from kubeadm's ports and from the other tests' (2xxxx): 42379-42381, 46443, 50257, 50259. */
export const PORT_OFFSET = 16_000;
export const PORTS = labPorts(PORT_OFFSET);
export const quiet = () => {};

export function run(command: string, args: string[], input?: string) {
  return spawnSync(command, args, { encoding: 'utf8', input, timeout: 60_000 });
}

export interface ControlPlaneRoot {
  /** The node root, made before the file's tests and removed after them. */
  root(): string;
  /** A file of the node's PKI: file('etcd/ca', 'crt'). */
  file(name: string, ext: string): string;
}

/** Called at the top of a test file: the root is made in its before hook and removed in its after hook. */
export function controlPlaneRoot(): ControlPlaneRoot {
  let root = '';
  before(() => {
    root = makeTempDir('bg-controlplane-');
    ensureLabPki(root, { nodeName: NODE_NAME, portOffset: PORT_OFFSET, log: quiet });
    writeLabManifests(root, { nodeName: NODE_NAME, portOffset: PORT_OFFSET });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  return { root: () => root, file: (name, ext) => path.join(labPkiDir(root), `${name}.${ext}`) };
}
