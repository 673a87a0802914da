// The composition point for runtimes: picks the adapter for the chosen endpoint.
import { CriRuntime } from './cri.js';
import type { RuntimeChoice } from './detect.js';
import { DockerRuntime } from './docker.js';
import type { Runtime } from './types.js';

export interface OpenOptions {
  timeoutMs?: number;
  /** The node's root (--root), for paths the runtime reports. */
  root?: string;
}

export function openRuntime(choice: RuntimeChoice, options: OpenOptions = {}): Runtime {
  const timeoutMs = options.timeoutMs ?? 5_000;
  if (choice.kind === 'docker') return new DockerRuntime({ endpoint: choice.endpoint, timeoutMs });
  return new CriRuntime({ endpoint: choice.endpoint, timeoutMs, root: options.root ?? '/' });
}
