// The container log of the pod the screen follows (the log pane, the log viewer), into its buffer: the
// newest 1 000 lines, then followed across restarts, from the runtime or straight from kubelet's files.
import { LogBuffer, levelOf } from '../../model/log-buffer.js';
import { nodeModel } from '../../model/node.js';
import { streamPodLogs } from '../../sources/runtime/pod-logs.js';
import { errnoMessage } from '../../util/errors.js';
import { sanitizeLine } from '../../util/sanitize.js';
import type { Feed, FeedHost } from '../feed.js';
import type { NodeSnapshot } from '../snapshot.js';
import type { RuntimeFeed } from './runtime.js';

const TAIL_LINES = 1_000;
export const LOG_CAPACITY = 5_000;

export interface PodLogFeed extends Feed {
  /** Follow this pod view's container log; null stops following. */
  follow(key: string | null): void;
}

export function startPodLogFeed(host: FeedHost, runtime: () => RuntimeFeed | null): PodLogFeed {
  let abort: AbortController | null = null;
  const note = (text: string, level: 'info' | 'error') => {
    const shown = sanitizeLine(text);
    host.snapshot.podLog.buffer.push({ time: new Date(), text: `-- ${shown}`, level, origin: 'breakglass' });
    host.update((s) => ({ ...s, podLog: { ...s.podLog, note: shown } }));
  };
  const stream = async (key: string, signal: AbortSignal) => {
    const s = host.snapshot;
    const view = nodeModel(s).pods.find((p) => p.key === key);
    if (!view?.podName || !view.namespace) {
      note(`${view?.name ?? key} is not a pod kubelet runs: it has no container log`, 'error');
      return;
    }
    const target = {
      podName: view.podName,
      namespace: view.namespace,
      declaredContainers: view.staticPod?.pod?.containers.map((c) => c.name) ?? [],
      containers: view.containers,
    };
    const runtimeError = s.runtime.value
      ? s.runtime.error
      : (s.runtime.error ?? 'the runtime has not answered yet');
    const buffer = s.podLog.buffer;
    const sink = {
      line: (line: { time: Date | null; stream: string; text: string }) => {
        buffer.push({ time: line.time, text: line.text, level: levelOf(line.text), origin: line.stream });
        host.touch('log');
      },
      note: (text: string) => note(text, 'info'),
    };
    const place = {
      root: s.layout.root,
      podLogsDir: s.layout.podLogsDir.value,
      runtime: runtimeError === null ? (runtime()?.client ?? null) : null,
      runtimeError,
    };
    try {
      await streamPodLogs(place, target, { follow: true, tail: TAIL_LINES }, sink, signal);
    } catch (err) {
      if (!signal.aborted) note(errnoMessage(err), 'error');
    }
  };
  return {
    follow(key) {
      // Same pod: keep the stream; it follows the container across restarts by itself.
      if (host.snapshot.podLog.key === key && (abort !== null || key === null)) return;
      abort?.abort();
      abort = null;
      host.update((s) => ({ ...s, podLog: { key, buffer: new LogBuffer(LOG_CAPACITY), note: null } }));
      if (!key) return;
      const controller = new AbortController();
      abort = controller;
      void stream(key, controller.signal);
    },
    close: () => abort?.abort(),
  };
}

/** The last `lines` lines of a pod's newest container log, read once (the evidence of a failed gate). */
export async function readLogTail(
  s: NodeSnapshot,
  runtime: RuntimeFeed | null,
  pod: { podName: string; namespace: string },
  lines: number,
): Promise<string[]> {
  try {
    return (await readLogLines(s, runtime, pod, lines)).map((l) => l.text);
  } catch (err) {
    return [`(its log cannot be read: ${errnoMessage(err)})`];
  }
}

/** The same with each line's time; rejects when the log cannot be read. */
export async function readLogLines(
  s: NodeSnapshot,
  runtime: RuntimeFeed | null,
  pod: { podName: string; namespace: string },
  lines: number,
): Promise<{ time: Date | null; text: string }[]> {
  const view = nodeModel(s).pods.find((p) => p.podName === pod.podName && p.namespace === pod.namespace);
  const target = {
    ...pod,
    declaredContainers: view?.staticPod?.pod?.containers.map((c) => c.name) ?? [],
    containers: view?.containers ?? [],
  };
  const runtimeError = s.runtime.value ? s.runtime.error : (s.runtime.error ?? 'not read yet');
  const place = {
    root: s.layout.root,
    podLogsDir: s.layout.podLogsDir.value,
    runtime: runtimeError === null ? (runtime?.client ?? null) : null,
    runtimeError,
  };
  const out: { time: Date | null; text: string }[] = [];
  const sink = {
    line: (l: { time: Date | null; text: string }) => out.push({ time: l.time, text: sanitizeLine(l.text) }),
    note: () => {},
  };
  await streamPodLogs(place, target, { follow: false, tail: lines }, sink, new AbortController().signal);
  return out.slice(-lines);
}
