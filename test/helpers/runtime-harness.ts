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
import { until } from './wait.js';

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

const EXIT_WAIT = { timeoutMs: 30_000, retryErrors: true };

/** The pods a harness started, each under the RunningPod the tests hold. */
class StartedPods<P extends { containerIds: Record<string, string> }> {
  readonly all: P[] = [];
  private readonly handles = new Map<RunningPod, P>();

  add(spec: PodSpec, pod: P): RunningPod {
    this.all.push(pod);
    const running: RunningPod = {
      spec,
      mirrorName: mirrorPodName(spec),
      containerId: (n) => pod.containerIds[n]!,
    };
    this.handles.set(running, pod);
    return running;
  }

  of(running: RunningPod): P {
    return this.handles.get(running)!;
  }
}

export function criHarness(lab: LabEnv): Harness {
  const client = new CriClient(`unix://${lab.containerdSocket}`, 30_000);
  const pods = new StartedPods<CriPod>();
  return {
    kind: 'cri',
    endpoint: `unix://${lab.containerdSocket}`,
    runPod: async (spec) => pods.add(spec, await runCriPod(client, spec, lab.podLogsDir)),
    restart: (pod, container, attempt) =>
      startCriContainer(client, pods.of(pod), pod.spec, container, attempt),
    async waitExited(id) {
      await until(
        `container ${id} to exit`,
        async () => (await client.containerStatus(id)).state === 'CONTAINER_EXITED',
        EXIT_WAIT,
      );
    },
    kill: (id) => client.stopContainer(id, 0),
    async cleanup() {
      for (const pod of pods.all) await removeCriPod(client, pod);
      client.close();
    },
  };
}

export function dockerHarness(lab: LabEnv): Harness {
  const docker = new Docker({ socketPath: lab.dockerSocket });
  const pods = new StartedPods<DockerPod>();
  return {
    kind: 'docker',
    endpoint: `unix://${lab.dockerSocket}`,
    runPod: async (spec) =>
      pods.add(spec, await runDockerPod(docker, spec, lab.images.pause, lab.podLogsDir)),
    restart: (pod, container, attempt) =>
      startDockerContainer(docker, pods.of(pod), pod.spec, container, attempt, lab.podLogsDir),
    async waitExited(id) {
      await until(
        `container ${id} to exit`,
        async () => (await docker.getContainer(id).inspect()).State.Status === 'exited',
        EXIT_WAIT,
      );
    },
    kill: async (id) => {
      await docker.getContainer(id).kill();
    },
    async cleanup() {
      for (const pod of pods.all) await removeDockerPod(docker, pod);
    },
  };
}

export function manifestText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}
