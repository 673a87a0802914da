// Reads the runtime once for `status`: every failure becomes one line, and status goes on without it.
import type { NodeLayout } from '../node/discover.js';
import { chooseRuntime, type RuntimeChoice } from '../sources/runtime/detect.js';
import { openRuntime } from '../sources/runtime/open.js';
import type { Container, Runtime, RuntimeInfo, Sandbox } from '../sources/runtime/types.js';

export interface RuntimeSnapshot {
  choice: RuntimeChoice | null;
  info: RuntimeInfo | null;
  sandboxes: Sandbox[];
  containers: Container[];
  /** Why the runtime could not be read; null when it was. */
  error: string | null;
}

export function pickRuntime(layout: NodeLayout): RuntimeChoice | { error: string } {
  return chooseRuntime(layout.root, layout.runtimeEndpoint);
}

export function connect(layout: NodeLayout): { runtime: Runtime; choice: RuntimeChoice } | { error: string } {
  const choice = pickRuntime(layout);
  if ('error' in choice) return choice;
  return { runtime: openRuntime(choice, { root: layout.root, timeoutMs: 4_000 }), choice };
}

export async function readRuntime(layout: NodeLayout): Promise<RuntimeSnapshot> {
  const connected = connect(layout);
  if ('error' in connected)
    return { choice: null, info: null, sandboxes: [], containers: [], error: connected.error };
  const { runtime, choice } = connected;
  try {
    const info = await runtime.info();
    const [sandboxes, containers] = await Promise.all([runtime.listSandboxes(), runtime.listContainers()]);
    return { choice, info, sandboxes, containers, error: null };
  } catch (err) {
    return {
      choice,
      info: null,
      sandboxes: [],
      containers: [],
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    runtime.close();
  }
}
