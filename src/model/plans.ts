// What each action will do, said before it runs: the steps, how long kubelet may take to notice, and the
// warnings that apply right now. Pure: the app shows this in the confirmation and runs the same steps.

import type { PodRow } from './pod-rows.js';
import type { ActionRequest } from './ui.js';

/** kubelet's file source re-lists the static pod directory every 20 s (inotify usually wins). */
export const KUBELET_RELIST_SECONDS = 20;
export const WAIT_STOPPED_SECONDS = 60;
export const WAIT_RUNNING_SECONDS = 120;
export const STOP_GRACE_SECONDS = 30;

export interface ActionPlan {
  title: string;
  steps: string[];
  warnings: string[];
}

export interface PlanContext {
  row: PodRow | null;
  manifestsDir: string;
  holdingDir: string;
  /** Whether the API server answered its last probe; null when unknown. */
  apiserverAnswers: boolean | null;
  runtimeKind: 'docker' | 'cri' | null;
}

const NOTICE = `kubelet notices at once through inotify, or at its next re-list within ${KUBELET_RELIST_SECONDS} s`;

export function planFor(request: ActionRequest, ctx: PlanContext): ActionPlan {
  const row = ctx.row;
  const pod = row?.name ?? request.target;
  const file = row?.file ?? '?';
  switch (request.kind) {
    case 'disable':
      return {
        title: `Disable static pod ${pod}`,
        steps: [
          `move ${file} from ${ctx.manifestsDir} to ${ctx.holdingDir} (locked, fsynced, verified, audited)`,
          `${NOTICE}, then stops the pod's containers`,
          'watch the runtime until they are stopped',
        ],
        warnings: [...trapWarning(ctx), ...dependentsWarning(pod)],
      };
    case 'enable':
      return {
        title: `Enable static pod ${pod}`,
        steps: [
          `move ${file} from ${ctx.holdingDir} back to ${ctx.manifestsDir} (locked, fsynced, verified, audited)`,
          `${NOTICE}, then starts the pod`,
          'watch the runtime until a container runs',
        ],
        warnings: [],
      };
    case 'restart-pod':
      return {
        title: `Restart static pod ${pod}`,
        steps: [
          `disable: move ${file} to ${ctx.holdingDir}; ${NOTICE}`,
          `wait until the runtime shows the pod's containers stopped (at most ${WAIT_STOPPED_SECONDS} s)`,
          `enable: move ${file} back to ${ctx.manifestsDir}`,
          `wait for a new container running and its health probe answering (at most ${WAIT_RUNNING_SECONDS} s)`,
          'if the pod does not stop in time, the manifest is moved back anyway and you are told',
        ],
        warnings: [...trapWarning(ctx), ...dependentsWarning(pod)],
      };
    case 'stop-pod': {
      const enabled = row?.enabled === true;
      return {
        title: `Stop the containers of ${pod} through the runtime`,
        steps: [
          `stop each running container of ${row?.podName ?? pod} (SIGTERM, SIGKILL after ${STOP_GRACE_SECONDS} s), then its sandbox`,
          'the manifest is not touched (locked and audited like every change)',
        ],
        warnings: enabled
          ? [
              'the manifest is enabled: kubelet starts the pod again at once (this only restarts its containers)',
            ]
          : [],
      };
    }
    case 'restart-kubelet':
      return {
        title: `Restart ${request.target}`,
        steps: [
          `RestartUnit ${request.target} over D-Bus (systemd stops kubelet, then starts it)`,
          'kubelet re-reads the static pod directory when it starts; running containers keep running',
          `watch the unit until it is active again`,
        ],
        warnings:
          ctx.apiserverAnswers === true
            ? []
            : [
                ctx.apiserverAnswers === false
                  ? 'the API server does not answer: a restarted kubelet IGNORES REMOVED MANIFESTS until the API server is back (pods you disabled keep running; x stops them)'
                  : 'the API server state is unknown: if it is down, a restarted kubelet ignores removed manifests until it is back',
              ],
      };
    case 'restart-runtime':
      return {
        title: `Restart ${request.target}`,
        steps: [
          `RestartUnit ${request.target} over D-Bus`,
          'watch the unit until it is active again, and the runtime socket answering',
        ],
        warnings:
          ctx.runtimeKind === 'docker'
            ? [
                'dockerd without live-restore stops every container when it stops: the whole control plane restarts',
              ]
            : [
                'containers keep running (their shims outlive containerd/CRI-O), but kubelet cannot start or stop any until it is back',
              ],
      };
  }
}

function trapWarning(ctx: PlanContext): string[] {
  if (ctx.apiserverAnswers === true) return [];
  return [
    'if kubelet was restarted while the API server was down, it ignores the removal and the pod keeps running; then x stops it through the runtime',
  ];
}

function dependentsWarning(pod: string): string[] {
  if (pod === 'etcd') return ['the API server cannot serve without etcd: it goes down too'];
  if (pod === 'kube-apiserver')
    return ['kubectl, the controller manager and the scheduler lose the API until it is back'];
  return [];
}
