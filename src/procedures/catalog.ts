// The changes the TUI offers, each one a procedure: its plan (what the confirmation shows) from the same
// definition the command runs, and the command that runs it in a child breakglass.
import type { NodeFacts } from '../model/facts.js';
import { nodeModel } from '../model/node.js';
import type { PodView } from '../model/pod-view.js';
import { disablePod, enablePod } from './pod.js';
import { podSubject } from './pod-steps.js';
import { type Plan, planContextOf, planOf } from './procedure.js';
import { restartParams } from './restart-params.js';
import { restartPods } from './restart-pods.js';
import { restartUnitProcedure } from './restart-unit.js';
import { STOP_GRACE_SECONDS, stopPodProcedure } from './stop-pod.js';

export type ActionKind =
  | 'disable'
  | 'enable'
  | 'restart-pod'
  | 'stop-pod'
  | 'restart-kubelet'
  | 'restart-runtime';

export interface ActionRequest {
  kind: ActionKind;
  /** The static pod's key (see PodView.key) for pod actions; the unit name for unit actions. */
  target: string;
}

export interface PlannedAction {
  plan: Plan;
  /** `breakglass <these>` runs it (--json and the node's flags are added). */
  args: string[];
  /** The pod whose log is worth watching while it runs; null: kubelet's journal. */
  podKey: string | null;
}

/** The plan and command of a request, from the node as it is now; null when its pod is gone. */
export function planAction(request: ActionRequest, facts: NodeFacts): PlannedAction | null {
  const model = nodeModel(facts);
  const context = planContextOf({ facts: () => facts, model: () => model });
  if (request.kind === 'restart-kubelet' || request.kind === 'restart-runtime') {
    const params = {
      unit: request.target,
      role: request.kind === 'restart-kubelet' ? 'kubelet' : 'runtime',
    } as const;
    return {
      plan: planOf(restartUnitProcedure, params, context),
      args: ['restart-unit', request.target, '--yes'],
      podKey: null,
    };
  }
  const view = model.pods.find((p) => p.key === request.target);
  if (!view) return null;
  switch (request.kind) {
    case 'disable':
      return podAction(view, planOf(disablePod, { ...podSubject(view), wait: true }, context), [
        'disable',
        '--wait',
      ]);
    case 'enable':
      return podAction(view, planOf(enablePod, { ...podSubject(view), wait: true }, context), [
        'enable',
        '--wait',
      ]);
    case 'restart-pod': {
      const params = restartParams(model, facts, {
        names: [view.fileName ?? view.name],
        all: false,
        method: 'auto',
        skipSnapshot: false,
        keepSnapshots: undefined,
        force: false,
        gateSeconds: undefined,
      });
      return podAction(view, planOf(restartPods, params, context), ['restart', '--yes']);
    }
    case 'stop-pod': {
      const name = view.podName ?? view.name;
      const target = { podName: name, namespace: view.namespace ?? '', enabled: view.enabled === true };
      const params = { name: view.name, target, graceSeconds: STOP_GRACE_SECONDS, force: true };
      return {
        plan: planOf(stopPodProcedure, params, context),
        args: ['stop', name, '--yes', '--force', '--timeout', String(STOP_GRACE_SECONDS)],
        podKey: null,
      };
    }
  }
}

/** A move or restart of the row's file: the exact file name, so the child moves that very file. */
function podAction(view: PodView, plan: Plan, [command, ...flags]: string[]): PlannedAction {
  return { plan, args: [command!, view.fileName!, ...flags], podKey: view.key };
}
