// Where etcd keeps its data and serves its metrics, from its own manifest.
import * as path from 'node:path';
import type { ManifestDirSnapshot, PodManifest } from '../sources/manifests/types.js';
import type { Located } from './discover.js';
import { rootPath } from './discover.js';

/** etcd's data directory, from the etcd manifest's own --data-dir (or its etcd-data hostPath volume). */
export function etcdDataDir(
  root: string,
  manifests: ManifestDirSnapshot,
  holding: ManifestDirSnapshot | null,
  explicit?: string,
): Located<string> {
  if (explicit !== undefined) return { value: path.resolve(explicit), source: '--etcd-data-dir flag' };
  const files = [...manifests.files, ...(holding?.files ?? [])];
  for (const file of files) {
    for (const pod of file.pods) {
      const etcd = pod.containers.find((c) => c.name === 'etcd' || /(^|\/)etcd$/.test(c.argv[0] ?? ''));
      if (!etcd) continue;
      const flag = etcd.flags['data-dir'];
      if (flag) return { value: rootPath(root, flag), source: `--data-dir in ${file.displayName}` };
      const volume = pod.hostPathVolumes.find((v) => v.name === 'etcd-data');
      if (volume)
        return { value: rootPath(root, volume.path), source: `etcd-data volume in ${file.displayName}` };
    }
  }
  return { value: rootPath(root, '/var/lib/etcd'), source: 'kubeadm default (no etcd manifest names one)' };
}

/** etcd's --listen-metrics-urls (kubeadm: http://127.0.0.1:2381), as its manifest gives it; '' when unset. */
export function etcdMetricsFlag(pod: PodManifest): string {
  const flags = pod.containers.find((c) => c.name === 'etcd')?.flags ?? pod.containers[0]?.flags ?? {};
  return flags['listen-metrics-urls'] ?? '';
}
