// The PodRuntime over CRI (containerd) and over Docker, with the names, labels and annotations kubelet
// (and cri-dockerd) give a static pod's sandboxes and containers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { CriClient } from '../../../src/clients/cri.js';
import { parseDockerKubeName } from '../../../src/sources/runtime/labels.js';
import { LAB_IMAGES } from '../images.js';
import {
  criPodHandle,
  dockerPodHandle,
  removeCriPod,
  removeDockerPod,
  runCriSandbox,
  runDockerSandbox,
  startCriContainer,
  startDockerContainer,
} from '../pods.js';
import type { NodeConfig } from './node-config.js';
import {
  type ObservedContainer,
  type ObservedPod,
  type ObservedSandbox,
  type PodRuntime,
  STOP_GRACE_SECONDS,
} from './runtime.js';

const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const POD_NAME_LABEL = 'io.kubernetes.pod.name';
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
const CONFIG_SOURCE = 'kubernetes.io/config.source';

function podLogDirectoryOf(podLogsDir: string, pod: ObservedPod): string {
  return path.join(podLogsDir, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

function containerLogFile(podLogsDir: string, pod: ObservedPod, container: ObservedContainer): string {
  return path.join(podLogDirectoryOf(podLogsDir, pod), container.name, `${container.attempt}.log`);
}

class PodIndex {
  readonly pods = new Map<string, ObservedPod>();

  addSandbox(labels: Record<string, string>, sandbox: ObservedSandbox): void {
    const uid = labels[POD_UID_LABEL] ?? '';
    const pod = this.pods.get(uid) ?? {
      uid,
      name: labels[POD_NAME_LABEL] ?? '',
      namespace: labels[POD_NAMESPACE_LABEL] ?? '',
      sandboxes: [],
      containers: [],
    };
    pod.sandboxes.push(sandbox);
    this.pods.set(uid, pod);
  }

  addContainer(uid: string | undefined, container: ObservedContainer): void {
    if (uid !== undefined) this.pods.get(uid)?.containers.push(container);
  }
}

function ownedByNode(podName: string | undefined, source: string | undefined, nodeName: string): boolean {
  return source === 'file' && podName !== undefined && podName.endsWith(`-${nodeName}`);
}

export function criRuntime(node: NodeConfig): PodRuntime {
  const client = new CriClient(node.endpoint, 10_000);
  return {
    async observe() {
      const [sandboxes, containers] = await Promise.all([client.listPodSandboxes(), client.listContainers()]);
      const index = new PodIndex();
      for (const sandbox of sandboxes) {
        if (!ownedByNode(sandbox.labels[POD_NAME_LABEL], sandbox.annotations[CONFIG_SOURCE], node.nodeName))
          continue;
        index.addSandbox(sandbox.labels, {
          id: sandbox.id,
          attempt: sandbox.metadata?.attempt ?? 0,
          ready: sandbox.state === 'SANDBOX_READY',
        });
      }
      for (const container of containers) {
        index.addContainer(container.labels[POD_UID_LABEL], {
          id: container.id,
          sandboxId: container.podSandboxId,
          name: container.metadata?.name ?? container.labels[CONTAINER_NAME_LABEL] ?? '',
          attempt: container.metadata?.attempt ?? 0,
          running: container.state === 'CONTAINER_RUNNING',
        });
      }
      return index.pods;
    },
    async createSandbox(spec, attempt) {
      return (await runCriSandbox(client, spec, node.podLogsDir, attempt)).sandboxId;
    },
    startContainer(spec, sandbox, container, attempt) {
      const handle = criPodHandle(spec, node.podLogsDir, sandbox.id, sandbox.attempt);
      return startCriContainer(client, handle, spec, container, attempt);
    },
    stopContainer: (id) => client.stopContainer(id, STOP_GRACE_SECONDS),
    async finishedAt(id) {
      const nanos = (await client.containerStatus(id)).finishedAt;
      return nanos && nanos !== '0' ? Number(BigInt(nanos) / 1_000_000n) : null;
    },
    async removeContainer(pod, container) {
      await client.removeContainer(container.id);
      fs.rmSync(containerLogFile(node.podLogsDir, pod, container), { force: true });
    },
    async removeSandbox(_pod, sandbox) {
      await client.stopPodSandbox(sandbox.id);
      await client.removePodSandbox(sandbox.id);
    },
    async removePod(pod) {
      const logDirectory = podLogDirectoryOf(node.podLogsDir, pod);
      for (const sandbox of pod.sandboxes) {
        await removeCriPod(client, {
          sandboxId: sandbox.id,
          logDirectory,
          sandboxConfig: {},
          containerIds: {},
        });
      }
    },
  };
}

function dockerSocketPath(endpoint: string): string {
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
}

export function dockerRuntime(node: NodeConfig): PodRuntime {
  const docker = new Docker({ socketPath: dockerSocketPath(node.endpoint), timeout: 30_000 });
  const observedSandbox = (info: Docker.ContainerInfo): ObservedSandbox => ({
    id: info.Id,
    attempt: parseDockerKubeName(info.Names[0] ?? '')?.attempt ?? 0,
    ready: info.State === 'running',
  });
  const observedContainer = (info: Docker.ContainerInfo): ObservedContainer => ({
    id: info.Id,
    sandboxId: info.Labels['io.kubernetes.sandbox.id'] ?? '',
    name: info.Labels[CONTAINER_NAME_LABEL] ?? '',
    attempt: parseDockerKubeName(info.Names[0] ?? '')?.attempt ?? 0,
    running: info.State === 'running',
  });
  return {
    async observe() {
      const all = await docker.listContainers({ all: true, filters: { label: [POD_UID_LABEL] } });
      const index = new PodIndex();
      for (const info of all.filter((c) => c.Labels['io.kubernetes.docker.type'] === 'podsandbox')) {
        const source = info.Labels[`annotation.${CONFIG_SOURCE}`];
        if (ownedByNode(info.Labels[POD_NAME_LABEL], source, node.nodeName)) {
          index.addSandbox(info.Labels, observedSandbox(info));
        }
      }
      for (const info of all.filter((c) => c.Labels['io.kubernetes.docker.type'] === 'container')) {
        index.addContainer(info.Labels[POD_UID_LABEL], observedContainer(info));
      }
      return index.pods;
    },
    async createSandbox(spec, attempt) {
      return (await runDockerSandbox(docker, spec, LAB_IMAGES.pause, node.podLogsDir, attempt)).sandboxId;
    },
    startContainer(spec, sandbox, container, attempt) {
      const handle = dockerPodHandle(spec, node.podLogsDir, sandbox.id, []);
      return startDockerContainer(docker, handle, spec, container, attempt, node.podLogsDir);
    },
    async stopContainer(id) {
      await docker.getContainer(id).stop({ t: STOP_GRACE_SECONDS });
    },
    async finishedAt(id) {
      const finished = Date.parse((await docker.getContainer(id).inspect()).State.FinishedAt);
      return Number.isFinite(finished) && finished > 0 ? finished : null;
    },
    async removeContainer(pod, container) {
      await docker.getContainer(container.id).remove({ force: true });
      fs.rmSync(containerLogFile(node.podLogsDir, pod, container), { force: true });
    },
    async removeSandbox(pod, sandbox) {
      const ids = pod.containers.filter((c) => c.sandboxId === sandbox.id).map((c) => c.id);
      for (const id of [...ids, sandbox.id]) await docker.getContainer(id).remove({ force: true });
    },
    async removePod(pod) {
      const logDirectory = podLogDirectoryOf(node.podLogsDir, pod);
      const allContainerIds = pod.containers.map((c) => c.id);
      for (const sandbox of pod.sandboxes) {
        await removeDockerPod(docker, {
          sandboxId: sandbox.id,
          logDirectory,
          containerIds: {},
          allContainerIds,
        });
      }
    },
  };
}
