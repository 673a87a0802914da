// What the node's runtime itself says runs, asked with the runtime's own tools (ctr, docker), not
// breakglass: the running containers of a static pod, by its Kubernetes labels.
import { ctr, dockerCli, outputLines } from '../../scripts/lab/daemons/clients.js';

export interface NodeRuntime {
  kind: 'cri' | 'docker';
  /** containerd's socket (kind cri) or dockerd's (kind docker). */
  socket: string;
  nodeName: string;
}

/** IDs of the running containers of static pod `pod` (its container named like the pod). */
export function runningContainers(rt: NodeRuntime, pod: string): string[] {
  const mirror = `${pod}-${rt.nodeName}`;
  if (rt.kind === 'docker') {
    return outputLines(
      dockerCli(rt.socket, [
        'ps',
        '-q',
        '--no-trunc',
        '--filter',
        `label=io.kubernetes.pod.name=${mirror}`,
        '--filter',
        `label=io.kubernetes.container.name=${pod}`,
      ]),
    );
  }
  const ids = outputLines(
    ctr(rt.socket, [
      '-n',
      'k8s.io',
      'containers',
      'ls',
      '-q',
      `labels."io.kubernetes.pod.name"==${mirror},labels."io.kubernetes.container.name"==${pod}`,
    ]),
  );
  const running = new Set(
    outputLines(ctr(rt.socket, ['-n', 'k8s.io', 'tasks', 'ls']))
      .map((line) => line.split(/\s+/))
      .filter((f) => f[2] === 'RUNNING')
      .map((f) => f[0]),
  );
  return ids.filter((id) => running.has(id));
}

/** IDs of what breakglass's one-off containers (ops/control/run-once.ts) left in the runtime: none, after. */
export function runOnceLeft(rt: Pick<NodeRuntime, 'kind' | 'socket'>): string[] {
  if (rt.kind === 'docker')
    return outputLines(dockerCli(rt.socket, ['ps', '-aq', '--filter', 'label=breakglass.run-once']));
  return outputLines(
    ctr(rt.socket, ['-n', 'k8s.io', 'containers', 'ls', '-q', 'labels."breakglass.run-once"==true']),
  );
}
