// A typed, deadline-bound client for the CRI runtime.v1 gRPC service over a unix socket.
// Every unary call has a deadline: a socket that accepts and never answers cannot freeze anything.
import * as grpc from '@grpc/grpc-js';
import { CRI_PROTO } from './cri-proto.js';
import { serviceClients } from './grpc-service.js';
import { RuntimeError } from './runtime-error.js';

/** Messages as decoded (grpc-service.ts, as proto-loader did): camelCase fields, enums as names, int64 as decimal strings. */
export type Labels = Record<string, string>;

export interface CriSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}
export interface CriPodSandbox {
  id: string;
  metadata: CriSandboxMetadata | null;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  createdAt: string;
  labels: Labels;
  annotations: Labels;
}
export interface CriContainer {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  imageRef: string;
  state: CriContainerState;
  createdAt: string;
  labels: Labels;
  annotations: Labels;
}
export type CriContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';
export interface CriContainerStatus {
  id: string;
  metadata: { name: string; attempt: number } | null;
  state: CriContainerState;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  image: { image: string } | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  logPath: string;
}
export interface CriVersion {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
export interface CriContainerEvent {
  containerId: string;
  containerEventType: string;
  createdAt: string;
}

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Unary = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: Callback<unknown>,
) => void;
type ServerStream = (request: object, options: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

let serviceConstructor: grpc.ServiceClientConstructor | null = null;

function runtimeServiceConstructor(): grpc.ServiceClientConstructor {
  if (!serviceConstructor) {
    serviceConstructor = serviceClients(CRI_PROTO, ['runtime.v1.RuntimeService']).get(
      'runtime.v1.RuntimeService',
    )!;
  }
  return serviceConstructor;
}

/** unix:///run/containerd/containerd.sock, or a bare path. */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix://${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

export class CriClient {
  private readonly client: grpc.Client;

  constructor(
    readonly endpoint: string,
    private readonly timeoutMs = 5_000,
  ) {
    const Service = runtimeServiceConstructor();
    this.client = new Service(grpcTarget(endpoint), grpc.credentials.createInsecure(), {
      // Fail fast on a dead socket instead of waiting out reconnect back-off.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  version(): Promise<CriVersion> {
    return this.call('Version', { version: 'v1' });
  }

  async listPodSandboxes(): Promise<CriPodSandbox[]> {
    return (await this.call<{ items: CriPodSandbox[] }>('ListPodSandbox', {})).items;
  }

  async listContainers(): Promise<CriContainer[]> {
    return (await this.call<{ containers: CriContainer[] }>('ListContainers', {})).containers;
  }

  async containerStatus(id: string): Promise<CriContainerStatus> {
    return (await this.call<{ status: CriContainerStatus }>('ContainerStatus', { containerId: id })).status;
  }

  async runPodSandbox(config: object): Promise<string> {
    return (await this.call<{ podSandboxId: string }>('RunPodSandbox', { config })).podSandboxId;
  }

  async createContainer(podSandboxId: string, config: object, sandboxConfig: object): Promise<string> {
    const reply = await this.call<{ containerId: string }>('CreateContainer', {
      podSandboxId,
      config,
      sandboxConfig,
    });
    return reply.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call('StartContainer', { containerId });
  }

  /** timeoutSeconds is the runtime's grace period before SIGKILL; the call's own deadline allows for it. */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    await this.call('StopContainer', { containerId, timeout: String(timeoutSeconds) }, timeoutSeconds * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call('RemoveContainer', { containerId });
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId }, 30_000);
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId }, 30_000);
  }

  /** The runtime's event stream (containerd 1.7+, CRI-O with evented PLEG); null where unsupported. */
  containerEvents(): grpc.ClientReadableStream<CriContainerEvent> {
    const method = (this.client as unknown as Record<string, ServerStream>).GetContainerEvents!;
    return method.call(this.client, {}, {}) as grpc.ClientReadableStream<CriContainerEvent>;
  }

  close(): void {
    this.client.close();
  }

  private call<T>(method: string, request: object, extraMs = 0): Promise<T> {
    const fn = (this.client as unknown as Record<string, Unary>)[method]!;
    const deadline = new Date(Date.now() + this.timeoutMs + extraMs);
    return new Promise<T>((resolve, reject) => {
      fn.call(this.client, request, new grpc.Metadata(), { deadline }, (err, value) => {
        if (err) reject(criError(this.endpoint, method, err));
        else resolve(value as T);
      });
    });
  }
}

export function criError(endpoint: string, method: string, err: grpc.ServiceError): RuntimeError {
  const detail = err.details || err.message;
  switch (err.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new RuntimeError(
        `${endpoint}: no answer to ${method} in time (the runtime is hung or overloaded)`,
        'timeout',
      );
    case grpc.status.UNIMPLEMENTED:
      return new RuntimeError(
        `${endpoint}: ${method} is not implemented by this runtime (${detail})`,
        'unsupported',
      );
    case grpc.status.UNAVAILABLE:
      if (/ENOENT|No such file/i.test(detail))
        return new RuntimeError(`${endpoint}: no such socket`, 'missing');
      if (/EACCES|permission denied/i.test(detail)) {
        return new RuntimeError(`${endpoint}: permission denied (run as root)`, 'permission');
      }
      if (/ECONNREFUSED/i.test(detail)) {
        return new RuntimeError(`${endpoint}: connection refused (the runtime is not running)`, 'refused');
      }
      return new RuntimeError(`${endpoint}: unavailable: ${detail}`, 'refused');
    default:
      return new RuntimeError(`${endpoint}: ${method} failed: ${detail}`, 'failed');
  }
}
