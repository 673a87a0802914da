// The gate after a pod's restart: a container of that pod started after the step began, running, and
// its health probe answering (the readiness endpoint when it declares one), within the time the plan
// shows. When it fails: why, and the evidence (the new container's exit, its last log lines).
import { endpointText } from '../model/restart-plan.js';
import type { ContainerView } from '../model/runtime.js';
import type { HealthEndpoint } from '../sources/manifests/types.js';
import { sanitizeLine } from '../util/sanitize.js';
import type { PodSubject } from './pod-steps.js';
import type { NodeWatch, StepContext, StepResult } from './procedure.js';

/** Runtime timestamps have a second's granularity on some runtimes (Docker's are finer). */
const CLOCK_SLACK_MS = 1_000;
const PROBE_EVERY_MS = 1_000;
export const EVIDENCE_LOG_LINES = 15;

export interface GateSpec {
  pod: PodSubject;
  endpoint: HealthEndpoint | null;
  /** The containers that ran when the step began: the gate wants one that is not among them. */
  before: ReadonlySet<string>;
  /** When the step began (ms). */
  since: number;
  seconds: number;
  /**
   * A running container that counts though it is not new: one of a pod known to run the wanted bytes
   * (kubelet keeps a pod whose manifest comes back unchanged, so no new container comes).
   */
  accept?: (c: ContainerView) => boolean;
}

export function gateText(endpoint: HealthEndpoint | null, seconds: number): string {
  return endpoint
    ? `gate: a new container running and ${endpointText(endpoint)} answering within ${seconds} s`
    : `gate: a new container running within ${seconds} s (no HTTP probe declared)`;
}

/**
 * Waits, up to the deadline, for a container started after the step began to run and its probe to
 * answer. A new container that exits on the way (the API server before etcd is ready, say) is not the
 * end: kubelet starts it again, and the gate waits for that one, until the time is up.
 */
export async function passGate(ctx: StepContext, spec: GateSpec): Promise<StepResult> {
  const deadline = spec.since + spec.seconds * 1000;
  const left = () => Math.max(0, (deadline - Date.now()) / 1000);
  ctx.say(`waiting for a new container of ${spec.pod.name} to run (at most ${Math.ceil(left())} s)`);
  const url = spec.endpoint ? endpointText(spec.endpoint) : null;
  let seen = '';
  let lastError: string | null = null;
  let probing: string | null = null;
  while (!ctx.signal.aborted) {
    const started = await ctx.node.waitFor(
      (model) => {
        const fresh = newRunningContainer(ctx.node, spec);
        const running = podContainers(model, spec.pod).filter((c) => c.state === 'running').length;
        const summary = fresh
          ? `new container ${fresh.id.slice(0, 12)} running`
          : `${running} container(s) running, none new yet`;
        if (summary !== seen) {
          seen = summary;
          ctx.say(summary);
        }
        return fresh !== null;
      },
      left(),
      ctx.signal,
    );
    if (!started) break;
    const fresh = newRunningContainer(ctx.node, spec);
    if (!fresh) continue;
    if (!spec.endpoint || !url) return { ok: true, detail: `new container ${fresh.id.slice(0, 12)} runs` };
    if (probing !== fresh.id) ctx.say(`probing ${url}`);
    probing = fresh.id;
    const result = await ctx.node.probe(spec.endpoint);
    if (result.ok) {
      return {
        ok: true,
        detail: `new container ${fresh.id.slice(0, 12)} running; ${url} answered ${result.statusCode}`,
      };
    }
    const error = result.error ?? `HTTP ${result.statusCode}`;
    if (error !== lastError) ctx.say(`${url}: ${sanitizeLine(error)}`);
    lastError = error;
    if (left() <= 0) break;
    await sleep(Math.min(PROBE_EVERY_MS, left() * 1000), ctx.signal);
  }
  if (lastError === null || !url) {
    return failed(ctx, spec, `no new container of ${spec.pod.name} runs after ${spec.seconds} s`);
  }
  return failed(
    ctx,
    spec,
    `${spec.pod.name}'s ${url} does not answer after ${spec.seconds} s (${lastError})`,
  );
}

function podContainers(model: ReturnType<NodeWatch['model']>, pod: PodSubject): ContainerView[] {
  return model.pods.find((p) => p.podName === pod.podName && p.namespace === pod.namespace)?.containers ?? [];
}

function newRunningContainer(node: NodeWatch, spec: GateSpec): ContainerView | null {
  const containers = podContainers(node.model(), spec.pod);
  return (
    containers.find(
      (c) =>
        c.state === 'running' &&
        !spec.before.has(c.id) &&
        (c.startedAt === null || c.startedAt.getTime() >= spec.since - CLOCK_SLACK_MS),
    ) ??
    containers.find((c) => c.state === 'running' && spec.accept?.(c) === true) ??
    null
  );
}

/** The failure, with what shows why: how its newest container ended, and its last log lines. */
export async function failed(
  ctx: StepContext,
  spec: { pod: PodSubject },
  text: string,
): Promise<StepResult & { ok: false }> {
  const evidence: string[] = [];
  for (const c of podContainers(ctx.node.model(), spec.pod)) {
    if (c.state === 'running') continue;
    const how = [
      c.exitCode !== null ? `exit ${c.exitCode}` : null,
      c.reason,
      c.finishedAt ? `at ${c.finishedAt.toISOString()}` : null,
    ].filter(Boolean);
    evidence.push(`container ${sanitizeLine(c.name)} ${c.state}${how.length ? ` (${how.join(', ')})` : ''}`);
  }
  if (spec.pod.podName && spec.pod.namespace) {
    const lines = await ctx.node.lastLogLines(
      { podName: spec.pod.podName, namespace: spec.pod.namespace },
      EVIDENCE_LOG_LINES,
    );
    if (lines.length > 0) evidence.push(`last ${lines.length} log line(s):`, ...lines.map((l) => `  ${l}`));
  }
  return { ok: false, text, evidence };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
