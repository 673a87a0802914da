// Stop a pod's containers and sandbox through the runtime: the way out of the trap (a kubelet restarted
// while the API server was down keeps running a pod whose manifest was removed), and a restart of the
// containers in place for an enabled pod.
import type { StopResult, StopTarget } from '../ops/stop.js';
import type { Procedure } from './procedure.js';

export const STOP_GRACE_SECONDS = 30;

export interface StopParams {
  /** As the operator named it. */
  name: string;
  target: StopTarget;
  graceSeconds: number;
  /** Stop it even though its manifest is enabled (kubelet starts it again at once). */
  force: boolean;
}

interface StopState {
  result: StopResult | null;
}

export const stopPodProcedure: Procedure<StopParams, StopState> = {
  command: 'stop',
  title: (p) => `Stop the containers of ${p.name} through the runtime`,
  steps: [
    {
      id: 'stop',
      describe: (p) =>
        `stop each running container of ${p.target.podName} (SIGTERM, SIGKILL after ${p.graceSeconds} s), then its sandbox`,
      run: async (ctx, p, state) => {
        ctx.say(`asking the runtime to stop ${p.target.podName}'s containers and sandbox`);
        const plan = await ctx.ops.planStop(p.target);
        state.result = await ctx.ops.stopPod(plan, { graceSeconds: p.graceSeconds, force: p.force });
        for (const note of state.result.notes) ctx.say(`note: ${note}`);
        ctx.node.rescan();
        return { ok: true };
      },
    },
  ],
  start: () => ({ result: null }),
  notes: () => ['the manifest is not touched (locked and audited like every change)'],
  warnings: (p) =>
    p.target.enabled
      ? ['the manifest is enabled: kubelet starts the pod again at once (this only restarts its containers)']
      : [],
  success: (p, state) =>
    `stopped ${state.result?.stoppedContainers.length ?? 0} container(s) of ${p.name}${p.target.enabled ? '; kubelet starts it again' : ''}`,
};
