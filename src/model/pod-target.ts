// Which pod a NAME means, for the changes and reads that act on one pod (logs, stop, restart): a
// manifest file name, a pod name or a mirror pod name; an enabled manifest wins over a copy in the
// holding directory; else a pod running with no manifest left. Pure.
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import type { NodeModel } from './node.js';
import type { PodView } from './pod-view.js';
import type { ContainerView } from './runtime.js';

export interface PodTarget {
  /** The mirror pod name the runtime knows the pod by. */
  podName: string;
  namespace: string;
  enabled: boolean;
  /** The pod's view; for a pod without manifest, its view too (with no file). */
  view: PodView;
  /** Container names its manifest declares, in order. */
  declaredContainers: string[];
  /** What the runtime runs of it now (the newest attempt of each container). */
  containers: ContainerView[];
}

export function resolvePodTarget(model: NodeModel, name: string): PodTarget {
  const staticPods = model.pods.filter((p) => p.staticPod && p.podName && p.namespace);
  const matches = staticPods.filter(
    (p) =>
      p.staticPod!.name === name ||
      p.podName === name ||
      p.staticPod!.manifest.name === name ||
      p.file === name,
  );
  // An enabled manifest wins over a copy in the holding directory with the same pod name.
  const chosen = matches.find((p) => p.enabled) ?? matches[0];
  if (chosen) return targetOf(chosen, chosen.enabled === true);
  // A pod the runtime runs with no file here: left with no manifest, or from kubelet's URL.
  const orphan = model.pods.find(
    (p) => p.origin !== 'file' && (p.podName === name || p.podName?.startsWith(`${name}-`)),
  );
  if (orphan) return targetOf(orphan, false);
  const known = [...new Set(staticPods.map((p) => p.staticPod!.name))].join(', ') || 'none';
  throw new BreakglassError(`unknown static pod "${escapeName(name)}" (known: ${known})`, 'unknown');
}

function targetOf(view: PodView, enabled: boolean): PodTarget {
  return {
    podName: view.podName!,
    namespace: view.namespace!,
    enabled,
    view,
    declaredContainers: view.staticPod?.pod?.containers.map((c) => c.name) ?? [],
    containers: view.containers,
  };
}

/**
 * The static pod a disable or enable of NAME moves: a file name, else a pod or mirror pod name, on the
 * side it moves from first. Refusals (already there, ambiguous) are the move's own, when it runs.
 */
export function resolveMovePod(model: NodeModel, action: 'disable' | 'enable', name: string): PodView {
  const files = model.pods.filter((p) => p.fileName !== null && p.staticPod);
  const byFile = files.filter((p) => p.fileName === name || p.file === name);
  const byPod = files.filter((p) => p.staticPod!.name === name || p.podName === name);
  const fromSide = (list: PodView[]) =>
    list.find((p) => p.enabled === (action === 'disable')) ?? list[0] ?? null;
  const found = fromSide(byFile) ?? fromSide(byPod);
  if (found) return found;
  const known = files.map((p) => p.file).join(', ') || 'none';
  throw new BreakglassError(
    `unknown static pod or manifest "${escapeName(name)}" (there: ${known})`,
    'unknown',
  );
}
