// Docker's Engine API through dockerode, bounded: two clients on the same socket, one whose every
// request times out (unary calls), one without an idle timeout for streams (events, followed logs),
// which are cancelled by AbortSignal instead. Every failure is a RuntimeError in one line. The read side
// (sources/runtime/docker.ts) and the write side (ops/control/runtime.ts) both go through here.
import Docker from 'dockerode';
import { RuntimeError } from './runtime-error.js';

export class DockerClient {
  readonly socketPath: string;
  /** Unary calls: every request times out. */
  readonly api: Docker;
  /** Streams (events, followed logs) may stay quiet for hours: no idle timeout, cancelled by signal. */
  readonly streams: Docker;

  constructor(
    /** unix:///var/run/docker.sock or a path */
    readonly endpoint: string,
    readonly timeoutMs = 5_000,
  ) {
    this.socketPath = endpoint.replace(/^unix:\/\//, '');
    this.api = new Docker({ socketPath: this.socketPath, timeout: timeoutMs });
    this.streams = new Docker({ socketPath: this.socketPath });
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
