// Builds a fake node root on the real filesystem: a kubeadm layout under a temp directory, so the
// real binary can be pointed at it with --root.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES } from './paths.js';

export const KUBEADM_MANIFESTS = [
  'etcd.yaml',
  'kube-apiserver.yaml',
  'kube-controller-manager.yaml',
  'kube-scheduler.yaml',
];

export interface NodeRoot {
  root: string;
  manifests: string;
  holding: string;
  stateDir: string;
  /** Flags that point breakglass at this root. */
  flags: string[];
  cleanup(): void;
}

export function makeTempDir(prefix = 'breakglass-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function kubeadmManifest(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, 'kubeadm', name), 'utf8');
}

/** A node root with kubeadm's four manifests (mode 0600 in a 0700 directory) and hostname master-1. */
export function makeNodeRoot(options: { manifests?: string[]; base?: string } = {}): NodeRoot {
  const root = options.base ?? makeTempDir();
  const manifests = path.join(root, 'etc/kubernetes/manifests');
  fs.mkdirSync(manifests, { recursive: true, mode: 0o700 });
  fs.chmodSync(manifests, 0o700);
  fs.writeFileSync(path.join(root, 'etc/hostname'), 'master-1\n');
  for (const name of options.manifests ?? KUBEADM_MANIFESTS) {
    fs.writeFileSync(path.join(manifests, name), kubeadmManifest(name), { mode: 0o600 });
  }
  return {
    root,
    manifests,
    holding: path.join(root, 'etc/kubernetes/breakglass/disabled'),
    stateDir: path.join(root, 'var/lib/breakglass'),
    flags: ['--root', root],
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** name -> sha256 of every entry in a directory (dot files included), for before/after comparisons. */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}
