// A node marked unschedulable for the time of a restart, and schedulable again after it, through the
// API server with the node's admin kubeconfig: the isolation `kubectl cordon` gives. Never required:
// with the API server down there is nothing to tell, and the restart goes on. Audited.
import { KubeApi, readKubeconfig } from '../clients/kube-api.js';
import { tryAppendAudit } from './audit.js';
import { checkMayChange } from './guard.js';

export interface CordonRequest {
  kubeconfig: string;
  /** The node's root: paths inside the kubeconfig are node paths. */
  root: string;
  nodeName: string;
  stateDir: string;
  readOnly: boolean;
}

export type CordonOutcome =
  | { done: 'cordoned' | 'uncordoned' | 'already' }
  /** The API server could not be reached or refused: nothing changed. */
  | { done: 'unreachable'; why: string };

const TIMEOUT_MS = 5_000;

/** Sets spec.unschedulable to `value`; says 'already' when it was so (the operator's own cordon, say). */
export async function setNodeUnschedulable(request: CordonRequest, value: boolean): Promise<CordonOutcome> {
  checkMayChange(request, 'cordon the node');
  let api: KubeApi;
  try {
    api = new KubeApi(await readKubeconfig(request.kubeconfig, { root: request.root }), TIMEOUT_MS);
  } catch (err) {
    return { done: 'unreachable', why: err instanceof Error ? err.message : String(err) };
  }
  try {
    const node = await api.getNode(request.nodeName);
    if (node.unschedulable === value) return { done: 'already' };
    await api.setUnschedulable(request.nodeName, value);
  } catch (err) {
    return { done: 'unreachable', why: err instanceof Error ? err.message : String(err) };
  }
  tryAppendAudit(request.stateDir, {
    action: value ? 'cordon' : 'uncordon',
    file: request.nodeName,
    outcome: 'ok',
    message: `spec.unschedulable=${value} through ${api.server}`,
  });
  return { done: value ? 'cordoned' : 'uncordoned' };
}
