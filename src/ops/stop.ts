// The fallback for the trap: a kubelet restarted while the API server was down ignores removed
// manifests, so a disabled pod keeps running. This stops its containers and sandbox through the
// runtime. Only on request, locked and audited like every other change.
import type { Container, Runtime, Sandbox } from '../sources/runtime/types.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { appendAudit } from './audit.js';
import type { RuntimeControl } from './control/runtime.js';
import { checkMayChange, entryNotes, type GuardContext, guardedChangeAsync } from './guard.js';

const DOING = 'stop containers';

export interface StopTarget {
  podName: string;
  namespace: string;
  /** The manifest is in the manifest directory: kubelet would start the pod again at once. */
  enabled: boolean;
}

export interface StopPlan {
  target: StopTarget;
  containers: Container[];
  sandboxes: Sandbox[];
}

export interface StopResult {
  stoppedContainers: string[];
  stoppedSandboxes: string[];
  notes: string[];
}

/** What a stop would touch: the pod's running containers and ready sandboxes. */
export async function planStop(runtime: Runtime, target: StopTarget): Promise<StopPlan> {
  const [containers, sandboxes] = await Promise.all([runtime.listContainers(), runtime.listSandboxes()]);
  const mine = (x: { podName: string; namespace: string }) =>
    x.podName === target.podName && x.namespace === target.namespace;
  return {
    target,
    containers: containers.filter((c) => mine(c) && c.state === 'running'),
    sandboxes: sandboxes.filter((s) => mine(s) && s.state === 'ready'),
  };
}

export interface StopOptions extends GuardContext {
  force: boolean;
  graceSeconds: number;
  /** Only the containers, the sandbox left ready: kubelet restarts them in the same pod (a restart). */
  containersOnly?: boolean;
}

export async function stopPod(
  control: RuntimeControl,
  asked: StopPlan,
  options: StopOptions,
): Promise<StopResult> {
  const plan = options.containersOnly ? { ...asked, sandboxes: [] } : asked;
  const who = `${plan.target.namespace}/${plan.target.podName}`;
  checkMayChange(options, DOING);
  if (plan.target.enabled && !options.force) {
    throw new BreakglassError(
      `${who} is enabled: kubelet would start it again at once. Disable it first (breakglass disable ${plan.target.podName}), or pass --force`,
      'enabled',
    );
  }
  if (plan.containers.length === 0 && plan.sandboxes.length === 0) {
    throw new BreakglassError(`nothing of ${who} is running in the runtime; nothing to stop`, 'nothing');
  }
  return guardedChangeAsync(options, DOING, async (entry) => {
    const result: StopResult = { stoppedContainers: [], stoppedSandboxes: [], notes: entryNotes(entry) };
    try {
      for (const c of plan.containers) {
        await control.stopContainer(c.id, options.graceSeconds);
        result.stoppedContainers.push(`${c.name} (${c.id.slice(0, 13)})`);
      }
      for (const s of plan.sandboxes) {
        await control.stopSandbox(s.id);
        result.stoppedSandboxes.push(s.id.slice(0, 13));
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      try {
        appendAudit(options.stateDir, {
          action: options.containersOnly ? 'restart-containers' : 'stop',
          file: who,
          outcome: 'failed',
          message: `${message}; stopped before the failure: ${result.stoppedContainers.join(', ') || 'none'}`,
        });
      } catch {
        // The failure itself is what the operator must see.
      }
      throw new BreakglassError(`stopping ${who} failed: ${message}`, 'runtime');
    }
    try {
      appendAudit(options.stateDir, {
        action: options.containersOnly ? 'restart-containers' : 'stop',
        file: who,
        outcome: 'ok',
        message: `stopped containers ${result.stoppedContainers.join(', ') || 'none'}; sandboxes ${result.stoppedSandboxes.join(', ') || 'none'}`,
      });
    } catch (err) {
      result.notes.push(`stopped, but the audit log could not be written: ${errnoMessage(err)}`);
    }
    return result;
  });
}
