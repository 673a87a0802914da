// Runs a static pod in a real runtime the way kubelet does: kubelet's sandbox and container names,
// labels and annotations, the pod UID derived from the file, logs under the pod logs directory.
// Shared by the integration tests and the lab's kubelet stand-in.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { CriClient } from '../../src/clients/cri.js';
import { decodedForm } from '../../src/sources/manifests/edit-lint.js';

export interface PodSpec {
  /** metadata.name in the manifest; the mirror pod name adds the node name. */
  name: string;
  namespace: string;
  nodeName: string;
  /** The manifest's path: part of the pod UID, like kubelet's config hash. */
  file: string;
  /** The manifest's bytes: a changed manifest is a new pod. */
  content: string;
  labels?: Record<string, string>;
  /** kubelet's config source: 'file' (default), or 'http' for a pod from kubelet's --manifest-url. */
  configSource?: string;
  containers: ContainerSpec[];
}

export interface ContainerSpec {
  name: string;
  /** Docker image name (local/x:1); CRI uses docker.io/<name>. */
  image: string;
  command: string[];
  mounts?: { hostPath: string; containerPath: string; readonly?: boolean }[];
  memoryLimitBytes?: number;
  tty?: boolean;
}

export function mirrorPodName(spec: PodSpec): string {
  return `${spec.name}-${spec.nodeName.toLowerCase()}`;
}

/**
 * kubelet's file source hashes the pod, the host and the file path into the UID (= config hash). The pod
 * as decoded, not the file's bytes: a comment or a change of quoting gives the same UID.
 */
export function podUid(spec: PodSpec): string {
  return createHash('md5')
    .update(`host:${spec.nodeName}`)
    .update(`file:${spec.file}`)
    .update(decodedForm(spec.content) ?? spec.content)
    .digest('hex');
}

function podLabels(spec: PodSpec): Record<string, string> {
  return {
    ...(spec.labels ?? {}),
    'io.kubernetes.pod.name': mirrorPodName(spec),
    'io.kubernetes.pod.namespace': spec.namespace,
    'io.kubernetes.pod.uid': podUid(spec),
  };
}

function podAnnotations(spec: PodSpec): Record<string, string> {
  return {
    'kubernetes.io/config.source': spec.configSource ?? 'file',
    'kubernetes.io/config.hash': podUid(spec),
    'kubernetes.io/config.seen': new Date().toISOString(),
  };
}

function containerLabels(spec: PodSpec, container: ContainerSpec): Record<string, string> {
  return {
    'io.kubernetes.container.name': container.name,
    'io.kubernetes.pod.name': mirrorPodName(spec),
    'io.kubernetes.pod.namespace': spec.namespace,
    'io.kubernetes.pod.uid': podUid(spec),
  };
}

function containerAnnotations(container: ContainerSpec, attempt: number): Record<string, string> {
  return {
    'io.kubernetes.container.hash': createHash('md5')
      .update(JSON.stringify(container))
      .digest('hex')
      .slice(0, 8),
    'io.kubernetes.container.restartCount': String(attempt),
    'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
  };
}

/** <podLogsDir>/<namespace>_<mirror pod name>_<uid> */
export function podLogDirectory(podLogsDir: string, spec: PodSpec): string {
  return path.join(podLogsDir, `${spec.namespace}_${mirrorPodName(spec)}_${podUid(spec)}`);
}

// ----- CRI (containerd, CRI-O) -----

export interface CriPod {
  sandboxId: string;
  logDirectory: string;
  sandboxConfig: object;
  containerIds: Record<string, string>;
}

