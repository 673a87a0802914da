// Restart kubelet's or the runtime's systemd unit, and wait until systemd shows it active again.
import type { Procedure } from './procedure.js';

export const WAIT_ACTIVE_SECONDS = 30;

export interface UnitParams {
  unit: string;
  /** Which of the node's units it is: what the plan warns about depends on it. */
  role: 'kubelet' | 'runtime';
}

export const restartUnitProcedure: Procedure<UnitParams, null> = {
  command: 'restart-unit',
  title: (p) => `Restart ${p.unit}`,
  steps: [
    {
      id: 'restart',
      describe: (p) =>
        p.role === 'kubelet'
          ? `RestartUnit ${p.unit} over D-Bus (systemd stops kubelet, then starts it)`
          : `RestartUnit ${p.unit} over D-Bus`,
      run: async (ctx, p) => {
        ctx.say(`RestartUnit ${p.unit} (D-Bus ${ctx.node.facts().dbusAddress})`);
        const { notes } = await ctx.ops.restartUnit(p.unit, ctx.signal);
        for (const note of notes) ctx.say(`note: ${note}`);
        ctx.say(`${p.unit}: the restart job is done`);
        return { ok: true };
      },
    },
    {
      id: 'wait-active',
      describe: (p) =>
        p.role === 'kubelet'
          ? `watch the unit until it is active again (at most ${WAIT_ACTIVE_SECONDS} s)`
          : `watch the unit until it is active again, and the runtime socket answering (at most ${WAIT_ACTIVE_SECONDS} s)`,
      run: async (ctx, p) => {
        const active = await ctx.node.waitFor(
          (_, facts) => {
            const slot = facts.kubeletUnit.name === p.unit ? facts.kubeletUnit : facts.runtimeUnit;
            return slot?.name === p.unit && slot.value?.activeState === 'active';
          },
          WAIT_ACTIVE_SECONDS,
          ctx.signal,
        );
        return active
          ? { ok: true }
          : {
              ok: false,
              text: `${p.unit} restarted but is not active after ${WAIT_ACTIVE_SECONDS} s: see its journal`,
            };
      },
    },
  ],
  start: () => null,
  notes: (p) =>
    p.role === 'kubelet'
      ? ['kubelet re-reads the static pod directory when it starts; running containers keep running']
      : [],
  warnings: (p, plan) => {
    if (p.role === 'runtime') {
      return plan.runtimeKind === 'docker'
        ? [
            'dockerd without live-restore stops every container when it stops: the whole control plane restarts',
          ]
        : [
            'containers keep running (their shims outlive containerd/CRI-O), but kubelet cannot start or stop any until it is back',
          ];
    }
    if (plan.apiServerAnswers === true) return [];
    return [
      plan.apiServerAnswers === false
        ? 'the API server does not answer: a restarted kubelet IGNORES REMOVED MANIFESTS until the API server is back (pods you disabled keep running; x stops them)'
        : 'the API server state is unknown: if it is down, a restarted kubelet ignores removed manifests until it is back',
    ];
  },
  success: (p) => `${p.unit} restarted and active`,
};
