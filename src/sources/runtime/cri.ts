// containerd and CRI-O, through the CRI runtime.v1 API on their socket.

import {
  CriClient,
  type CriContainer,
  type CriContainerState,
  type CriPodSandbox,
  type CriVersion,
} from '../../clients/cri.js';
import { RuntimeError } from '../../clients/runtime-error.js';
import { exitReason, nanosToDate, podRefOf, restartCountOf } from './labels.js';
import { containerLogDirOf } from './logs/files.js';
import { followContainerLog } from './logs/follow.js';
import { readContainerLog } from './logs/read.js';
import { ChangePoller } from './poller.js';
import {
  ANNOTATION,
  type Container,
  type ContainerState,
  type LogLine,
  type LogOptions,
  type Runtime,
  type RuntimeEvent,
  type RuntimeInfo,
  type Sandbox,
  type Subscription,
} from './types.js';

export interface CriRuntimeOptions {
  endpoint: string;
  timeoutMs?: number;
  /** The node's root (--root): log paths the runtime reports are paths on the node. */
  root?: string;
}

const STATE: Record<CriContainerState, ContainerState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

export class CriRuntime implements Runtime {
  readonly kind = 'cri' as const;
  readonly endpoint: string;
  private readonly client: CriClient;

  constructor(private readonly options: CriRuntimeOptions) {
    this.endpoint = options.endpoint;
    this.client = new CriClient(options.endpoint, options.timeoutMs);
  }

  async info(): Promise<RuntimeInfo> {
    const v = await this.client.version().catch((err: unknown) => {
      if (err instanceof RuntimeError && err.reason === 'unsupported') {
        throw new RuntimeError(
          `${this.endpoint}: the runtime does not serve CRI runtime.v1 (too old?)`,
          'unsupported',
        );
      }
      throw err;
    });
    return criRuntimeInfo(this.endpoint, v);
  }

  async listSandboxes(): Promise<Sandbox[]> {
    return (await this.client.listPodSandboxes()).map(sandboxOf);
  }

  async listContainers(): Promise<Container[]> {
    const listed = await this.client.listContainers();
    return Promise.all(listed.map((c) => this.withStatus(c)));
  }

  subscribe(onEvent: (event: RuntimeEvent) => void): Subscription {
    // containerd 1.7+ streams events; older ones answer UNIMPLEMENTED and are polled instead.
    let closed = false;
    let poller: ChangePoller | null = null;
    let stream: ReturnType<CriClient['containerEvents']> | null = null;
    let retryTimer: NodeJS.Timeout | null = null;
    let backoffMs = 500;

    const startPolling = () => {
      poller = new ChangePoller(() => this.stateSignature(), onEvent);
      poller.start();
    };
    const connect = () => {
      if (closed) return;
      stream = this.client.containerEvents();
      stream.on('data', (e: { containerId: string; containerEventType: string }) => {
        backoffMs = 500;
        onEvent({ kind: 'changed', containerId: e.containerId, sandboxId: null, what: e.containerEventType });
      });
      stream.on('error', (err: { code?: number; details?: string }) => {
        stream = null;
        if (closed) return;
        if (err.code === 12 /* UNIMPLEMENTED */) {
          startPolling();
          return;
        }
        retryTimer = setTimeout(() => {
          onEvent({ kind: 'resync', reason: `event stream lost: ${err.details ?? 'error'}` });
          connect();
        }, backoffMs);
        backoffMs = Math.min(backoffMs * 2, 10_000);
      });
    };
    connect();
    return {
      close: () => {
        closed = true;
        if (retryTimer) clearTimeout(retryTimer);
        stream?.cancel();
        poller?.stop();
      },
    };
  }

  /** CRI runtimes write container logs to files that kubelet names: read them, the socket is not needed. */
  async *logs(container: Container, options: LogOptions): AsyncIterable<LogLine> {
    if (!container.logPath) throw new RuntimeError(`container ${container.name} has no log path`, 'failed');
    const dir = await containerLogDirOf(this.options.root ?? '/', container.logPath);
    if (!dir) throw new RuntimeError(`no log files at ${container.logPath}`, 'failed');
    const tail = options.tail !== undefined ? { tail: options.tail } : {};
    if (options.follow) {
      yield* followContainerLog(dir, { ...tail, ...(options.signal ? { signal: options.signal } : {}) });
    } else {
      yield* await readContainerLog(dir, tail);
    }
  }

  close(): void {
    this.client.close();
  }

  /** What a poll compares: ids, states and attempts. Cheap: one ListContainers and one ListPodSandbox. */
  private async stateSignature(): Promise<string> {
    const [containers, sandboxes] = await Promise.all([
      this.client.listContainers(),
      this.client.listPodSandboxes(),
    ]);
    const c = containers.map((x) => `${x.id}:${x.state}:${x.metadata?.attempt ?? 0}`).sort();
    const s = sandboxes.map((x) => `${x.id}:${x.state}`).sort();
    return `${c.join(',')}|${s.join(',')}`;
  }

  private async withStatus(c: CriContainer): Promise<Container> {
    const status = await this.client.containerStatus(c.id).catch(() => null);
    const labels = c.labels;
    const annotations = c.annotations;
    const state = STATE[status?.state ?? c.state] ?? 'unknown';
    const attempt = c.metadata?.attempt ?? 0;
    const exitCode = status && state === 'exited' ? status.exitCode : null;
    return {
      ...podRefOf(labels),
      id: c.id,
      sandboxId: c.podSandboxId || null,
      name: c.metadata?.name ?? labels['io.kubernetes.container.name'] ?? '',
      state,
      attempt,
      restartCount: restartCountOf(attempt, annotations),
      image: c.image?.image ?? c.imageRef,
      createdAt: nanosToDate(c.createdAt),
      startedAt: nanosToDate(status?.startedAt),
      finishedAt: nanosToDate(status?.finishedAt),
      exitCode,
      reason: exitReason(state, exitCode, status?.reason || null),
      message: status?.message || null,
      logPath: status?.logPath || null,
      labels,
      annotations,
    };
  }
}

/** Only runtime.v1 is spoken; v1alpha2 (containerd < 1.6, CRI-O < 1.23) is refused with its reason. */
export function criRuntimeInfo(endpoint: string, v: CriVersion): RuntimeInfo {
  if (v.runtimeApiVersion !== 'v1') {
    throw new RuntimeError(
      `${endpoint}: CRI API ${v.runtimeApiVersion} is not supported (need v1)`,
      'unsupported',
    );
  }
  return {
    kind: 'cri',
    endpoint,
    name: v.runtimeName,
    version: v.runtimeVersion,
    apiVersion: v.runtimeApiVersion,
  };
}

function sandboxOf(s: CriPodSandbox): Sandbox {
  return {
    ...podRefOf(s.labels),
    id: s.id,
    state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
    attempt: s.metadata?.attempt ?? 0,
    createdAt: nanosToDate(s.createdAt),
    labels: s.labels,
    annotations: s.annotations,
    configSource: s.annotations[ANNOTATION.configSource] ?? null,
  };
}
