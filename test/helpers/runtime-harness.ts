// Runs static-pod-shaped pods in the lab's real runtimes, the way kubelet would (scripts/lab/pods.ts),
// behind one shape so each runtime test runs against containerd (CRI) and Docker alike.
import * as fs from 'node:fs';
import Docker from 'dockerode';
import {
  type ContainerSpec,
  type CriPod,
  type DockerPod,
  mirrorPodName,
  type PodSpec,
  removeCriPod,
  removeDockerPod,
  runCriPod,
  runDockerPod,
  startCriContainer,
  startDockerContainer,
} from '../../scripts/lab/pods.js';
import { CriClient } from '../../src/clients/cri.js';
import type { LabEnv } from './lab.js';

export interface RunningPod {
  spec: PodSpec;
  mirrorName: string;
  containerId(name: string): string;
}

export interface Harness {
  kind: 'cri' | 'docker';
  /** The endpoint breakglass is pointed at (--runtime). */
  endpoint: string;
  runPod(spec: PodSpec): Promise<RunningPod>;
  /** kubelet's restart: a new container for the next attempt. */
  restart(pod: RunningPod, container: ContainerSpec, attempt: number): Promise<string>;
  /** Waits until the runtime says the container exited. */
  waitExited(id: string): Promise<void>;
  kill(id: string): Promise<void>;
  cleanup(): Promise<void>;
}

async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function criHarness(lab: LabEnv): Harness {
  const client = new CriClient(`unix://${lab.containerdSocket}`, 30_000);
  const pods: CriPod[] = [];
  const handles = new Map<RunningPod, CriPod>();
  return {
    kind: 'cri',
    endpoint: `unix://${lab.containerdSocket}`,
    async runPod(spec) {
      const pod = await runCriPod(client, spec, lab.podLogsDir);
      pods.push(pod);
      const running: RunningPod = {
        spec,
        mirrorName: mirrorPodName(spec),
        containerId: (n) => pod.containerIds[n]!,
      };
      handles.set(running, pod);
      return running;
    },
    restart: (pod, container, attempt) =>
      startCriContainer(client, handles.get(pod)!, pod.spec, container, attempt),
    async waitExited(id) {
      await until(`container ${id} to exit`, async () =>
        (await client.containerStatus(id)).state === 'CONTAINER_EXITED' ? true : null,
      );
    },
    kill: (id) => client.stopContainer(id, 0),
    async cleanup() {
      for (const pod of pods) await removeCriPod(client, pod);
      client.close();
    },
  };
}

export function dockerHarness(lab: LabEnv): Harness {
  const docker = new Docker({ socketPath: lab.dockerSocket });
  const pods: DockerPod[] = [];
  const handles = new Map<RunningPod, DockerPod>();
  return {
    kind: 'docker',
    endpoint: `unix://${lab.dockerSocket}`,
    async runPod(spec) {
      const pod = await runDockerPod(docker, spec, lab.images.pause, lab.podLogsDir);
      pods.push(pod);
      const running: RunningPod = {
        spec,
        mirrorName: mirrorPodName(spec),
        containerId: (n) => pod.containerIds[n]!,
      };
      handles.set(running, pod);
      return running;
    },
    restart: (pod, container, attempt) =>
      startDockerContainer(docker, handles.get(pod)!, pod.spec, container, attempt, lab.podLogsDir),
    async waitExited(id) {
      await until(`container ${id} to exit`, async () =>
        (await docker.getContainer(id).inspect()).State.Status === 'exited' ? true : null,
      );
    },
    kill: async (id) => {
      await docker.getContainer(id).kill();
    },
    async cleanup() {
      for (const pod of pods) await removeDockerPod(docker, pod);
    },
  };
}

export function manifestText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}
