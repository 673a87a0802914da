// The lab's dockerd. It uses the lab's containerd (namespace moby; CRI's is k8s.io), as Docker uses the
// system containerd on a real node: the containerd dockerd would otherwise manage keeps its plugin state in
// the host's /opt/containerd.
import type { Log } from '../packages.js';
import { dockerAnswers, dockerCli, outputLines } from './clients.js';
import type { LabPaths } from './paths.js';
import { spawnDetached, waitUntilAnswering } from './processes.js';

const DOCKERD = '/usr/sbin/dockerd';

/** dockerd connects to the lab's containerd at start, so that one must answer first. It writes its own pid file. */
export async function startDockerd(paths: LabPaths): Promise<number> {
  const pid = spawnDetached(DOCKERD, dockerdArgs(paths), paths, paths.dockerLog);
  await waitUntilAnswering('dockerd', pid, paths.dockerLog, () => dockerAnswers(paths.dockerSocket));
  return pid;
}

function dockerdArgs(paths: LabPaths): string[] {
  return [
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    '--host',
    `unix://${paths.dockerSocket}`,
    '--data-root',
    paths.dockerDataRoot,
    '--exec-root',
    paths.dockerExecRoot,
    '--pidfile',
    paths.dockerPidFile,
    '--config-file',
    paths.dockerConfigFile,
    '--containerd',
    paths.containerdSocket,
  ];
}

export function removeDockerContainers(paths: LabPaths, log: Log): void {
  const ids = outputLines(dockerCli(paths.dockerSocket, ['ps', '-aq']));
  if (ids.length === 0) return;
  dockerCli(paths.dockerSocket, ['rm', '-f', ...ids]);
  log(`docker: removed ${ids.length} container(s)`);
}
