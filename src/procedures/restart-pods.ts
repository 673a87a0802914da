// The guided restart: static pods restarted one at a time in kubeadm's order, each gated on its health
// before the next is touched; etcd's quorum checked and a snapshot taken before etcd is. One pod or the
// whole control plane, the same procedure. Run durably (procedures/durable.ts): it survives the
// operator's terminal, and a kill -9 leaves nothing away that `breakglass recover` does not put back.

import { type CordonPlan, type CordonState, cordonStep, uncordonStep } from './cordon-steps.js';
import { type EtcdPlan, etcdSteps } from './etcd-steps.js';
import { dependentsWarning, trapWarning } from './pod-steps.js';
import type { PlanContext, Procedure } from './procedure.js';
import { type GateTimes, type RestartTarget, restartStep } from './restart-step.js';

export const DEFAULT_GATE_SECONDS = 120;

export interface RestartParams extends GateTimes {
  /** In the order they restart. */
  pods: RestartTarget[];
  /** Set when etcd is among the pods. */
  etcd: EtcdPlan | null;
  /** Set when asked (--cordon): the node unschedulable for the restart. */
  cordon: CordonPlan | null;
}

export const restartPods: Procedure<RestartParams, CordonState> = {
  command: 'restart',
  title: (p) =>
    p.pods.length === 1
      ? `Restart static pod ${p.pods[0]!.name}`
      : `Restart ${p.pods.length} static pods, one at a time: ${p.pods.map((x) => x.name).join(', ')}`,
  steps: (p) => [
    ...(p.cordon ? [cordonStep<RestartParams>(p.cordon)] : []),
    ...(p.etcd ? etcdSteps<RestartParams>(p.etcd) : []),
    ...p.pods.map((pod) => restartStep<RestartParams>(pod)),
    ...(p.cordon ? [uncordonStep<RestartParams>(p.cordon)] : []),
  ],
  start: (p) => ({ cordoned: p.cordon?.cordonedBefore ?? false }),
  notes: (p) => [
    'each pod waits for the one before it to pass its gate; a gate that fails stops there, the later pods untouched',
    'a manifest moved out is written down first and always put back; a roll back (--rollback) makes sure every manifest is in place and its pod runs',
    ...(p.etcd?.snapshot
      ? ['a snapshot that cannot be taken or fails its check stops the restart before etcd is touched']
      : []),
    ...(p.cordon
      ? [
          'a restart that stops on a failed gate leaves the node cordoned: --resume or --rollback uncordons it',
        ]
      : []),
  ],
  warnings: (p, plan) => warnings(p, plan),
  success: (p) =>
    p.pods.length === 1
      ? `${p.pods[0]!.name} restarted: ${p.pods[0]!.endpoint ? 'a new container runs and its probe answers' : 'a new container runs'}`
      : `${p.pods.length} static pods restarted, each with a new container that passed its gate`,
};

function warnings(p: RestartParams, plan: PlanContext): string[] {
  const out: string[] = [];
  if (p.pods.some((x) => x.method === 'move')) out.push(...trapWarning(plan));
  if (p.etcd && !p.etcd.snapshot) out.push('--skip-snapshot: etcd restarts with no snapshot taken first');
  for (const pod of p.pods) out.push(...dependentsWarning(pod.name));
  return [...new Set(out)];
}
