// The runtime's write side: stopping a pod's containers and sandbox, for the one change that needs it
// (a kubelet that ignores a removed manifest). A separate small surface from the read-only Runtime, so
// only src/ops can stop anything.
import { CriClient } from '../../clients/cri.js';
import { DockerClient } from '../../clients/docker.js';
import type { RuntimeChoice } from '../../sources/runtime/detect.js';

export interface RuntimeControl {
  /** Stops a container: SIGTERM, then SIGKILL after `graceSeconds`. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  stopSandbox(id: string): Promise<void>;
  close(): void;
}

/** Docker gives a sandbox (the pause container) this long before SIGKILL, as cri-dockerd does. */
const SANDBOX_GRACE_SECONDS = 10;

export function openRuntimeControl(choice: RuntimeChoice, timeoutMs = 4_000): RuntimeControl {
  if (choice.kind === 'docker') {
    const client = new DockerClient(choice.endpoint, timeoutMs);
    const stop = (id: string, seconds: number) =>
      client.unary(
        'stop',
        async () => (await client.streams()).getContainer(id).stop({ t: seconds }),
        seconds * 1000,
      );
    return {
      stopContainer: async (id, graceSeconds) => {
        await stop(id, graceSeconds);
      },
      stopSandbox: async (id) => {
        await stop(id, SANDBOX_GRACE_SECONDS);
      },
      close: () => {},
    };
  }
  const client = new CriClient(choice.endpoint, timeoutMs);
  return {
    stopContainer: (id, graceSeconds) => client.stopContainer(id, graceSeconds),
    stopSandbox: (id) => client.stopPodSandbox(id),
    close: () => client.close(),
  };
}
