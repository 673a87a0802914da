// Disable and enable one static pod, by moving its manifest and watching the runtime follow.
import {
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
