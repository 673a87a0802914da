// containerd.service: a CRI containerd run by the lab's systemd as on a node, beside the containerd the
// lab spawns for its dockerd.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { criPluginProblem } from '../daemons/clients.js';
import { containerdConfig } from '../daemons/containerd.js';
import type { LabPaths } from '../daemons/paths.js';
import { ensureLabImages } from '../images.js';
import type { Log } from '../packages.js';
import { dockerExec, dockerRaw, SYSTEMD_CONTAINER, writeFileInContainer } from './container.js';
import { systemctl } from './units.js';

export const CONTAINERD_UNIT = 'containerd.service';
/** Where Debian's containerd.service (ExecStart=/usr/bin/containerd) reads its config: as on a node. */
const CONTAINERD_CONFIG_IN_CONTAINER = '/etc/containerd/config.toml';
const CONTAINERD_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

export interface ContainerdService {
  unit: string;
  /** The CRI endpoint, on the host and inside the container alike. */
  socket: string;
  /** runc's state root for CRI's containers (`ctr run --runc-root`). */
  runcRoot: string;
  /** The config file inside the container (Debian's unit reads the default path). */
  configFile: string;
}

export function containerdServicePaths(paths: LabPaths): LabPaths {
  const containerdDir = path.join(paths.dir, 'systemd-containerd');
  return {
    ...paths,
    containerdDir,
    containerdConfig: path.join(containerdDir, 'config.toml'),
    containerdState: path.join(containerdDir, 'state'),
    containerdSocket: path.join(containerdDir, 'containerd.sock'),
    runcRoot: path.join(containerdDir, 'runc'),
  };
}

/**
 * Runs a CRI containerd as Debian's own containerd.service in the lab's systemd, with the lab's config
 * (its root, state and socket under <dir>/systemd-containerd) at /etc/containerd/config.toml, and imports
 * the lab's images into it. It is a second containerd: the lab's dockerd, which runs this very container,
 * keeps the one the lab spawns. The lab dir must be bind-mounted at the same path (startLabSystemd's mounts).
 */
export async function startContainerdService(
  paths: LabPaths,
  log: Log = () => {},
): Promise<ContainerdService> {
  const service = containerdServicePaths(paths);
  assertLabDirMounted(paths);
  fs.mkdirSync(service.containerdDir, { recursive: true, mode: 0o755 });
  const config = containerdConfig(service);
  fs.writeFileSync(service.containerdConfig, config);
  writeFileInContainer(paths, CONTAINERD_CONFIG_IN_CONTAINER, config);
  const started = Date.now();
  systemctl(paths, ['enable', CONTAINERD_UNIT]);
  systemctl(paths, ['restart', CONTAINERD_UNIT]);
  await waitForContainerd(paths, service.containerdSocket);
  log(`${CONTAINERD_UNIT}: answers on ${service.containerdSocket} (${Date.now() - started} ms)`);
  await ensureLabImages(service, log);
  return {
    unit: CONTAINERD_UNIT,
    socket: service.containerdSocket,
    runcRoot: service.runcRoot,
    configFile: CONTAINERD_CONFIG_IN_CONTAINER,
  };
}

function assertLabDirMounted(paths: LabPaths): void {
  const result = dockerRaw(paths, [
    'inspect',
    '-f',
    '{{range .Mounts}}{{.Destination}}\n{{end}}',
    SYSTEMD_CONTAINER,
  ]);
  if (!result.stdout.split('\n').includes(paths.dir)) {
    throw new Error(
      `${SYSTEMD_CONTAINER} lacks the lab dir ${paths.dir}: pass it in startLabSystemd's mounts`,
    );
  }
}

async function waitForContainerd(paths: LabPaths, socket: string): Promise<void> {
  const deadline = Date.now() + CONTAINERD_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      assertCriLoaded(socket);
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(POLL_MS);
  }
  const status = dockerExec(paths, ['systemctl', '--no-pager', 'status', CONTAINERD_UNIT]);
  throw new Error(
    `${CONTAINERD_UNIT} did not answer on ${socket} within ${CONTAINERD_TIMEOUT_MS / 1000} s: ${lastError}\n${status.stdout}`,
  );
}

function assertCriLoaded(socket: string): void {
  const problem = criPluginProblem(socket);
  if (problem !== null) throw new Error(`CRI plugin: ${problem}`);
}
