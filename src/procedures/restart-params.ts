// What a restart is asked to do, planned from the node as it is: the pods in kubeadm's order, each with
// the method the node calls for and the endpoint its gate probes; etcd's access when etcd is among them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeFacts } from '../model/facts.js';
import type { NodeModel } from '../model/node.js';
import { resolvePodTarget } from '../model/pod-target.js';
import {
  chooseRestartMethod,
  gateEndpoint,
  type RequestedMethod,
  restartOrder,
} from '../model/restart-plan.js';
import { etcdAccess, isEtcdPod } from '../node/etcd.js';
import { DEFAULT_KEPT_SNAPSHOTS } from '../ops/etcd-snapshot.js';
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import { podSubject } from './pod-steps.js';
import { DEFAULT_GATE_SECONDS, type RestartParams } from './restart-pods.js';
import type { RestartTarget } from './restart-step.js';

export interface RestartAsk {
  /** Pod or file names; ignored with `all`. */
  names: string[];
  all: boolean;
  method: RequestedMethod;
  skipSnapshot: boolean;
  keepSnapshots: number | undefined;
  force: boolean;
  gateSeconds: number | undefined;
  /** Mark the node unschedulable for the restart (--cordon). */
  cordon: boolean;
  /** The run this one resumes or rolls back had cordoned the node. */
  cordonedBefore: boolean;
}

/** The pods to restart, in kubeadm's order, each with its method and gate, from the node as it is. */
export function restartParams(model: NodeModel, facts: NodeFacts, asked: RestartAsk): RestartParams {
  const views = asked.all
    ? model.pods.filter((p) => p.enabled === true && p.staticPod && p.podName)
    : asked.names.map((name) => {
        const target = resolvePodTarget(model, name);
        if (!target.enabled)
          throw new BreakglassError(
            `${escapeName(name)} is disabled: it does not run (enable it: breakglass enable ${escapeName(name)})`,
            'disabled',
          );
        return target.view;
      });
  if (views.length === 0) throw new BreakglassError('no enabled static pod to restart', 'nothing');
  const unique = [...new Map(views.map((v) => [v.key, v])).values()];
  const api = model.apiServer ? model.apiServer.ok : null;
  const now = new Date();
  const pods: RestartTarget[] = restartOrder(unique).map((view) => {
    const choice = chooseRestartMethod(view, asked.method, api, now);
    return {
      ...podSubject(view),
      method: choice.method,
      methodWhy: choice.why,
      endpoint: gateEndpoint(view),
    };
  });
  const etcdView = unique.find((v) => v.staticPod?.pod && isEtcdPod(v.staticPod.pod));
  const etcd = etcdView?.staticPod?.pod
    ? {
        access: etcdAccess(etcdView.staticPod.pod, facts.layout.pki.value, (f) => fs.existsSync(f)),
        snapshot: !asked.skipSnapshot,
        keepSnapshots: asked.keepSnapshots ?? DEFAULT_KEPT_SNAPSHOTS,
        force: asked.force,
      }
    : null;
  const cordon = asked.cordon
    ? {
        kubeconfig: path.join(facts.layout.root, 'etc/kubernetes/admin.conf'),
        nodeName: facts.layout.nodeName.value,
        cordonedBefore: asked.cordonedBefore,
      }
    : null;
  return { pods, etcd, cordon, gateSeconds: asked.gateSeconds ?? DEFAULT_GATE_SECONDS };
}
