// Where a lab's daemons keep everything: every socket, pid file, log and state directory under one lab dir.
import * as path from 'node:path';

/** sun_path is 108 bytes. */
const MAX_SOCKET_PATH = 107;

export interface LabPaths {
  dir: string;
  dockerSocket: string;
  dockerPidFile: string;
  dockerLog: string;
  dockerDataRoot: string;
  dockerExecRoot: string;
  dockerConfigFile: string;
  containerdSocket: string;
  containerdPidFile: string;
  containerdLog: string;
  containerdDir: string;
  containerdConfig: string;
  containerdState: string;
  /** runc's state for CRI's containers (`ctr run --runc-root` for others): its default is the host's /run. */
  runcRoot: string;
  podLogsDir: string;
  buildDir: string;
  hostPathsRecord: string;
}

export function labPaths(dir: string): LabPaths {
  const abs = path.resolve(dir);
  const containerdDir = path.join(abs, 'containerd');
  return {
    dir: abs,
    dockerSocket: path.join(abs, 'docker.sock'),
    dockerPidFile: path.join(abs, 'docker.pid'),
    dockerLog: path.join(abs, 'dockerd.log'),
    dockerDataRoot: path.join(abs, 'docker'),
    dockerExecRoot: path.join(abs, 'docker-exec'),
    dockerConfigFile: path.join(abs, 'docker-daemon.json'),
    containerdSocket: path.join(abs, 'containerd.sock'),
    containerdPidFile: path.join(abs, 'containerd.pid'),
    containerdLog: path.join(abs, 'containerd.log'),
    containerdDir,
    containerdConfig: path.join(containerdDir, 'config.toml'),
    containerdState: path.join(containerdDir, 'state'),
    runcRoot: path.join(containerdDir, 'runc'),
    // The lab node's kubelet keeps pod logs under its root (podLogsDir /var/log/pods).
    podLogsDir: path.join(abs, 'node/var/log/pods'),
    buildDir: path.join(abs, 'build'),
    hostPathsRecord: path.join(abs, 'host-paths-created.json'),
  };
}

export function assertSocketPathsFit(paths: LabPaths): void {
  const longest = `${paths.containerdSocket}.ttrpc`;
  if (longest.length > MAX_SOCKET_PATH) {
    throw new Error(
      `lab dir ${paths.dir} is too long: socket paths under it would exceed ${MAX_SOCKET_PATH} bytes`,
    );
  }
}
