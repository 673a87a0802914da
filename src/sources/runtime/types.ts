// One surface for every container runtime: Docker through its Engine API, containerd and CRI-O
// through the CRI. Everything here is what kubelet's runtime knows, readable with the API server down.

export type RuntimeKind = 'docker' | 'cri';

export interface RuntimeInfo {
  kind: RuntimeKind;
  /** As configured or found: unix:///run/containerd/containerd.sock, unix:///var/run/docker.sock, ... */
  endpoint: string;
  /** containerd, cri-o, docker */
  name: string;
  version: string;
  apiVersion: string;
}

export type ContainerState = 'running' | 'exited' | 'created' | 'unknown';
export type SandboxState = 'ready' | 'notready';

/** kubelet's identity of a pod, from the labels it puts on sandboxes and containers. */
export interface PodRef {
  /** The mirror pod name for static pods: `<name>-<node>`. */
  podName: string;
  namespace: string;
  /** For static pods the config hash (kubernetes.io/config.hash): a new manifest gives a new UID. */
  podUid: string;
}

export interface Sandbox extends PodRef {
  id: string;
  state: SandboxState;
  attempt: number;
  createdAt: Date | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** kubernetes.io/config.source: 'file' for static pods. */
  configSource: string | null;
}

export interface Container extends PodRef {
  id: string;
  sandboxId: string | null;
  /** io.kubernetes.container.name */
  name: string;
  state: ContainerState;
  /** The CRI attempt, which kubelet uses as the restart count. */
  attempt: number;
  restartCount: number;
  image: string;
  createdAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  exitCode: number | null;
  /** OOMKilled, Error, Completed, ... */
  reason: string | null;
  message: string | null;
  logPath: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type RuntimeEvent =
  | { kind: 'changed'; containerId: string | null; sandboxId: string | null; what: string }
  /** The event stream broke and reconnected: anything may have changed, resync everything. */
  | { kind: 'resync'; reason: string };

export interface Subscription {
  close(): void;
}

export interface LogLine {
  time: Date | null;
  stream: 'stdout' | 'stderr';
  /** Sanitized: no escape sequences, no control characters. */
  text: string;
}

export interface LogOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  readonly endpoint: string;
  info(): Promise<RuntimeInfo>;
  listSandboxes(): Promise<Sandbox[]>;
  listContainers(): Promise<Container[]>;
  /** Live changes; onEvent is called for every change, onError when the stream gives up for good. */
  subscribe(onEvent: (event: RuntimeEvent) => void): Subscription;
  logs(container: Container, options: LogOptions): AsyncIterable<LogLine>;
  close(): void;
}

export const LABEL = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  dockerType: 'io.kubernetes.docker.type',
} as const;

export const ANNOTATION = {
  configSource: 'kubernetes.io/config.source',
  configHash: 'kubernetes.io/config.hash',
  configSeen: 'kubernetes.io/config.seen',
  restartCount: 'io.kubernetes.container.restartCount',
  containerHash: 'io.kubernetes.container.hash',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
} as const;
