// Joins what the runtime runs with the static pods the manifests declare. Pure: no I/O.
import type { Container, ContainerState, Sandbox } from '../sources/runtime/types.js';
import type { StaticPod } from './static-pods.js';

export interface ContainerView {
  name: string;
  state: ContainerState;
  attempt: number;
  restartCount: number;
  exitCode: number | null;
  reason: string | null;
  createdAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  image: string;
  id: string;
  podUid: string;
  logPath: string | null;
  /** The attempt before this one, when this one runs: why it was restarted. */
  lastTermination: { exitCode: number | null; reason: string | null; finishedAt: Date | null } | null;
}

export interface PodRuntime {
  sandboxes: Sandbox[];
  /** The newest attempt of each container, in the manifest's container order where known. */
  containers: ContainerView[];
  /** Something of this pod is running (a container, or a ready sandbox). */
  running: boolean;
}

/** A pod the runtime runs that no manifest file here declares. */
export interface RuntimeOnlyPod extends PodRuntime {
  podName: string;
  namespace: string;
}

/** A pod kubelet started from a file, whose manifest is in neither directory any more. */
export type PodWithoutManifest = RuntimeOnlyPod;

export interface RuntimeJoin {
  byStaticPod: Map<StaticPod, PodRuntime>;
  podsWithoutManifest: PodWithoutManifest[];
  /** Running static pods from kubelet's HTTP source (config source `http`): no file here stops them. */
  podsFromUrl: RuntimeOnlyPod[];
}

const key = (namespace: string, podName: string) => `${namespace}/${podName}`;

export function joinRuntime(
  staticPods: StaticPod[],
  sandboxes: Sandbox[],
  containers: Container[],
): RuntimeJoin {
  const sandboxesByPod = groupBy(sandboxes, (s) => key(s.namespace, s.podName));
  const containersByPod = groupBy(containers, (c) => key(c.namespace, c.podName));
  const byStaticPod = new Map<StaticPod, PodRuntime>();
  const claimed = new Set<string>();
  for (const sp of staticPods) {
    if (!sp.mirrorPodName || !sp.namespace) continue;
    const k = key(sp.namespace, sp.mirrorPodName);
    claimed.add(k);
    const order = sp.pod?.containers.map((c) => c.name) ?? [];
    byStaticPod.set(sp, podRuntime(sandboxesByPod.get(k) ?? [], containersByPod.get(k) ?? [], order));
  }
  const podsWithoutManifest: PodWithoutManifest[] = [];
  const podsFromUrl: RuntimeOnlyPod[] = [];
  for (const [k, podSandboxes] of sandboxesByPod) {
    if (claimed.has(k)) continue;
    const fromFile = podSandboxes.some((s) => s.configSource === 'file');
    const fromUrl = podSandboxes.some((s) => s.configSource === 'http');
    if (!fromFile && !fromUrl) continue;
    const [namespace, podName] = [podSandboxes[0]!.namespace, podSandboxes[0]!.podName];
    const view = podRuntime(podSandboxes, containersByPod.get(k) ?? [], []);
    if (!view.running) continue;
    (fromFile ? podsWithoutManifest : podsFromUrl).push({ podName, namespace, ...view });
  }
  return { byStaticPod, podsWithoutManifest, podsFromUrl };
}

function podRuntime(sandboxes: Sandbox[], allContainers: Container[], order: string[]): PodRuntime {
  // A changed manifest is a new pod (a new UID) under the same name; the old pod's dead containers may
  // linger until kubelet's garbage collection. Only the current pod's containers say how it is now.
  const uid = currentPodUid(sandboxes, allContainers);
  const current = uid === null ? allContainers : allContainers.filter((c) => c.podUid === uid);
  const containers = current.length > 0 ? current : allContainers;
  const byName = groupBy(containers, (c) => c.name);
  const views: ContainerView[] = [];
  for (const [name, attempts] of byName) {
    attempts.sort((a, b) => b.attempt - a.attempt || time(b.createdAt) - time(a.createdAt));
    const latest = attempts[0]!;
    const previous = attempts[1];
    views.push({
      name,
      state: latest.state,
      attempt: latest.attempt,
      restartCount: latest.restartCount,
      exitCode: latest.exitCode,
      reason: latest.reason,
      createdAt: latest.createdAt,
      startedAt: latest.startedAt,
      finishedAt: latest.finishedAt,
      image: latest.image,
      id: latest.id,
      podUid: latest.podUid,
      logPath: latest.logPath,
      lastTermination:
        previous && latest.state === 'running'
          ? { exitCode: previous.exitCode, reason: previous.reason, finishedAt: previous.finishedAt }
          : null,
    });
  }
  views.sort((a, b) => rank(order, a.name) - rank(order, b.name) || a.name.localeCompare(b.name));
  const running = views.some((c) => c.state === 'running') || sandboxes.some((s) => s.state === 'ready');
  return { sandboxes, containers: views, running };
}

/** The UID of the pod as it is now: the newest ready sandbox's, else the newest sandbox's or container's. */
function currentPodUid(sandboxes: Sandbox[], containers: Container[]): string | null {
  const newest = <T extends { createdAt: Date | null }>(items: T[]) =>
    [...items].sort((a, b) => time(b.createdAt) - time(a.createdAt))[0];
  const sandbox = newest(sandboxes.filter((s) => s.state === 'ready')) ?? newest(sandboxes);
  if (sandbox) return sandbox.podUid;
  return newest(containers)?.podUid ?? null;
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}

function time(d: Date | null): number {
  return d?.getTime() ?? 0;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
