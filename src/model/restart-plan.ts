// What a restart of static pods should do on this node, from what the node shows: the order (kubeadm's:
// etcd, the API server, the controller manager, the scheduler, then any other by name), the way each
// pod is restarted and why, and what its gate probes. Pure.
import type { HealthEndpoint } from '../sources/manifests/types.js';
import type { PodView } from './pod-view.js';

/** kubeadm's order: the controller manager and the scheduler must never be newer than the API server. */
export const CONTROL_PLANE_ORDER = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

export type RestartMethod = 'runtime' | 'move';
export type RequestedMethod = RestartMethod | 'auto';

/** kubelet's container back-off is forgotten after twice its 5 min maximum without a failure. */
const BACKOFF_MEMORY_MS = 10 * 60_000;

export function restartOrder<T extends { name: string }>(pods: T[]): T[] {
  const rank = (p: T) => {
    const i = CONTROL_PLANE_ORDER.indexOf(p.name);
    return i < 0 ? CONTROL_PLANE_ORDER.length : i;
  };
  return [...pods].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export interface MethodChoice {
  method: RestartMethod;
  why: string;
}

/**
 * Stopping the containers through the runtime (manifest in place) is the default: kubelet starts them
 * again at once, with no wait for its re-list, whether or not it ignores manifest removals (the trap).
 * Moving the manifest out and back makes a new pod: for a pod with nothing running (a crash loop, which
 * a container restart would leave in its back-off) and one that restarted within kubelet's back-off
 * memory, when kubelet can be trusted to act on the move (the API server answers).
 */
export function chooseRestartMethod(
  view: PodView,
  requested: RequestedMethod,
  apiServerAnswers: boolean | null,
  now: Date,
): MethodChoice {
  if (requested === 'runtime')
    return {
      method: 'runtime',
      why: 'asked for (--method runtime): stop its containers through the runtime',
    };
  if (requested === 'move')
    return { method: 'move', why: 'asked for (--method move): move its manifest out and back' };
  const running = view.containers.filter((c) => c.state === 'running');
  if (running.length === 0) {
    return {
      method: 'move',
      why: 'nothing of it runs: moving its manifest out and back makes a new pod, clear of any back-off',
    };
  }
  const recent = view.containers.find(
    (c) =>
      c.lastTermination?.finishedAt &&
      now.getTime() - c.lastTermination.finishedAt.getTime() < BACKOFF_MEMORY_MS,
  );
  if (recent && apiServerAnswers === true) {
    return {
      method: 'move',
      why: `${recent.name} restarted within 10 min, so kubelet would hold a container restart in its back-off: a new pod instead`,
    };
  }
  return {
    method: 'runtime',
    why: 'its containers run: stopping them through the runtime makes kubelet start them again at once, manifest in place',
  };
}

/** What the gate probes: the readiness endpoint when it has one (the API server's /readyz), else its probe. */
export function gateEndpoint(view: PodView): HealthEndpoint | null {
  const pod = view.staticPod?.pod;
  return pod?.readiness ?? pod?.health ?? null;
}

export function endpointText(e: HealthEndpoint): string {
  return `${e.scheme.toLowerCase()}://${e.host ?? '127.0.0.1'}:${e.port}${e.path}`;
}
