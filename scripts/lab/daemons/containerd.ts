// The lab's containerd with CRI: its config, its start, its containers removed and the sockets its killed
// shims leave behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Log } from '../packages.js';
import { containerdAnswers, criPluginProblem, ctr, ignoreFailure, outputLines } from './clients.js';
import type { LabPaths } from './paths.js';
import { logTail, spawnDetached, waitUntilAnswering } from './processes.js';

const CONTAINERD = '/usr/bin/containerd';

export function containerdConfig(paths: LabPaths): string {
  const d = paths.containerdDir;
  return `version = 2
root = "${d}/root"
state = "${paths.containerdState}"

[grpc]
  address = "${paths.containerdSocket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/local/pause:1"
  # Required on this VM: without it runc fails every RunPodSandbox ("can't get final child's PID from
  # pipe: EOF"), as the kernel refuses the -998 oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"

  # Empty CNI directories of the lab's own: host-network pods only, and no host CNI config is read.
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${d}/cni/bin"
    conf_dir = "${d}/cni/net.d"

  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    # runc's default state root is the host's /run/containerd/runc.
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "${paths.runcRoot}"
`;
}

export async function startContainerd(paths: LabPaths): Promise<number> {
  const pid = spawnDetached(CONTAINERD, ['--config', paths.containerdConfig], paths, paths.containerdLog);
  fs.writeFileSync(paths.containerdPidFile, `${pid}\n`);
  await waitUntilAnswering('containerd', pid, paths.containerdLog, () =>
    containerdAnswers(paths.containerdSocket),
  );
  assertCriPluginLoaded(paths);
  return pid;
}

function assertCriPluginLoaded(paths: LabPaths): void {
  const problem = criPluginProblem(paths.containerdSocket);
  if (problem !== null) {
    throw new Error(`containerd's CRI plugin did not load: ${problem}\n${logTail(paths.containerdLog)}`);
  }
}

/** Kills and removes every task and container in every namespace (CRI's k8s.io, and Docker's moby if dockerd left any). */
export function removeContainerdContainers(paths: LabPaths, log: Log): number {
  const socket = paths.containerdSocket;
  let removed = 0;
  for (const namespace of outputLines(ctr(socket, ['namespaces', 'ls', '-q']))) {
    const inNamespace = (args: string[]) => ctr(socket, ['-n', namespace, ...args]);
    for (const task of outputLines(inNamespace(['tasks', 'ls', '-q']))) {
      ignoreFailure(() => inNamespace(['tasks', 'rm', '-f', task]));
    }
    const containers = outputLines(inNamespace(['containers', 'ls', '-q']));
    if (containers.length === 0) continue;
    ignoreFailure(() => inNamespace(['containers', 'rm', ...containers]));
    log(`containerd: removed ${containers.length} container(s) in ${namespace}`);
    removed += containers.length;
  }
  return removed;
}

/**
 * A shim killed with SIGKILL leaves its socket in the host's /run/containerd/s; each task bundle under the
 * lab's state dir names its shim's socket in an `address` file.
 */
export function removeShimSocketsLeftByKilledShims(paths: LabPaths): void {
  for (const text of taskBundleFiles(paths.containerdState, 'address')) {
    const address = text.trim();
    if (address.startsWith('unix:///run/containerd/s/'))
      fs.rmSync(address.slice('unix://'.length), { force: true });
  }
}

/** The text of one file in every task bundle (<namespace>/<id>) under a containerd state dir that has it. */
export function taskBundleFiles(containerdState: string, name: string): string[] {
  const tasks = path.join(containerdState, 'io.containerd.runtime.v2.task');
  return subdirectories(tasks)
    .flatMap(subdirectories)
    .flatMap((bundle) => {
      try {
        return [fs.readFileSync(path.join(bundle, name), 'utf8')];
      } catch {
        return [];
      }
    });
}

function subdirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(dir, entry.name));
  } catch {
    return [];
  }
}
