// A lab: real dockerd and containerd (CRI) with local images, all under one directory.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { CriClient } from '../../src/clients/cri.js';
import {
  type ControlPlane,
  type ControlPlaneSettings,
  componentHealth,
  controlPlaneOf,
  controlPlaneUp,
  readSettings,
} from './controlplane.js';
import { daemonsAnswer } from './daemons/clients.js';
import { labPaths } from './daemons/paths.js';
import { startDaemons, startLabContainerd, stopContainerd, stopDaemons } from './daemons.js';
import { activeFaults, type FaultContext, findFault } from './faults.js';
import { ensureLabImages, LAB_IMAGES, type LabImages } from './images.js';
import { ensureDebianPackages, LAB_PACKAGES, type Log } from './packages.js';
import {
  writeExpiredCertificate,
  writeExpiredKubeconfig,
  writeNotYetValidCertificate,
} from './pki/expired.js';
import { type LabLeafName, LEAF_CA } from './pki/specs.js';
import { systemctl, writeDropIn } from './systemd/units.js';
import { labSystemdPaths, stopLabSystemd } from './systemd.js';

export const DEFAULT_LAB_DIR = '/var/lib/breakglass-lab';

export interface LabEnv {
  dir: string;
  dockerSocket: string;
  containerdSocket: string;
  /** <dir>/var/log/pods: the log_directory root for CRI pods. */
  podLogsDir: string;
  /** Docker names; CRI knows them with a docker.io/ prefix (criImageName). */
  images: LabImages;
  /** The lab node's `/`: point breakglass at it with --root. */
  nodeRoot: string;
  /** The lab's systemd: DBUS_SYSTEM_BUS_ADDRESS for breakglass. */
  dbusAddress: string;
  /** The lab's persistent journal: `journalctl --directory`. */
  journalDir: string;
  /** Added to every kubeadm port (etcd 2379, apiserver 6443, ...). */
  portOffset: number;
}

/** The variables the test wrapper exports to the tests (read back by test/helpers/lab.ts). */
export const LAB_ENV_VARIABLES = {
  dir: 'BREAKGLASS_LAB_DIR',
  dockerSocket: 'BREAKGLASS_LAB_DOCKER_SOCKET',
  containerdSocket: 'BREAKGLASS_LAB_CONTAINERD_SOCKET',
  podLogsDir: 'BREAKGLASS_LAB_POD_LOGS',
  nodeRoot: 'BREAKGLASS_LAB_NODE_ROOT',
  dbusAddress: 'BREAKGLASS_LAB_DBUS',
  journalDir: 'BREAKGLASS_LAB_JOURNAL',
  portOffset: 'BREAKGLASS_LAB_PORT_OFFSET',
} as const;

export interface LabOptions {
  log?: Log;
  /** The control plane on top of the daemons (systemd, kubelet, static pods); false for daemons only. */
  controlPlane?: Partial<ControlPlaneSettings> | false;
}

export function stderrLog(line: string): void {
  process.stderr.write(`lab: ${line}\n`);
}

/** The flags that point breakglass at the lab: its node root, its journal and its systemd's D-Bus. */
export function labBreakglassArgs(env: LabEnv): string[] {
  return ['--root', env.nodeRoot, '--journal-dir', env.journalDir, '--dbus', env.dbusAddress];
}

export function labEnvFor(dir: string): LabEnv {
  const paths = labPaths(dir);
  const systemd = labSystemdPaths(paths);
  return {
    dir: paths.dir,
    dockerSocket: paths.dockerSocket,
    containerdSocket: paths.containerdSocket,
    podLogsDir: paths.podLogsDir,
    images: { ...LAB_IMAGES },
    nodeRoot: path.join(paths.dir, 'node'),
    dbusAddress: systemd.dbusAddress,
    journalDir: systemd.journalDir,
    portOffset: readSettings(paths.dir)?.portOffset ?? 0,
  };
}

export function labEnvVariables(env: LabEnv): Record<string, string> {
  return {
    [LAB_ENV_VARIABLES.dir]: env.dir,
    [LAB_ENV_VARIABLES.dockerSocket]: env.dockerSocket,
    [LAB_ENV_VARIABLES.containerdSocket]: env.containerdSocket,
    [LAB_ENV_VARIABLES.podLogsDir]: env.podLogsDir,
    [LAB_ENV_VARIABLES.nodeRoot]: env.nodeRoot,
    [LAB_ENV_VARIABLES.dbusAddress]: env.dbusAddress,
    [LAB_ENV_VARIABLES.journalDir]: env.journalDir,
    [LAB_ENV_VARIABLES.portOffset]: String(env.portOffset),
  };
}

