// From the store's snapshot to what the screen shows: the static pod rows, memoized per snapshot so a
// repaint that changed nothing costs nothing.
import { type PodRow, podRows } from '../model/pod-rows.js';
import { joinRuntime } from '../model/runtime.js';
import { staticPodsOf } from '../model/staticpods.js';
import type { NodeSnapshot } from './node-store.js';

const cache = new WeakMap<NodeSnapshot, PodRow[]>();

export function rowsOf(s: NodeSnapshot): PodRow[] {
  const hit = cache.get(s);
  if (hit) return hit;
  const holding = s.dirs.holding.error ? null : s.dirs.holding;
  const staticPods = staticPodsOf(s.dirs.manifests, holding);
  const runtime = s.runtime.value?.snapshot ?? null;
  const joined =
    runtime && s.runtime.error === null
      ? joinRuntime(staticPods, runtime.sandboxes, runtime.containers)
      : null;
  const rows = podRows({
    staticPods,
    runtime: joined?.byStaticPod ?? null,
    podsWithoutManifest: joined?.podsWithoutManifest ?? [],
    health: s.health,
  });
  cache.set(s, rows);
  return rows;
}

/** Whether the API server answers, from the kube-apiserver pod's own health probe. */
export function apiserverAnswers(s: NodeSnapshot): boolean | null {
  const h = s.health.get('kube-apiserver');
  return h ? h.ok : null;
}
