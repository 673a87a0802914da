// Which pod a NAME on the command line means, for commands that act on the runtime (logs, stop).
import { joinRuntime } from '../model/runtime.js';
import { type StaticPod, staticPodsOf } from '../model/staticpods.js';
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import type { NodeView } from './context.js';
import type { RuntimeSnapshot } from './runtime-view.js';

export interface PodTarget {
  /** The mirror pod name the runtime knows the pod by. */
  podName: string;
  namespace: string;
  enabled: boolean;
  staticPod: StaticPod | null;
}

export function resolvePodTarget(view: NodeView, runtime: RuntimeSnapshot, name: string): PodTarget {
  const staticPods = staticPodsOf(view.manifests, view.holding).filter((p) => p.mirrorPodName && p.namespace);
  const matches = staticPods.filter(
    (p) => p.name === name || p.mirrorPodName === name || p.manifest.name === name || p.file === name,
  );
  // An enabled manifest wins over a copy in the holding directory with the same pod name.
  const ranked = [...matches.filter((p) => p.enabled), ...matches.filter((p) => !p.enabled)];
  const chosen = ranked[0];
  if (chosen) {
    return {
      podName: chosen.mirrorPodName!,
      namespace: chosen.namespace!,
      enabled: chosen.enabled,
      staticPod: chosen,
    };
  }
  const orphan = joinRuntime(staticPods, runtime.sandboxes, runtime.containers).podsWithoutManifest.find(
    (p) => p.podName === name || p.podName.startsWith(`${name}-`),
  );
  if (orphan)
    return { podName: orphan.podName, namespace: orphan.namespace, enabled: false, staticPod: null };
  const known = staticPods.map((p) => p.name).join(', ') || 'none';
  throw new BreakglassError(`unknown static pod "${escapeName(name)}" (known: ${known})`, 'unknown');
}
