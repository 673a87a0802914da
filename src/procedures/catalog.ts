// The changes the TUI offers, each one a procedure: its plan (what the confirmation shows) from the same
// definition the command runs, and the command that runs it in a child breakglass.
import type { NodeFacts } from '../model/facts.js';
import { type NodeModel, nodeModel } from '../model/node.js';
import type { PodView } from '../model/pod-view.js';
import type { ProcedureRecord } from '../node/state-dir.js';
import { DEFAULT_KEPT_SNAPSHOTS } from '../ops/etcd-snapshot.js';
import { renewCerts } from './cert-renew.js';
import { certRenewParams, DEFAULT_VALIDITY_DAYS } from './cert-renew-params.js';
import { etcdReclaim } from './etcd-maintenance.js';
import { etcdMaintenanceParams } from './etcd-params.js';
import { disablePod, enablePod } from './pod.js';
import { podSubject } from './pod-steps.js';
import { type Plan, type PlanContext, planContextOf, planOf } from './procedure.js';
import { type RestartAsk, restartParams } from './restart-params.js';
import { restartPods } from './restart-pods.js';
import { restartUnitProcedure } from './restart-unit.js';
import { revertPod } from './revert.js';
import { revertParams } from './revert-params.js';
import { STOP_GRACE_SECONDS, stopPodProcedure } from './stop-pod.js';

export type ActionKind =
  | 'disable'
  | 'enable'
  | 'restart-pod'
  | 'stop-pod'
  | 'restart-kubelet'
  | 'restart-runtime'
  /** The guided restart of every enabled static pod. */
  | 'restart-control-plane'
  /** The last restart that did not finish: go on from its failed step, or undo what it did. */
  | 'resume-restart'
  | 'rollback-restart'
  /** Follow the restart that runs now (no confirmation: it changes nothing). */
  | 'attach-restart'
  /** The manifest put back as its pod last ran healthy on it. */
  | 'revert'
  /** $EDITOR on a copy of the manifest: the screen hands the terminal to `breakglass edit`. */
  | 'edit'
  /** What is expired or expires within 30 days renewed, and the pods that use it restarted. */
  | 'renew-certs'
  /** etcd's space back: snapshot, compact, defragment this member, disarm NOSPACE, a test write. */
  | 'etcd-reclaim';

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
  /** A durable restart: on failure the screen offers retry and roll back. */
  resumable?: boolean;
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
  if (request.kind === 'renew-certs') return renewAction(model, facts, context);
  if (request.kind === 'etcd-reclaim') return reclaimAction(facts, context);
  const restart = restartAction(request, facts, model, context);
  if (restart !== undefined) return restart;
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
      const params = restartParams(model, facts, { ...ALL, all: false, names: [view.fileName ?? view.name] });
      return {
        ...podAction(view, planOf(restartPods, params, context), ['restart', '--yes']),
        resumable: true,
      };
    }
    case 'revert':
      return revertAction(view, model, facts, context);
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
    default:
      return null;
  }
}

/** A revert of the row's file; a plan that says why when there is nothing to put back. */
function revertAction(
  view: PodView,
  model: NodeModel,
  facts: NodeFacts,
  context: PlanContext,
): PlannedAction {
  const args = ['revert', view.fileName ?? view.name, '--yes'];
  try {
    const params = revertParams(model, facts, view.fileName ?? view.name, {
      to: null,
      gateSeconds: undefined,
      readOnly: false,
    });
    return { plan: planOf(revertPod, params, context), args, podKey: view.key };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      plan: { title: `Revert ${view.file ?? view.name}`, steps: [], notes: [], warnings: [why] },
      args,
      podKey: view.key,
    };
  }
}

