// A static pod's container log: from Docker's logs API when Docker answers, else from kubelet's log
// files (always for CRI runtimes, whose logs are those files, and when any runtime is dead or hung),
// following the container across restarts.
import * as path from 'node:path';
import { BreakglassError } from '../../util/errors.js';
import { escapeName } from '../../util/sanitize.js';
import { containerLogDirOf, findPodLogDirs, pickLogFile } from './logs/files.js';
import { followContainerLogBatches } from './logs/follow.js';
import { MAX_TAIL_BYTES, readContainerLog, streamContainerLog, type TailCut } from './logs/read.js';
import type { Container, LogLine, Runtime } from './types.js';

/** The pod whose log is read, as the runtime knows it. */
export interface LogTarget {
  podName: string;
  namespace: string;
  /** Container names its manifest declares, in order (the first is the default). */
  declaredContainers: string[];
  /** What the runtime runs of it: names, and where the runtime says the log is. */
  containers: { name: string; logPath: string | null }[];
}

export interface LogRequest {
  follow: boolean;
  tail?: number | undefined;
  /** A container by name; default the first declared (or running) one. */
  container?: string | undefined;
}

export interface LogPlace {
  /** The node's root (--root): the runtime's log paths are node paths. */
  root: string;
  podLogsDir: string;
  /** The runtime, when it answered; null reads the files. */
  runtime: Runtime | null;
  /** Why the runtime does not answer, said once before reading the files; null when it does. */
  runtimeError: string | null;
}

export interface LogSink {
  line(line: LogLine): void;
  note(text: string): void;
}

export async function streamPodLogs(
  place: LogPlace,
  target: LogTarget,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const containerName = pickContainerName(target, request.container);
  if (place.runtime?.kind === 'docker' && place.runtimeError === null) {
    await dockerLogs(place.runtime, target, containerName, request, sink, signal);
    return;
  }
  if (place.runtimeError !== null) {
    sink.note(`the runtime does not answer (${place.runtimeError}): reading kubelet's log files instead`);
  }
  const dir = await containerLogDir(place, target, containerName);
  const tail = request.tail !== undefined ? { tail: request.tail } : {};
  if (request.follow) {
    const options = {
      ...tail,
      signal,
      onSwitch: (file: string) => sink.note(`the container restarted: now following ${path.basename(file)}`),
    };
    for await (const batch of followContainerLogBatches(dir, options))
      for (const line of batch) sink.line(line);
    return;
  }
  if (request.tail === undefined) {
    for await (const batch of streamContainerLog(dir)) for (const line of batch) sink.line(line);
    return;
  }
  const onCut = (cut: TailCut) =>
    sink.note(
      `${cut.lines} of the ${request.tail} lines asked: a tail looks back at most ${mib(MAX_TAIL_BYTES)} of ${cut.file} (${mib(cut.fileBytes)} in all); without --tail the whole file is printed`,
    );
  for (const line of await readContainerLog(dir, tail, onCut)) sink.line(line);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

function pickContainerName(target: LogTarget, wanted: string | undefined): string {
  const names = [...new Set([...target.declaredContainers, ...target.containers.map((c) => c.name)])];
  if (wanted !== undefined) {
    if (names.length > 0 && !names.includes(wanted)) {
      throw new BreakglassError(
        `pod ${target.podName} has no container "${escapeName(wanted)}" (it has: ${names.join(', ')})`,
      );
    }
    return wanted;
  }
  if (names.length === 0) throw new BreakglassError(`pod ${target.podName} declares no container`);
  return names[0]!;
}

/**
 * The container's log directory: the runtime's log path (a node path, so under --root it is looked
 * for below the root first), else the newest pod directory under the pod logs directory.
 */
async function containerLogDir(place: LogPlace, target: LogTarget, containerName: string): Promise<string> {
  const logPath = target.containers.find((c) => c.name === containerName)?.logPath;
  const fromRuntime = logPath ? await containerLogDirOf(place.root, logPath) : null;
  if (fromRuntime) return fromRuntime;
  for (const pod of await findPodLogDirs(place.podLogsDir, target.namespace, target.podName)) {
    const container = pod.containers.find((c) => c.name === containerName);
    if (container && (await pickLogFile(container.path))) return container.path;
  }
  throw new BreakglassError(
    `no log files for ${target.namespace}/${target.podName} container ${escapeName(containerName)}${logPath ? ` at ${escapeName(logPath)} or` : ''} under ${place.podLogsDir}`,
    'no-logs',
  );
}

async function dockerLogs(
  runtime: Runtime,
  target: LogTarget,
  containerName: string,
  request: LogRequest,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  let current = await newestContainer(runtime, target, containerName);
  if (!current)
    throw new BreakglassError(`no container ${escapeName(containerName)} of ${target.podName} in Docker`);
  let tail = request.tail;
  for (;;) {
    for await (const line of runtime.logs(current, {
      ...(tail !== undefined ? { tail } : {}),
      follow: request.follow,
      signal,
    })) {
      sink.line(line);
    }
    if (!request.follow || signal.aborted) return;
    // The stream ends when the container exits: wait for kubelet's next attempt and go on with it.
    const previous: Container = current;
    current = null;
    while (!current && !signal.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      const next = await newestContainer(runtime, target, containerName).catch(() => null);
      if (next && next.id !== previous.id) current = next;
    }
    if (!current) return;
    sink.note(`the container restarted (attempt ${current.attempt}): following it`);
    tail = undefined;
  }
}

async function newestContainer(runtime: Runtime, target: LogTarget, name: string): Promise<Container | null> {
  const all = (await runtime.listContainers()).filter(
    (c) => c.podName === target.podName && c.namespace === target.namespace && c.name === name,
  );
  all.sort((a, b) => b.attempt - a.attempt || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  return all[0] ?? null;
}
