// Disable, enable and restart one static pod, by moving its manifest and watching the runtime follow.
import {
  containerIds,
  dependentsWarning,
  moveStep,
  NOTICE,
  type PodSubject,
  trapWarning,
  WAIT_RUNNING_SECONDS,
  WAIT_STOPPED_SECONDS,
  waitStep,
} from './pod-steps.js';
import type { Procedure } from './procedure.js';

export interface MoveParams extends PodSubject {
  /** Wait for the runtime to follow (the TUI, `--wait`); without it the move is the whole change. */
  wait: boolean;
}

export const disablePod: Procedure<MoveParams, null> = {
  command: 'disable',
  title: (p) => `Disable static pod ${p.name}`,
  steps: [
    moveStep(
      'disable',
      (p, plan) =>
        `move ${p.file} from ${plan.manifestsDir} to ${plan.holdingDir} (locked, fsynced, verified, audited)`,
    ),
    waitStep({
      id: 'wait-stopped',
      goal: 'stopped',
      seconds: WAIT_STOPPED_SECONDS,
      skip: (p) => !p.wait,
      describe: `${NOTICE}, then stops the pod's containers: watch the runtime until they are stopped`,
      failure: (p) =>
        `${p.name} disabled, but it still runs after ${WAIT_STOPPED_SECONDS} s: kubelet is not acting on the removal (restarted while the API server was down?). x (or \`breakglass stop ${p.name}\`) stops it through the runtime.`,
    }),
  ],
  start: () => null,
  warnings: (p, plan) => [...trapWarning(plan), ...dependentsWarning(p.name)],
  success: (p) => (p.wait ? `${p.name} disabled; the runtime shows it stopped` : `${p.name} disabled`),
};

export const enablePod: Procedure<MoveParams, null> = {
  command: 'enable',
  title: (p) => `Enable static pod ${p.name}`,
  steps: [
    moveStep(
      'enable',
      (p, plan) =>
        `move ${p.file} from ${plan.holdingDir} back to ${plan.manifestsDir} (locked, fsynced, verified, audited)`,
    ),
    waitStep({
      id: 'wait-running',
      goal: 'running',
      seconds: WAIT_RUNNING_SECONDS,
      skip: (p) => !p.wait,
      describe: `${NOTICE}, then starts the pod: watch the runtime until a container runs`,
      failure: (p) =>
        `${p.name} enabled, but no container runs after ${WAIT_RUNNING_SECONDS} s: is kubelet running? (see its journal)`,
    }),
  ],
  start: () => null,
  warnings: () => [],
  success: (p) => (p.wait ? `${p.name} enabled; a container runs` : `${p.name} enabled`),
};

interface RestartState {
  /** The containers that ran before: the restart is done when a new one runs. */
  before: Set<string>;
}

export const restartPod: Procedure<PodSubject, RestartState> = {
  command: 'restart',
  title: (p) => `Restart static pod ${p.name}`,
  steps: [
    moveStep('disable', (p, plan) => `disable: move ${p.file} to ${plan.holdingDir}; ${NOTICE}`),
    waitStep({
      id: 'wait-stopped',
      goal: 'stopped',
      seconds: WAIT_STOPPED_SECONDS,
      describe: "wait until the runtime shows the pod's containers stopped",
      onTimeout: `still running after ${WAIT_STOPPED_SECONDS} s: moving the manifest back anyway`,
      failure: (p) =>
        `${p.name} did not stop within ${WAIT_STOPPED_SECONDS} s, so kubelet ignored the removal; the manifest is back in place. x (or \`breakglass stop ${p.name} --force\`) stops the containers through the runtime.`,
    }),
    moveStep('enable', (p, plan) => `enable: move ${p.file} back to ${plan.manifestsDir}`, true),
    waitStep({
      id: 'wait-new-container',
      goal: 'running-new',
      seconds: WAIT_RUNNING_SECONDS,
      describe: 'wait for a new container running',
      before: (state: RestartState) => state.before,
      failure: (p) => `${p.name} is enabled again but no new container runs after ${WAIT_RUNNING_SECONDS} s`,
    }),
    waitStep({
      id: 'wait-healthy',
      goal: 'healthy',
      seconds: WAIT_RUNNING_SECONDS,
      skip: (p) => p.probeKey === null,
      describe: 'wait for its health probe to answer',
      before: (state: RestartState) => state.before,
      failure: (p) => `${p.name} restarted, but its health probe does not answer yet: watch its log`,
    }),
  ],
  start: (p, node) => ({ before: containerIds(node, p) }),
  notes: () => ['if the pod does not stop in time, the manifest is moved back anyway and you are told'],
  warnings: (p, plan) => [...trapWarning(plan), ...dependentsWarning(p.name)],
  success: (p) =>
    p.probeKey === null
      ? `${p.name} restarted: a new container runs`
      : `${p.name} restarted: a new container runs and its health probe answers`,
};