function criSandboxConfig(spec: PodSpec, podLogsDir: string, attempt: number): object {
  return {
    metadata: { name: mirrorPodName(spec), uid: podUid(spec), namespace: spec.namespace, attempt },
    logDirectory: podLogDirectory(podLogsDir, spec),
    labels: podLabels(spec),
    annotations: podAnnotations(spec),
    // Control-plane static pods use the host network: no CNI needed.
    linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

export async function runCriPod(client: CriClient, spec: PodSpec, podLogsDir: string): Promise<CriPod> {
  const pod = await runCriSandbox(client, spec, podLogsDir);
  for (const container of spec.containers) {
    pod.containerIds[container.name] = await startCriContainer(client, pod, spec, container, 0);
  }
  return pod;
}

/** The sandbox alone; kubelet then starts the containers one by one (startCriContainer). */
export async function runCriSandbox(
  client: CriClient,
  spec: PodSpec,
  podLogsDir: string,
  attempt = 0,
): Promise<CriPod> {
  fs.mkdirSync(podLogDirectory(podLogsDir, spec), { recursive: true });
  const pod = criPodHandle(spec, podLogsDir, '', attempt);
  pod.sandboxId = await client.runPodSandbox(pod.sandboxConfig);
  return pod;
}

/** A handle on a sandbox that already runs (a restarted kubelet finds it in the runtime). */
export function criPodHandle(spec: PodSpec, podLogsDir: string, sandboxId: string, attempt: number): CriPod {
  return {
    sandboxId,
    sandboxConfig: criSandboxConfig(spec, podLogsDir, attempt),
    containerIds: {},
    logDirectory: podLogDirectory(podLogsDir, spec),
  };
}

/** What kubelet does when a container exited: a new container with the next attempt number. */
export async function startCriContainer(
  client: CriClient,
  pod: CriPod,
  spec: PodSpec,
  container: ContainerSpec,
  attempt: number,
): Promise<string> {
  const config = {
    metadata: { name: container.name, attempt },
    image: { image: `docker.io/${container.image}` },
    command: container.command,
    logPath: `${container.name}/${attempt}.log`,
    labels: containerLabels(spec, container),
    annotations: containerAnnotations(container, attempt),
    mounts: (container.mounts ?? []).map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly ?? false,
    })),
    tty: container.tty ?? false,
    linux: {
      resources: container.memoryLimitBytes ? { memoryLimitInBytes: String(container.memoryLimitBytes) } : {},
      securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
  const id = await client.createContainer(pod.sandboxId, config, pod.sandboxConfig);
  await client.startContainer(id);
  pod.containerIds[container.name] = id;
  return id;
}

/** Like kubelet removing a pod: its sandbox, containers and log directory go. */
export async function removeCriPod(client: CriClient, pod: CriPod): Promise<void> {
  await client.stopPodSandbox(pod.sandboxId).catch(() => {});
  await client.removePodSandbox(pod.sandboxId).catch(() => {});
  fs.rmSync(pod.logDirectory, { recursive: true, force: true });
}

// ----- Docker (cri-dockerd's conventions) -----

export interface DockerPod {
  sandboxId: string;
  logDirectory: string;
  /** The newest container of each name. */
  containerIds: Record<string, string>;
  /** Every container ever created for the pod, restarts included. */
  allContainerIds: string[];
}

function dockerName(kind: string, spec: PodSpec, attempt: number): string {
  return `k8s_${kind}_${mirrorPodName(spec)}_${spec.namespace}_${podUid(spec)}_${attempt}`;
}

/** cri-dockerd keeps annotations as labels prefixed `annotation.`. */
function asDockerLabels(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [`annotation.${k}`, v]));
}

export async function runDockerPod(
  docker: Docker,
  spec: PodSpec,
  pauseImage: string,
  podLogsDir: string,
): Promise<DockerPod> {
  const pod = await runDockerSandbox(docker, spec, pauseImage, podLogsDir);
  for (const container of spec.containers) {
    await startDockerContainer(docker, pod, spec, container, 0, podLogsDir);
  }
  return pod;
}

/** The sandbox (pause container) alone; the containers follow with startDockerContainer. */
export async function runDockerSandbox(
  docker: Docker,
  spec: PodSpec,
  pauseImage: string,
  podLogsDir: string,
  attempt = 0,
): Promise<DockerPod> {
  const sandbox = await docker.createContainer({
    name: dockerName('POD', spec, attempt),
    Image: pauseImage,
    Labels: {
      ...podLabels(spec),
      ...asDockerLabels(podAnnotations(spec)),
      'io.kubernetes.docker.type': 'podsandbox',
    },
    HostConfig: { NetworkMode: 'host' },
  });
  await sandbox.start();
  fs.mkdirSync(podLogDirectory(podLogsDir, spec), { recursive: true });
  return dockerPodHandle(spec, podLogsDir, sandbox.id, []);
}

/** A handle on a pod that already runs; containerIds: every container of the pod, any attempt. */
export function dockerPodHandle(
  spec: PodSpec,
  podLogsDir: string,
  sandboxId: string,
  containerIds: string[],
): DockerPod {
  return {
    sandboxId,
    containerIds: {},
    allContainerIds: [...containerIds],
    logDirectory: podLogDirectory(podLogsDir, spec),
  };
}

export async function startDockerContainer(
  docker: Docker,
  pod: DockerPod,
  spec: PodSpec,
  container: ContainerSpec,
  attempt: number,
  podLogsDir: string,
): Promise<string> {
  const created = await docker.createContainer({
    name: dockerName(container.name, spec, attempt),
    Image: container.image,
    Cmd: container.command,
    Tty: container.tty ?? false,
    Labels: {
      ...containerLabels(spec, container),
      ...asDockerLabels(containerAnnotations(container, attempt)),
      'io.kubernetes.docker.type': 'container',
      'io.kubernetes.sandbox.id': pod.sandboxId,
    },
    HostConfig: {
      NetworkMode: 'host',
      Binds: (container.mounts ?? []).map(
        (m) => `${m.hostPath}:${m.containerPath}${m.readonly ? ':ro' : ''}`,
      ),
      ...(container.memoryLimitBytes
        ? { Memory: container.memoryLimitBytes, MemorySwap: container.memoryLimitBytes }
        : {}),
    },
  });
  await created.start();
  // cri-dockerd links the CRI log path to Docker's json-file log, so kubelet's layout works here too.
  const info = await created.inspect();
  const logDir = path.join(podLogDirectory(podLogsDir, spec), container.name);
  fs.mkdirSync(logDir, { recursive: true });
  const link = path.join(logDir, `${attempt}.log`);
  fs.rmSync(link, { force: true });
  if (info.LogPath) fs.symlinkSync(info.LogPath, link);
  pod.containerIds[container.name] = created.id;
  pod.allContainerIds.push(created.id);
  return created.id;
}

export async function removeDockerPod(docker: Docker, pod: DockerPod): Promise<void> {
  for (const id of [...pod.allContainerIds, pod.sandboxId]) {
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => {});
  }
  fs.rmSync(pod.logDirectory, { recursive: true, force: true });
}
