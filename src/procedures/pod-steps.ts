// The steps static pod procedures are made of: move the manifest out or back, and wait until the
// runtime shows what kubelet did about it (stopped, running, a new container, its probe answering).
import { podByRef } from '../model/node.js';
import type { PodView } from '../model/pod-view.js';
import { BreakglassError } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';
import type { PlanContext, Step, StepContext, StepResult } from './procedure.js';

/** kubelet's file source re-lists the static pod directory every 20 s (inotify usually wins). */
export const KUBELET_RELIST_SECONDS = 20;
export const WAIT_STOPPED_SECONDS = 60;
export const WAIT_RUNNING_SECONDS = 120;
export const NOTICE = `kubelet notices at once through inotify, or at its next re-list within ${KUBELET_RELIST_SECONDS} s`;

/** The static pod a procedure acts on, fixed when it is planned. */
export interface PodSubject {
  /** The pod's name (metadata.name), or the file's when it is not a pod. */
  name: string;
  /** The file name, escaped for display. */
  file: string;
  /** The exact file name the move takes. */
  fileName: string;
  /** The runtime's identity of the pod, which stays when its manifest moves. */
  podName: string | null;
  namespace: string | null;
  enabled: boolean;
  /** The key of its health probe (its name), when its manifest declares one. */
  probeKey: string | null;
}

export function podSubject(view: PodView): PodSubject {
  if (!view.fileName || !view.file || view.enabled === null)
    throw new BreakglassError(`${view.name} has no manifest file to move`, 'usage');
  return {
    name: view.name,
    file: view.file,
    fileName: view.fileName,
    podName: view.podName,
    namespace: view.namespace,
    enabled: view.enabled,
    probeKey: view.staticPod?.pod?.health ? view.name : null,
  };
}

/** The pod's container IDs now: what a restart must see replaced. */
export function containerIds(ctx: { model(): { pods: PodView[] } }, pod: PodSubject): Set<string> {
  const now = ctx.model().pods.find((p) => p.podName === pod.podName && p.namespace === pod.namespace);
  return new Set(now?.containers.map((c) => c.id) ?? []);
}

export async function moveManifest(
  ctx: StepContext,
  action: 'disable' | 'enable',
  pod: PodSubject,
): Promise<StepResult> {
  ctx.say(`${action}: moving ${pod.file}`);
  try {
    const result = ctx.ops.moveManifest(action, pod.fileName);
    for (const note of result.notes) ctx.say(`note: ${sanitizeLine(note)}`);
    ctx.say(`${action}: ${pod.file} is now in ${sanitizeLine(result.to)}`);
    return { ok: true };
  } catch (err) {
    return { ok: false, text: `${action} ${pod.file}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    ctx.node.rescan();
  }
}

export type PodGoal = 'stopped' | 'running' | 'running-new' | 'healthy';

const GOAL_WORDS: Record<PodGoal, string> = {
  stopped: 'until the runtime shows it stopped',
  running: 'until a container runs',
  'running-new': 'for a new container running',
  healthy: 'for the health probe to answer',
};

/** Waits until the runtime (and, for 'healthy', the probe) shows the goal; says each change it sees. */
export function waitForPod(
  ctx: StepContext,
  pod: PodSubject,
  goal: PodGoal,
  seconds: number,
  oldContainers: Set<string> = new Set(),
): Promise<boolean> {
  ctx.say(`waiting ${GOAL_WORDS[goal]} (at most ${seconds} s)`);
  if (goal === 'healthy') ctx.node.probeNow();
  let last = '';
  return ctx.node.waitFor(
    (model, facts) => {
      const now = podByRef(model, pod);
      const running = now?.containers.filter((c) => c.state === 'running') ?? [];
      const summary =
        goal === 'stopped'
          ? `${running.length} container(s) still running`
          : `${running.length} container(s) running${now ? `, ${now.stateText}` : ''}`;
      if (summary !== last) {
        last = summary;
        ctx.say(summary);
        if (goal === 'healthy' && running.length > 0) ctx.node.probeNow();
      }
      switch (goal) {
        case 'stopped':
          return running.length === 0 && !now?.containers.some((c) => c.state === 'created');
        case 'running':
          return running.length > 0;
        case 'running-new':
          return running.some((c) => !oldContainers.has(c.id));
        case 'healthy':
          return (
            running.some((c) => !oldContainers.has(c.id)) &&
            facts.health.get(pod.probeKey ?? pod.name)?.ok === true
          );
      }
    },
    seconds,
    ctx.signal,
  );
}

/** A step that moves the manifest; `always`: it puts back what the procedure took away. */
export function moveStep<S>(
  action: 'disable' | 'enable',
  describe: (pod: PodSubject, plan: PlanContext) => string,
  always = false,
): Step<PodSubject, S> {
  return {
    id: action,
    always,
    describe,
    run: (ctx, pod) => moveManifest(ctx, action, pod),
  };
}

/** A step that waits for the runtime to show `goal`, and fails with `failure` when it does not in time. */
export function waitStep<P extends PodSubject, S>(spec: {
  id: string;
  goal: PodGoal;
  seconds: number;
  describe: string;
  failure: (pod: P) => string;
  skip?: (pod: P) => boolean;
  /** The containers that ran before: a new one is what the goal waits for. */
  before?: (state: S) => Set<string>;
  /** Said when the wait failed, before the procedure goes on. */
  onTimeout?: string;
}): Step<P, S> {
  return {
    id: spec.id,
    ...(spec.skip ? { skip: spec.skip } : {}),
    describe: () => `${spec.describe} (at most ${spec.seconds} s)`,
    run: async (ctx, pod, state) => {
      if (await waitForPod(ctx, pod, spec.goal, spec.seconds, spec.before?.(state))) return { ok: true };
      if (spec.onTimeout) ctx.say(spec.onTimeout);
      return { ok: false, text: spec.failure(pod) };
    },
  };
}

/** The warning that applies while the API server may be down: kubelet may ignore a removal. */
export function trapWarning(plan: PlanContext): string[] {
  if (plan.apiServerAnswers === true) return [];
  return [
    'if kubelet was restarted while the API server was down, it ignores the removal and the pod keeps running; then x (or `breakglass stop`) stops it through the runtime',
  ];
}

/** What else goes down with this pod. */
export function dependentsWarning(pod: string): string[] {
  if (pod === 'etcd') return ['the API server cannot serve without etcd: it goes down too'];
  if (pod === 'kube-apiserver')
    return ['kubectl, the controller manager and the scheduler lose the API until it is back'];
  return [];
}
