// Docker Engine, for nodes whose kubelet runs through cri-dockerd: the containers carry cri-dockerd's
// names (k8s_<container>_<pod>_<ns>_<uid>_<attempt>) and labels, annotations as `annotation.` labels.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { DockerClient } from '../../clients/docker.js';
import { sanitizeLine } from '../../util/sanitize.js';
import { dockerAnnotations, exitReason, parseDockerKubeName, podRefOf, restartCountOf } from './labels.js';
import {
  ANNOTATION,
  type Container,
  type ContainerState,
  LABEL,
  type LogLine,
  type LogOptions,
  type Runtime,
  type RuntimeEvent,
  type RuntimeInfo,
  type Sandbox,
  type Subscription,
} from './types.js';

export interface DockerRuntimeOptions {
  /** unix:///var/run/docker.sock or a path */
  endpoint: string;
  timeoutMs?: number;
}

const SANDBOX_ID_LABEL = 'io.kubernetes.sandbox.id';

export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  readonly endpoint: string;
  private readonly client: DockerClient;

  constructor(options: DockerRuntimeOptions) {
    this.endpoint = options.endpoint;
    this.client = new DockerClient(options.endpoint, options.timeoutMs ?? 5_000);
  }

  async info(): Promise<RuntimeInfo> {
    const v = await this.client.unary('version', async () => (await this.client.api()).version());
    return {
      kind: 'docker',
      endpoint: this.endpoint,
      name: 'docker',
      version: v.Version,
      apiVersion: v.ApiVersion,
    };
  }

  async listSandboxes(): Promise<Sandbox[]> {
    const listed = await this.client.unary('list containers', async () =>
      (await this.client.api()).listContainers({
        all: true,
        filters: { label: [`${LABEL.dockerType}=podsandbox`] },
      }),
    );
    return listed.map((c) => {
      const labels = c.Labels ?? {};
      const annotations = dockerAnnotations(labels);
      const parsed = parseDockerKubeName(c.Names?.[0] ?? '');
      return {
        ...podRefOf(labels),
        id: c.Id,
        state: c.State === 'running' ? 'ready' : 'notready',
        attempt: parsed?.attempt ?? 0,
        createdAt: c.Created ? new Date(c.Created * 1000) : null,
        labels,
        annotations,
        configSource: annotations[ANNOTATION.configSource] ?? null,
      };
    });
  }

  async listContainers(): Promise<Container[]> {
    const listed = await this.client.unary('list containers', async () =>
      (await this.client.api()).listContainers({
        all: true,
        filters: { label: [`${LABEL.dockerType}=container`] },
      }),
    );
    const inspected = await Promise.all(
      listed.map((c) =>
        this.client
          .unary('inspect', async () => (await this.client.api()).getContainer(c.Id).inspect())
          .catch(() => null),
      ),
    );
    return inspected.filter((i): i is Docker.ContainerInspectInfo => i !== null).map(containerOf);
  }

  subscribe(onEvent: (event: RuntimeEvent) => void): Subscription {
    let closed = false;
    let abort = new AbortController();
    let retryTimer: NodeJS.Timeout | null = null;
    let backoffMs = 500;
    let everConnected = false;

    const reconnectLater = (reason: string) => {
      if (closed) return;
      abort.abort();
      retryTimer = setTimeout(() => {
        onEvent({ kind: 'resync', reason });
        void connect();
      }, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 10_000);
    };
    const connect = async () => {
      if (closed) return;
      abort = new AbortController();
      const connectTimer = setTimeout(() => abort.abort(), this.client.timeoutMs);
      let stream: Readable;
      try {
        stream = (await (
          await this.client.streams()
        ).getEvents({
          abortSignal: abort.signal,
          filters: { type: ['container'] },
        })) as unknown as Readable;
      } catch (err) {
        clearTimeout(connectTimer);
        reconnectLater(`docker events: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      clearTimeout(connectTimer);
      if (everConnected) onEvent({ kind: 'resync', reason: 'docker event stream reconnected' });
      everConnected = true;
      backoffMs = 500;
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
          const event = parseDockerEvent(line);
          if (event) onEvent(event);
        }
      });
      stream.on('error', () => reconnectLater('docker event stream broke'));
      stream.on('end', () => reconnectLater('docker event stream ended'));
    };
    void connect();
    return {
      close: () => {
        closed = true;
        if (retryTimer) clearTimeout(retryTimer);
        abort.abort();
      },
    };
  }

  /**
   * Docker counts its tail in log messages, and cuts lines over 16 KiB into several messages: ask for
   * more and keep the last N whole lines. A followed log opens the live stream first, then reads the
   * tail, and skips live lines the tail already gave.
   */
  async *logs(container: Container, options: LogOptions): AsyncIterable<LogLine> {
    const handle = (await this.client.streams()).getContainer(container.id);
    const tty = (await this.client.unary('inspect', () => handle.inspect())).Config.Tty;
    const signal = options.signal ? { abortSignal: options.signal } : {};
    const base = { stdout: true, stderr: true, timestamps: true, ...signal };
    if (!options.follow) {
      yield* await this.history(handle, tty, base, options.tail);
      return;
    }
    const live = (await handle.logs({
      ...base,
      follow: true,
      ...(options.tail !== undefined ? { tail: 0 } : {}),
    })) as unknown as Readable;
    let seenUntil = 0;
    if (options.tail !== undefined) {
      const history = await this.history(handle, tty, base, options.tail);
      for (const line of history) yield line;
      seenUntil = history.at(-1)?.time?.getTime() ?? 0;
    }
    const lines = new DockerLogSplitter(tty);
    try {
      for await (const chunk of live as AsyncIterable<Buffer>) {
        for (const line of lines.push(chunk)) {
          if (seenUntil > 0 && line.time !== null && line.time.getTime() <= seenUntil) continue;
          seenUntil = 0;
          yield line;
        }
      }
    } catch (err) {
      if (!options.signal?.aborted) throw err;
    }
    yield* lines.flush();
  }

  private async history(
    handle: Docker.Container,
    tty: boolean,
    base: { stdout: boolean; stderr: boolean; timestamps: boolean },
    tail: number | undefined,
  ): Promise<LogLine[]> {
    const slack = tail === undefined ? {} : { tail: tail + 64 };
    const payload = (await this.client.unary('logs', () =>
      handle.logs({ ...base, ...slack, follow: false as const }),
    )) as unknown as Buffer;
    const lines = new DockerLogSplitter(tty);
    const all = [...lines.push(payload), ...lines.flush()];
    if (tail === undefined) return all;
    // The first message of the window may end a longer line; the last `tail` lines leave it out.
    return tail === 0 ? [] : all.slice(-tail);
  }

  close(): void {}
}

function containerOf(info: Docker.ContainerInspectInfo): Container {
  const labels = info.Config.Labels ?? {};
  const annotations = dockerAnnotations(labels);
  const parsed = parseDockerKubeName(info.Name);
  const state = dockerState(info.State.Status);
  const attempt = parsed?.attempt ?? 0;
  const exitCode = state === 'exited' ? info.State.ExitCode : null;
  const runtimeReason = info.State.OOMKilled ? 'OOMKilled' : null;
  return {
    ...podRefOf(labels),
    id: info.Id,
    sandboxId: labels[SANDBOX_ID_LABEL] ?? null,
    name: labels[LABEL.containerName] ?? parsed?.container ?? info.Name.replace(/^\//, ''),
    state,
    attempt,
    restartCount: restartCountOf(attempt, annotations),
    image: info.Config.Image,
    createdAt: dockerDate(info.Created),
    startedAt: dockerDate(info.State.StartedAt),
    finishedAt: dockerDate(info.State.FinishedAt),
    exitCode,
    reason: exitReason(state, exitCode, runtimeReason),
    message: info.State.Error || null,
    logPath: info.LogPath || null,
    labels,
    annotations,
  };
}

function dockerState(status: string): ContainerState {
  if (status === 'running' || status === 'paused' || status === 'restarting') return 'running';
  if (status === 'exited' || status === 'dead') return 'exited';
  if (status === 'created') return 'created';
  return 'unknown';
}

/** Docker reports "0001-01-01T00:00:00Z" for never. */
function dockerDate(text: string | undefined): Date | null {
  if (!text || text.startsWith('0001-')) return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function parseDockerEvent(line: string): RuntimeEvent | null {
  if (line.trim() === '') return null;
  try {
    const e = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { ID?: string } };
    if (e.Type !== 'container') return null;
    return { kind: 'changed', containerId: e.Actor?.ID ?? null, sandboxId: null, what: e.Action ?? '' };
  } catch {
    return null;
  }
}

/**
 * Splits Docker's log stream into lines. Without a TTY the stream is framed (8-byte header: stream,
 * size) and each frame is one log message with its RFC3339Nano timestamp in front (we ask for
 * timestamps); Docker cuts lines over 16 KiB into several messages, so a message that does not end
 * in a newline continues in the next one of the same stream. With a TTY there are no frames.
 */
export class DockerLogSplitter {
  private frames = Buffer.alloc(0);
  private partial: Record<'stdout' | 'stderr', { text: string; time: Date | null }> = {
    stdout: { text: '', time: null },
    stderr: { text: '', time: null },
  };

  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): LogLine[] {
    if (this.tty) return this.message('stdout', chunk.toString('utf8'), false);
    this.frames = Buffer.concat([this.frames, chunk]);
    const out: LogLine[] = [];
    while (this.frames.length >= 8) {
      const size = this.frames.readUInt32BE(4);
      if (this.frames.length < 8 + size) break;
      const stream = this.frames[0] === 2 ? 'stderr' : 'stdout';
      out.push(...this.message(stream, this.frames.subarray(8, 8 + size).toString('utf8'), true));
      this.frames = this.frames.subarray(8 + size);
    }
    return out;
  }

  flush(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.partial[stream];
      if (p.text !== '') out.push(lineOf(stream, p.text, p.time));
      this.partial[stream] = { text: '', time: null };
    }
    return out;
  }

  private message(stream: 'stdout' | 'stderr', raw: string, framed: boolean): LogLine[] {
    const p = this.partial[stream];
    const out: LogLine[] = [];
    // A framed message carries exactly one timestamp in front; unframed (TTY) text one per line.
    const pieces = framed ? [raw] : raw.split(/(?<=\n)/);
    for (const piece of pieces) {
      const stamp = /^(\d{4}-\d\d-\d\dT\S+) /.exec(piece);
      const body = stamp ? piece.slice(stamp[0].length) : piece;
      if (p.text === '' && stamp) p.time = validDate(stamp[1]!);
      const lines = (p.text + body).split('\n');
      p.text = lines.pop()!;
      for (const line of lines) {
        out.push(lineOf(stream, line, p.time));
        p.time = null;
      }
      if (p.text.length > 64 * 1024) {
        out.push(lineOf(stream, p.text, p.time));
        p.text = '';
        p.time = null;
      }
    }
    return out;
  }
}

function validDate(text: string): Date | null {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

function lineOf(stream: 'stdout' | 'stderr', raw: string, time: Date | null): LogLine {
  return { time, stream, text: sanitizeLine(raw.replace(/\r$/, '')) };
}