/** `certs renew` of what is due; a plan that says why when nothing is. */
function renewAction(model: NodeModel, facts: NodeFacts, context: PlanContext): PlannedAction {
  const args = ['certs', 'renew', '--yes'];
  try {
    const params = certRenewParams(model, facts, {
      names: [],
      all: false,
      days: DEFAULT_VALIDITY_DAYS,
      restart: true,
      readOnly: false,
      gateSeconds: undefined,
    });
    return { plan: planOf(renewCerts, params, context), args, podKey: null };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      plan: { title: 'Renew certificates', steps: [], notes: [], warnings: [why] },
      args,
      podKey: null,
    };
  }
}

/** `etcd reclaim` of this node's member; a plan that says why when there is none. */
function reclaimAction(facts: NodeFacts, context: PlanContext): PlannedAction {
  const args = ['etcd', 'reclaim', '--yes'];
  try {
    const params = etcdMaintenanceParams(facts, DEFAULT_KEPT_SNAPSHOTS);
    return { plan: planOf(etcdReclaim, params, context), args, podKey: null };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      plan: { title: "Reclaim etcd's space", steps: [], notes: [], warnings: [why] },
      args,
      podKey: null,
    };
  }
}

/** A move or restart of the row's file: the exact file name, so the child moves that very file. */
function podAction(view: PodView, plan: Plan, [command, ...flags]: string[]): PlannedAction {
  return { plan, args: [command!, view.fileName!, ...flags], podKey: view.key };
}

const ALL: RestartAsk = {
  names: [],
  all: true,
  method: 'auto',
  skipSnapshot: false,
  keepSnapshots: undefined,
  force: false,
  gateSeconds: undefined,
  cordon: false,
  cordonedBefore: false,
};

/** The restart's own requests; undefined for the others. */
function restartAction(
  request: ActionRequest,
  facts: NodeFacts,
  model: ReturnType<typeof nodeModel>,
  context: PlanContext,
): PlannedAction | null | undefined {
  switch (request.kind) {
    case 'restart-control-plane': {
      // target 'cordon': the node marked unschedulable for the restart (the confirmation's u).
      const cordon = request.target === 'cordon';
      return {
        plan: planOf(restartPods, restartParams(model, facts, { ...ALL, cordon }), context),
        args: ['restart', '--all', '--yes', ...(cordon ? ['--cordon'] : [])],
        podKey: null,
        resumable: true,
      };
    }
    case 'attach-restart':
      return {
        plan: { title: 'The restart that runs', steps: [], notes: [], warnings: [] },
        args: ['restart', '--attach'],
        podKey: null,
        resumable: true,
      };
    case 'resume-restart':
    case 'rollback-restart': {
      const record = unfinishedRestart(facts);
      if (!record) return null;
      const retry = request.kind === 'resume-restart';
      const ran = record.steps.filter((s) => s.status !== 'pending' && s.status !== 'skipped');
      const steps = retry
        ? record.steps.map((s) => `${s.text}${s.status === 'done' ? ' (done before: skipped)' : ''}`)
        : ran
            .filter((s) => s.id.startsWith('restart:'))
            .reverse()
            .map(
              (s) =>
                `${s.id.slice('restart:'.length)}: make sure its manifest is in place and a container runs`,
            );
      return {
        plan: {
          title: `${retry ? 'Retry' : 'Roll back'} the restart of ${record.startedAt}`,
          steps,
          notes: retry
            ? ['it goes on from the first step not done; the steps done are not run again']
            : ['every step that ran is undone, the newest first; a snapshot taken is kept'],
          warnings: [],
        },
        args: ['restart', retry ? '--resume' : '--rollback', '--yes'],
        podKey: null,
        resumable: true,
      };
    }
    default:
      return undefined;
  }
}

/** The last restart that did not finish: cut short (its record still current) or ended in failure. */
export function unfinishedRestart(facts: NodeFacts): ProcedureRecord | null {
  const { current, last } = facts.procedures;
  if (current) return current.runnerAlive ? null : current;
  return last?.command === 'restart' && last.end && !last.end.ok ? last : null;
}
