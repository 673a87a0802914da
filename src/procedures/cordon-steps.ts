// The node marked unschedulable before the first pod restarts and schedulable again after the last,
// when the operator asks for it (--cordon) and the API server answers. Only a cordon this restart made
// is undone: a node the operator had cordoned already stays so.
import type { Step } from './procedure.js';

export interface CordonPlan {
  /** The node's admin kubeconfig (kubeadm: /etc/kubernetes/admin.conf). */
  kubeconfig: string;
  nodeName: string;
  /** A run this one resumes had cordoned the node: the end must undo that. */
  cordonedBefore: boolean;
}

export interface CordonState {
  /** This restart (or the one it resumes) marked the node unschedulable. */
  cordoned: boolean;
}

export function cordonStep<P>(cordon: CordonPlan): Step<P, CordonState> {
  return {
    id: 'cordon',
    describe: (_, plan) =>
      plan.apiServerAnswers === false
        ? `cordon ${cordon.nodeName}: skipped unless the API server answers by then (it does not now)`
        : `cordon ${cordon.nodeName}: mark it unschedulable through the API server (${cordon.kubeconfig}), schedulable again at the end`,
    run: async (ctx, _, state) => {
      const outcome = await ctx.ops.setUnschedulable(cordon.kubeconfig, true);
      switch (outcome.done) {
        case 'cordoned':
          state.cordoned = true;
          return { ok: true, detail: `${cordon.nodeName} cordoned` };
        case 'already':
          return { ok: true, detail: `${cordon.nodeName} was unschedulable already: left so at the end` };
        default:
          return { ok: true, detail: `cordon skipped: ${outcome.done === 'unreachable' ? outcome.why : ''}` };
      }
    },
    undo: {
      describe: () => `uncordon ${cordon.nodeName} if this restart had cordoned it`,
      run: async (ctx) => (cordon.cordonedBefore ? uncordon(ctx.ops, cordon) : { ok: true }),
    },
  };
}

export function uncordonStep<P>(cordon: CordonPlan): Step<P, CordonState> {
  return {
    id: 'uncordon',
    describe: () => `uncordon ${cordon.nodeName}: schedulable again, if this restart cordoned it`,
    run: async (ctx, _, state) =>
      state.cordoned
        ? uncordon(ctx.ops, cordon)
        : { ok: true, detail: 'nothing to undo: this restart cordoned nothing' },
  };
}

async function uncordon(
  ops: { setUnschedulable(kubeconfig: string, value: boolean): Promise<{ done: string; why?: string }> },
  cordon: CordonPlan,
) {
  const outcome = await ops.setUnschedulable(cordon.kubeconfig, false);
  if (outcome.done === 'unreachable') {
    return {
      ok: false as const,
      text: `${cordon.nodeName} stays unschedulable: the API server did not take the uncordon (${outcome.why}); \`kubectl uncordon ${cordon.nodeName}\` once it answers`,
    };
  }
  return { ok: true as const, detail: `${cordon.nodeName} schedulable again` };
}
