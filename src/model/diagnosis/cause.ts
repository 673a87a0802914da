// The shape every rule of the diagnosis returns: a finding plus how deep a cause it is and which pods'
// failures it explains, so that the ranking puts the root first and folds a cascade into it. Pure.
import { escapeName } from '../../util/sanitize.js';
import type { PodView } from '../pod-view.js';
import type { Diagnosis, DiagnosisFix, Evidence, EvidenceLine } from './types.js';

/**
 * How close to the root, lowest first: breakglass's own interrupted change; what runs the pods (kubelet,
 * the runtime); the disks; the clock and the certificates; the manifests; etcd; the components; the
 * API server; the rest.
 */
export const LAYER = {
  interrupted: 0,
  kubelet: 1,
  runtime: 1,
  disk: 2,
  certificate: 3,
  manifest: 4,
  etcd: 5,
  component: 6,
  apiserver: 7,
  health: 8,
  info: 9,
} as const;

export interface Cause extends Diagnosis {
  rank: number;
  /** The static pods (by name) whose failure this explains; 'all' for every pod that fails. */
  explains: ReadonlySet<string> | 'all';
}

export function cause(
  rank: number,
  explains: Iterable<string> | 'all',
  diagnosis: Omit<Diagnosis, 'consequences'> & { consequences?: string[] },
): Cause {
  return {
    consequences: [],
    ...diagnosis,
    rank,
    explains: explains === 'all' ? 'all' : new Set(explains),
  };
}

export function fix(
  text: string,
  command: string | null,
  action: DiagnosisFix['action'] = null,
): DiagnosisFix {
  return { text, command, action };
}

export function evidence(text: string, source: string, at: Date | string | null = null): Evidence {
  return { text, source, at: at === null ? null : typeof at === 'string' ? at : iso(at) };
}

export function logEvidence(line: EvidenceLine, source: string): Evidence {
  return evidence(clip(line.text), source, line.time);
}

export function iso(at: Date | number): string {
  return new Date(at).toISOString();
}

/** A long log line cut for a finding: the start says what happened. */
export function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An enabled pod that should run and does not, or runs and fails its probe. */
export function isFailing(pod: PodView): boolean {
  if (pod.enabled !== true || !pod.staticPod?.pod) return false;
  if (pod.phase !== 'running') return pod.phase !== 'unknown';
  return pod.health !== null && !pod.health.ok;
}

/** "kube-scheduler fails its probe (HTTP 500)", "kube-apiserver crash-loops (exit 1 Error)". */
export function failureWords(pod: PodView): string {
  if (pod.phase === 'running' && pod.health && !pod.health.ok) {
    const why =
      pod.health.statusCode !== null ? `HTTP ${pod.health.statusCode}` : (pod.health.error ?? 'failed');
    return `${pod.name} fails its health probe (${why})`;
  }
  if (pod.phase === 'crash-loop')
    return `${pod.name} crash-loops${pod.lastExit ? ` (exit ${pod.lastExit})` : ''}`;
  if (pod.phase === 'exited') return `${pod.name} exited${pod.lastExit ? ` (${pod.lastExit})` : ''}`;
  if (pod.phase === 'not-started') return `${pod.name} is not started`;
  if (pod.phase === 'broken') return `${pod.name} is not run: kubelet rejects its manifest`;
  return `${pod.name} is ${pod.stateText}`;
}

/** The manifest's path as shown (the directory and the file name escaped). */
export function manifestPath(pod: PodView, manifestsDir: string): string {
  return `${escapeName(manifestsDir)}/${pod.file ?? pod.name}`;
}