/** `NAME=value` lines a shell can eval. */
export function labEnvLines(env: LabEnv): string {
  return Object.entries(labEnvVariables(env))
    .map(([name, value]) => `${name}=${value}\n`)
    .join('');
}

/**
 * Packages, daemons, images, then the control plane (unless only the daemons are asked for): each step
 * skipped when already done, so a re-run on the same dir is quick.
 */
export async function labUp(
  dir: string,
  { log = stderrLog, controlPlane = {} }: LabOptions = {},
): Promise<LabEnv> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root: it runs dockerd and containerd');
  const started = Date.now();
  const paths = labPaths(dir);
  await step(log, 'Debian packages', () => ensureDebianPackages(LAB_PACKAGES, log));
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o755 });
  await step(log, 'daemons', () => startDaemons(paths.dir, log));
  await step(log, 'images', () => ensureLabImages(paths, log));
  if (controlPlane !== false)
    await step(log, 'control plane', () => controlPlaneUp(paths.dir, controlPlane, log));
  log(`up in ${paths.dir} (${Date.now() - started} ms)`);
  return labEnvFor(paths.dir);
}

/** Stops everything the lab runs and leaves no process, mount or container behind; keeps the images. */
export async function labDown(dir: string, { log = stderrLog }: LabOptions = {}): Promise<void> {
  const started = Date.now();
  const paths = labPaths(dir);
  if (await daemonsAnswer(paths.dir).then((a) => a.docker)) await stopLabSystemd(paths, log);
  await stopDaemons(dir, log);
  log(`down in ${paths.dir} (${Date.now() - started} ms)`);
}

/** The lab's control plane as it was brought up; throws when there is none. */
export function labControlPlane(dir: string): ControlPlane {
  const paths = labPaths(dir);
  const settings = readSettings(paths.dir);
  if (!settings) throw new Error(`no lab control plane in ${paths.dir}: run \`npm run lab -- up\``);
  const systemd = labSystemdPaths(paths);
  return controlPlaneOf(paths.dir, settings, { ...systemd, container: 'breakglass-lab-systemd' });
}

/** Where everything is, how breakglass is pointed at it, what is healthy and which faults are on. */
export async function labStatus(dir: string): Promise<string> {
  const env = labEnvFor(dir);
  const plane = labControlPlane(dir);
  const health = await componentHealth(plane.ports);
  const lines = [
    '# the lab, for breakglass:',
    `#   bin/breakglass ${labBreakglassArgs(env).join(' ')}      (or: npm run lab -- open)`,
    `# journal: journalctl --directory ${env.journalDir} -u kubelet`,
    `# runtime: ${plane.settings.runtime === 'docker' ? `docker -H unix://${env.dockerSocket}` : `ctr --address ${env.containerdSocket} -n k8s.io`}`,
    `# manifests: ${plane.node.manifests}`,
    `# ports (offset ${plane.settings.portOffset}): ${Object.entries(plane.ports)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...health.map(
      (h) => `# ${h.healthy ? 'healthy  ' : 'UNHEALTHY'} ${h.name.padEnd(24)} ${h.url}  ${h.detail}`,
    ),
    `# faults on: ${activeFaults(dir).join(', ') || 'none'}`,
    `DBUS_SYSTEM_BUS_ADDRESS=${env.dbusAddress}`,
  ];
  return `${lines.join('\n')}\n${labEnvLines(env)}`;
}

export async function labFault(dir: string, name: string, log: Log = stderrLog): Promise<void> {
  const fault = findFault(name);
  if (activeFaults(dir).includes(name))
    throw new Error(`fault ${name} is on already: \`heal ${name}\` first`);
  await fault.inject(faultContext(dir, log));
  log(`fault ${name}: ${fault.description}`);
}

/** Heals one fault, or every fault that is on. */
export async function labHeal(dir: string, name: string | undefined, log: Log = stderrLog): Promise<void> {
  const names = name ? [name] : activeFaults(dir).reverse();
  for (const n of names) {
    await findFault(n).heal(faultContext(dir, log));
    log(`healed ${n}`);
  }
}

