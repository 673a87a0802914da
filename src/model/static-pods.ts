// The static pods of this node, joined from the manifest directory and the holding directory.
// Pure: no I/O.
import type { Finding, ManifestDirSnapshot, ManifestFile, PodManifest } from '../sources/manifests/types.js';

export interface StaticPod {
  /** The pod's metadata.name; null when the file does not decode to a pod. */
  name: string | null;
  namespace: string | null;
  mirrorPodName: string | null;
  /** The file name as shown (escaped). */
  file: string;
  /** In the manifest directory, where kubelet loads it. */
  enabled: boolean;
  /** kubelet parses this file as a pod (enabled, non-dot, a regular file). */
  loadedByKubelet: boolean;
  manifest: ManifestFile;
  pod: PodManifest | null;
  findings: Finding[];
}

export function staticPodsOf(
  manifests: ManifestDirSnapshot,
  holding: ManifestDirSnapshot | null,
): StaticPod[] {
  const enabled = manifests.files.flatMap((f) => entriesOf(f, true));
  const disabled = (holding?.files ?? [])
    .filter((f) => f.kind !== 'directory')
    .flatMap((f) => entriesOf(f, false));
  return [...enabled, ...disabled];
}

function entriesOf(file: ManifestFile, enabled: boolean): StaticPod[] {
  const base = { file: file.displayName, enabled, loadedByKubelet: file.loadedByKubelet, manifest: file };
  if (file.pods.length === 0) {
    return [
      { ...base, name: null, namespace: null, mirrorPodName: null, pod: null, findings: file.findings },
    ];
  }
  return file.pods.map((pod) => ({
    ...base,
    name: pod.name,
    namespace: pod.namespace,
    mirrorPodName: pod.mirrorPodName,
    pod,
    findings: file.findings,
  }));
}

export function allFindings(manifests: ManifestDirSnapshot): Finding[] {
  return [...manifests.findings, ...manifests.files.flatMap((f) => f.findings)];
}

export function countBySeverity(findings: Finding[]): { errors: number; warnings: number } {
  return {
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}
