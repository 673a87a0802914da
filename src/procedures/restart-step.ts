// One static pod restarted, as one step of a restart: by the method the plan chose (its containers
// stopped through the runtime with the manifest in place, or its manifest moved out and back), then the
// gate. A manifest taken away is written down first (the journal) and always put back before the step
// ends, whatever happened; its undo makes sure the manifest is in place and the pod runs.
import type { RestartMethod } from '../model/restart-plan.js';
import type { HealthEndpoint } from '../sources/manifests/types.js';
import { BreakglassError } from '../util/errors.js';
import { failed, gateText, passGate } from './gate.js';
import {
  containerIds,
  moveManifest,
  NOTICE,
  type PodSubject,
  WAIT_RUNNING_SECONDS,
  WAIT_STOPPED_SECONDS,
  waitForPod,
} from './pod-steps.js';
import type { Step, StepContext, StepResult } from './procedure.js';

/** How long each container has to stop on SIGTERM before SIGKILL (kubelet's default grace). */
export const RESTART_GRACE_SECONDS = 30;

export interface RestartTarget extends PodSubject {
  method: RestartMethod;
  methodWhy: string;
  /** What the gate probes (readiness first); null: a running new container is the gate. */
  endpoint: HealthEndpoint | null;
}

export interface GateTimes {
  gateSeconds: number;
}

export function restartStep<P extends GateTimes>(pod: RestartTarget): Step<P, unknown> {
  return {
    id: `restart:${pod.name}`,
    describe: (p) =>
      `${pod.name}: ${methodShort(pod)}; ${gateText(pod.endpoint, p.gateSeconds)}. ${methodText(pod)} (${pod.methodWhy})`,
    run: async (ctx, p) => {
      const since = Date.now();
      const before = containerIds(ctx.node, pod);
      const taken = pod.method === 'runtime' ? await stopInPlace(ctx, pod) : await moveOutAndBack(ctx, pod);
      if (taken) return taken;
      return passGate(ctx, { pod, endpoint: pod.endpoint, before, since, seconds: p.gateSeconds });
    },
    undo: {
      describe: () => `${pod.name}: make sure its manifest is in place and a container runs`,
      run: async (ctx) => {
        const back = ensureInPlace(ctx, pod);
        if (!back.ok) return back;
        if (await waitForPod(ctx, pod, 'running', WAIT_RUNNING_SECONDS)) return { ok: true };
        return failed(
          ctx,
          { pod },
          `${pod.name}'s manifest is in place, but no container of it runs after ${WAIT_RUNNING_SECONDS} s`,
        );
      },
    },
  };
}

function methodShort(pod: RestartTarget): string {
  return pod.method === 'runtime'
    ? 'stop its containers through the runtime'
    : 'move its manifest out and back';
}

function methodText(pod: RestartTarget): string {
  return pod.method === 'runtime'
    ? `SIGTERM, SIGKILL after ${RESTART_GRACE_SECONDS} s; kubelet starts them again, the manifest stays in place`
    : `${pod.file} goes back once the runtime shows the pod stopped (at most ${WAIT_STOPPED_SECONDS} s); ${NOTICE}`;
}

/** The runtime method; a failure result, or null to go on to the gate. */
async function stopInPlace(ctx: StepContext, pod: RestartTarget): Promise<StepResult | null> {
  if (!pod.podName || !pod.namespace) return { ok: false, text: `${pod.name} is not known to the runtime` };
  ctx.say(`stopping ${pod.name}'s containers through the runtime (the manifest stays in place)`);
  try {
    const result = await ctx.ops.restartContainers(
      { podName: pod.podName, namespace: pod.namespace, enabled: true },
      RESTART_GRACE_SECONDS,
    );
    for (const c of result.stoppedContainers) ctx.say(`stopped ${c}`);
    for (const note of result.notes) ctx.say(`note: ${note}`);
  } catch (err) {
    if (!(err instanceof BreakglassError && err.code === 'nothing')) {
      return { ok: false, text: `stopping ${pod.name}: ${err instanceof Error ? err.message : String(err)}` };
    }
    ctx.say(`nothing of ${pod.name} runs right now: waiting for kubelet to start it`);
  }
  return null;
}

/** The move method: out, wait until stopped, and back, always; a failure result, or null. */
async function moveOutAndBack(ctx: StepContext, pod: RestartTarget): Promise<StepResult | null> {
  ctx.journal.takingAway(pod.fileName, pod.file);
  const out = await moveManifest(ctx, 'disable', pod);
  let stopped = false;
  if (out.ok) stopped = await waitForPod(ctx, pod, 'stopped', WAIT_STOPPED_SECONDS);
  const back = ensureInPlace(ctx, pod);
  if (!back.ok) return back;
  if (!out.ok) return out;
  if (!stopped && !ctx.signal.aborted) {
    return failed(
      ctx,
      { pod },
      `${pod.name} did not stop within ${WAIT_STOPPED_SECONDS} s of its manifest being moved out, so kubelet ignores removals (restarted while the API server was down?); the manifest is back. --method runtime restarts it through the runtime`,
    );
  }
  return null;
}

/** The manifest back in the manifest directory if it is in the holding directory; the journal told. */
export function ensureInPlace(ctx: StepContext, pod: PodSubject): StepResult {
  ctx.node.rescan();
  const views = ctx.node.model().pods.filter((p) => p.fileName === pod.fileName);
  if (views.some((v) => v.enabled === true)) {
    ctx.journal.putBack(pod.fileName);
    return { ok: true };
  }
  if (!views.some((v) => v.enabled === false)) {
    return {
      ok: false,
      text: `${pod.file} is in neither the manifest nor the holding directory: something else removed it`,
    };
  }
  ctx.say(`moving ${pod.file} back`);
  try {
    const result = ctx.ops.moveManifest('enable', pod.fileName);
    for (const note of result.notes) ctx.say(`note: ${note}`);
  } catch (err) {
    return {
      ok: false,
      text: `${pod.file} could not be moved back: ${err instanceof Error ? err.message : String(err)}; it is in the holding directory: \`breakglass enable ${pod.name}\``,
    };
  } finally {
    ctx.node.rescan();
  }
  ctx.journal.putBack(pod.fileName);
  return { ok: true };
}
