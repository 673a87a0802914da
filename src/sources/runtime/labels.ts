// kubelet's names and labels, read back from what a runtime reports. Pure.
import { ANNOTATION, type ContainerState, LABEL, type PodRef } from './types.js';

export function podRefOf(labels: Record<string, string>): PodRef {
  return {
    podName: labels[LABEL.podName] ?? '',
    namespace: labels[LABEL.podNamespace] ?? '',
    podUid: labels[LABEL.podUid] ?? '',
  };
}

/** int64 nanoseconds since the epoch (as a decimal string); 0 means never. */
export function nanosToDate(nanos: string | number | undefined): Date | null {
  if (nanos === undefined || nanos === '' || nanos === '0' || nanos === 0) return null;
  return new Date(Number(BigInt(nanos) / 1_000_000n));
}

/** kubelet's reason for a finished container when the runtime gives none. */
export function exitReason(
  state: ContainerState,
  exitCode: number | null,
  runtimeReason: string | null,
): string | null {
  if (runtimeReason) return runtimeReason;
  if (state !== 'exited' || exitCode === null) return null;
  return exitCode === 0 ? 'Completed' : 'Error';
}

export function restartCountOf(attempt: number, annotations: Record<string, string>): number {
  const annotated = Number(annotations[ANNOTATION.restartCount]);
  return Number.isInteger(annotated) && annotated >= 0 ? annotated : attempt;
}

/** cri-dockerd's container name: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>. */
export function parseDockerKubeName(name: string): {
  container: string;
  podName: string;
  namespace: string;
  podUid: string;
  attempt: number;
} | null {
  const m = /^\/?k8s_([^_]+)_([^_]+)_([^_]+)_([^_]+)_(\d+)$/.exec(name);
  if (!m) return null;
  return { container: m[1]!, podName: m[2]!, namespace: m[3]!, podUid: m[4]!, attempt: Number(m[5]) };
}

/** Docker has no annotations: cri-dockerd stores them as labels prefixed `annotation.`. */
export function dockerAnnotations(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels))
    if (k.startsWith('annotation.')) out[k.slice('annotation.'.length)] = v;
  return out;
}