function faultContext(dir: string, log: Log): FaultContext {
  const paths = labPaths(dir);
  const plane = labControlPlane(dir);
  return {
    labDir: paths.dir,
    node: plane.node,
    log,
    ops: {
      systemctl: (args) => void systemctl(paths, args),
      installKubeletDropIn: (name, text) => writeDropIn(paths, 'kubelet.service', name, text),
      stopRuntime: () => stopContainerd(paths.dir, log),
      startRuntime: () => startLabContainerd(paths.dir),
      etcdContainerPid: () => etcdContainerPid(dir, plane),
      etcdContainers: () => etcdContainers(dir, plane),
      writeExpiredCertificate: () => void writeExpiredCertificate(plane.node.root, 'apiserver'),
      writeNotYetValidCertificate: () => void writeNotYetValidCertificate(plane.node.root, 'apiserver'),
      expireEveryCertificate: () => {
        for (const leaf of Object.keys(LEAF_CA) as LabLeafName[])
          writeExpiredCertificate(plane.node.root, leaf);
        for (const conf of ['admin', 'super-admin', 'controller-manager', 'scheduler'])
          writeExpiredKubeconfig(plane.node.root, conf);
      },
      removePods: (name) => removePods(dir, plane, `${name}-${plane.node.nodeName}`),
    },
  };
}

async function removePods(dir: string, plane: ControlPlane, mirrorPodName: string): Promise<void> {
  const paths = labPaths(dir);
  if (plane.settings.runtime === 'docker') {
    const docker = new Docker({ socketPath: paths.dockerSocket });
    const pods = await docker.listContainers({
      all: true,
      filters: { label: [`io.kubernetes.pod.name=${mirrorPodName}`] },
    });
    for (const c of pods) await docker.getContainer(c.Id).remove({ force: true });
    return;
  }
  const client = new CriClient(`unix://${paths.containerdSocket}`, 30_000);
  try {
    for (const sandbox of await client.listPodSandboxes()) {
      if (sandbox.labels['io.kubernetes.pod.name'] !== mirrorPodName) continue;
      await client.stopPodSandbox(sandbox.id);
      await client.removePodSandbox(sandbox.id);
    }
  } finally {
    client.close();
  }
}

async function etcdContainers(dir: string, plane: ControlPlane): Promise<{ id: string; running: boolean }[]> {
  const paths = labPaths(dir);
  if (plane.settings.runtime === 'docker') {
    const docker = new Docker({ socketPath: paths.dockerSocket });
    const found = await docker.listContainers({
      all: true,
      filters: { label: ['io.kubernetes.container.name=etcd', 'io.kubernetes.docker.type=container'] },
    });
    return found.map((c) => ({ id: c.Id, running: c.State === 'running' }));
  }
  const client = new CriClient(`unix://${paths.containerdSocket}`);
  try {
    return (await client.listContainers())
      .filter((c) => c.labels['io.kubernetes.container.name'] === 'etcd')
      .map((c) => ({ id: c.id, running: c.state === 'CONTAINER_RUNNING' }));
  } finally {
    client.close();
  }
}

/** The host pid of etcd's running container, from the runtime the lab's kubelet uses. */
async function etcdContainerPid(dir: string, plane: ControlPlane): Promise<number> {
  const paths = labPaths(dir);
  if (plane.settings.runtime === 'docker') {
    const docker = new Docker({ socketPath: paths.dockerSocket });
    const [etcd] = await docker.listContainers({
      filters: { label: ['io.kubernetes.container.name=etcd', 'io.kubernetes.docker.type=container'] },
    });
    if (!etcd) throw new Error('no running etcd container');
    return (await docker.getContainer(etcd.Id).inspect()).State.Pid;
  }
  const client = new CriClient(`unix://${paths.containerdSocket}`);
  try {
    const etcd = (await client.listContainers()).find(
      (c) => c.state === 'CONTAINER_RUNNING' && c.labels['io.kubernetes.container.name'] === 'etcd',
    );
    if (!etcd) throw new Error('no running etcd container');
    const tasks = execFileSync('ctr', ['--address', paths.containerdSocket, '-n', 'k8s.io', 'tasks', 'ls'], {
      encoding: 'utf8',
    });
    const row = tasks.split('\n').find((l) => l.startsWith(etcd.id));
    const pid = Number(row?.trim().split(/\s+/)[1]);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no task pid for etcd container ${etcd.id}`);
    return pid;
  } finally {
    client.close();
  }
}

export async function labIsUp(dir: string): Promise<boolean> {
  const answering = await daemonsAnswer(dir);
  return answering.docker && answering.containerd;
}

async function step(log: Log, name: string, action: () => unknown): Promise<void> {
  const started = Date.now();
  log(`${name}...`);
  await action();
  log(`${name}: done (${Date.now() - started} ms)`);
}
