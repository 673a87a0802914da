// `breakglass logs NAME`: from the runtime when it answers (Docker's logs API), from kubelet's log
// files otherwise (always for CRI runtimes, whose logs are those files), following across restarts.
import * as path from 'node:path';
import { type ContainerView, joinRuntime } from '../model/runtime.js';
import { staticPodsOf } from '../model/staticpods.js';
import {
  containerLogDirOf,
  findPodLogDirs,
  followContainerLog,
  pickLogFile,
  readContainerLog,
} from '../sources/runtime/logs.js';
import type { Container, LogLine, Runtime } from '../sources/runtime/types.js';
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import type { CliArgs } from './args.js';
import type { NodeView } from './context.js';
import type { PodTarget } from './pod-target.js';
import type { RuntimeSnapshot } from './runtime-view.js';

export interface LogSink {
  line(line: LogLine): void;
  note(text: string): void;
}

export async function streamLogs(
  args: CliArgs,
  view: NodeView,
  snapshot: RuntimeSnapshot,
  runtime: Runtime | null,
  target: PodTarget,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const containerName = pickContainerName(args, view, snapshot, target);
  if (runtime && snapshot.choice?.kind === 'docker' && snapshot.error === null) {
    await dockerLogs(args, runtime, target, containerName, sink, signal);
    return;
  }
  if (snapshot.error !== null) {
    sink.note(`the runtime does not answer (${snapshot.error}): reading kubelet's log files instead`);
  }
  await fileLogs(args, view, snapshot, target, containerName, sink, signal);
}

function pickContainerName(
  args: CliArgs,
  view: NodeView,
  snapshot: RuntimeSnapshot,
  target: PodTarget,
): string {
  const declared = target.staticPod?.pod?.containers.map((c) => c.name) ?? [];
  const running = runtimeContainersOf(view, snapshot, target).map((c) => c.name);
  const names = [...new Set([...declared, ...running])];
  if (args.container !== undefined) {
    if (names.length > 0 && !names.includes(args.container)) {
      throw new BreakglassError(
        `pod ${target.podName} has no container "${escapeName(args.container)}" (it has: ${names.join(', ')})`,
      );
    }
    return args.container;
  }
  if (names.length === 0) throw new BreakglassError(`pod ${target.podName} declares no container`);
  return names[0]!;
}

function runtimeContainersOf(view: NodeView, snapshot: RuntimeSnapshot, target: PodTarget): ContainerView[] {
  const staticPods = staticPodsOf(view.manifests, view.holding);
  const joined = joinRuntime(staticPods, snapshot.sandboxes, snapshot.containers);
  for (const [pod, runtime] of joined.byStaticPod) {
    if (pod.mirrorPodName === target.podName && pod.namespace === target.namespace) return runtime.containers;
  }
  return joined.podsWithoutManifest.find((p) => p.podName === target.podName)?.containers ?? [];
}

async function fileLogs(
  args: CliArgs,
  view: NodeView,
  snapshot: RuntimeSnapshot,
  target: PodTarget,
  containerName: string,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  const dir = await containerLogDir(view, snapshot, target, containerName);
  if (args.follow) {
    const options = {
      ...(args.tail !== undefined ? { tail: args.tail } : {}),
      signal,
      onSwitch: (file: string) => sink.note(`the container restarted: now following ${path.basename(file)}`),
    };
    for await (const line of followContainerLog(dir, options)) sink.line(line);
    return;
  }
  for (const line of await readContainerLog(dir, args.tail !== undefined ? { tail: args.tail } : {}))
    sink.line(line);
}

/**
 * The container's log directory: the runtime's log path (a node path, so under --root it is looked
 * for below the root first), else the newest pod directory under the pod logs directory.
 */
async function containerLogDir(
  view: NodeView,
  snapshot: RuntimeSnapshot,
  target: PodTarget,
  containerName: string,
): Promise<string> {
  const logPath = runtimeContainersOf(view, snapshot, target).find((c) => c.name === containerName)?.logPath;
  const fromRuntime = logPath ? await containerLogDirOf(view.layout.root, logPath) : null;
  if (fromRuntime) return fromRuntime;
  const podLogsDir = view.layout.podLogsDir.value;
  for (const pod of await findPodLogDirs(podLogsDir, target.namespace, target.podName)) {
    const container = pod.containers.find((c) => c.name === containerName);
    if (container && (await pickLogFile(container.path))) return container.path;
  }
  throw new BreakglassError(
    `no log files for ${target.namespace}/${target.podName} container ${escapeName(containerName)}${logPath ? ` at ${escapeName(logPath)} or` : ''} under ${podLogsDir}`,
    'no-logs',
  );
}

async function dockerLogs(
  args: CliArgs,
  runtime: Runtime,
  target: PodTarget,
  containerName: string,
  sink: LogSink,
  signal: AbortSignal,
): Promise<void> {
  let current = await newestContainer(runtime, target, containerName);
  if (!current)
    throw new BreakglassError(`no container ${escapeName(containerName)} of ${target.podName} in Docker`);
  let tail = args.tail;
  for (;;) {
    for await (const line of runtime.logs(current, {
      ...(tail !== undefined ? { tail } : {}),
      follow: args.follow,
      signal,
    })) {
      sink.line(line);
    }
    if (!args.follow || signal.aborted) return;
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

async function newestContainer(runtime: Runtime, target: PodTarget, name: string): Promise<Container | null> {
  const all = (await runtime.listContainers()).filter(
    (c) => c.podName === target.podName && c.namespace === target.namespace && c.name === name,
  );
  all.sort((a, b) => b.attempt - a.attempt || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
  return all[0] ?? null;
}
