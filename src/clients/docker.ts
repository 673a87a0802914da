// Docker's Engine API through dockerode, bounded: two clients on the same socket, one whose every
// request times out (unary calls), one without an idle timeout for streams (events, followed logs),
// which are cancelled by AbortSignal instead. Every failure is a RuntimeError in one line. The read side
// (sources/runtime/docker.ts) and the write side (ops/control/runtime.ts) both go through here.
// dockerode (with ssh2 and tar under it) is loaded on the first call, not at import: a containerd node
// and the commands that never reach a runtime do not pay for it (about 100 ms of start-up).
import type Docker from 'dockerode';
import { RuntimeError } from './runtime-error.js';

interface Clients {
  /** Unary calls: every request times out. */
  api: Docker;
  /** Streams (events, followed logs) may stay quiet for hours: no idle timeout, cancelled by signal. */
  streams: Docker;
}

/** dockerode, loaded on the first Docker call (a containerd node never pays for it). */
export function loadDockerode() {
  return import('dockerode');
}

export class DockerClient {
  readonly socketPath: string;
  private clients: Promise<Clients> | null = null;

  constructor(
    /** unix:///var/run/docker.sock or a path */
    readonly endpoint: string,
    readonly timeoutMs = 5_000,
  ) {
    this.socketPath = endpoint.replace(/^unix:\/\//, '');
  }

  private load(): Promise<Clients> {
    this.clients ??= loadDockerode().then(({ default: Docker }) => ({
      api: new Docker({ socketPath: this.socketPath, timeout: this.timeoutMs }),
      streams: new Docker({ socketPath: this.socketPath }),
    }));
    return this.clients;
  }

  /** The client for unary calls: every request times out. */
  async api(): Promise<Docker> {
    return (await this.load()).api;
  }

  /** The client for streams (events, followed logs): no idle timeout, cancelled by signal. */
  async streams(): Promise<Docker> {
    return (await this.load()).streams;
  }

  /** One call with a deadline of timeoutMs + extraMs; its failure as a RuntimeError. */
  async unary<T>(what: string, call: () => Promise<T>, extraMs = 0): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RuntimeError(`${this.endpoint}: no answer to ${what} in time (dockerd is hung?)`, 'timeout'),
          ),
        this.timeoutMs + extraMs,
      );
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      throw dockerError(this.endpoint, what, err);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function dockerError(endpoint: string, what: string, err: unknown): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT') return new RuntimeError(`${endpoint}: no such socket`, 'missing');
  if (code === 'EACCES')
    return new RuntimeError(`${endpoint}: permission denied (run as root)`, 'permission');
  if (code === 'ECONNREFUSED')
    return new RuntimeError(`${endpoint}: connection refused (dockerd is not running)`, 'refused');
  if (/timeout/i.test(message))
    return new RuntimeError(`${endpoint}: no answer to ${what} in time`, 'timeout');
  return new RuntimeError(`${endpoint}: ${what} failed: ${message}`, 'failed');
}
