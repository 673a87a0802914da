// The file systems whose filling up takes a control plane down, where they are on this node.
import * as path from 'node:path';

export const CONTROL_PLANE_FILE_SYSTEMS = ['/', '/var/lib/etcd', '/var/lib/kubelet', '/var/log'] as const;

export interface LabelledPath {
  /** What the operator calls it: '/var/lib/etcd'. */
  label: string;
  /** Where it is read (under the root prefix). */
  path: string;
}

/** Under a root prefix ('/' on a real node, the lab's node dir in the lab); etcd's data where it is. */
export function vitalsPaths(root = '/', etcdDataDir?: string): LabelledPath[] {
  return CONTROL_PLANE_FILE_SYSTEMS.map((label) => ({
    label,
    path: label === '/var/lib/etcd' && etcdDataDir ? etcdDataDir : path.resolve(root, `.${label}`),
  }));
}
