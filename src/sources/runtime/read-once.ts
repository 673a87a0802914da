// The runtime read once (for `status` and the one-shot commands): every failure becomes one line, and
// the caller goes on without it.
import type { Located } from '../../node/discover.js';
import { errnoMessage } from '../../util/errors.js';
import { chooseRuntime, type RuntimeChoice } from './detect.js';
import { openRuntime } from './open.js';
import type { Container, Runtime, RuntimeInfo, Sandbox } from './types.js';

export interface RuntimeOnce {
  choice: RuntimeChoice | null;
  info: RuntimeInfo | null;
  sandboxes: Sandbox[];
  containers: Container[];
  /** Why the runtime could not be read; null when it was. */
  error: string | null;
}

export interface RuntimePlace {
  root: string;
  runtimeEndpoint: Located<string | null>;
}

/** The runtime kubelet uses, opened (reads only); or why there is none. */
export function connectRuntime(
  place: RuntimePlace,
): { runtime: Runtime; choice: RuntimeChoice } | { error: string } {
  const choice = chooseRuntime(place.root, place.runtimeEndpoint);
  if ('error' in choice) return choice;
  return { runtime: openRuntime(choice, { root: place.root, timeoutMs: 4_000 }), choice };
}

export async function readRuntimeOnce(place: RuntimePlace): Promise<RuntimeOnce> {
  const connected = connectRuntime(place);
  if ('error' in connected)
    return { choice: null, info: null, sandboxes: [], containers: [], error: connected.error };
  const { runtime, choice } = connected;
  try {
    const info = await runtime.info();
    const [sandboxes, containers] = await Promise.all([runtime.listSandboxes(), runtime.listContainers()]);
    return { choice, info, sandboxes, containers, error: null };
  } catch (err) {
    return { choice, info: null, sandboxes: [], containers: [], error: errnoMessage(err) };
  } finally {
    runtime.close();
  }
}
