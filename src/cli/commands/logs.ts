// `breakglass logs NAME`: a static pod's container log, from the runtime when it answers, else straight
// from kubelet's files; -f follows it across restarts.

import { nodeModel } from '../../model/node.js';
import { resolvePodTarget } from '../../model/pod-target.js';
import { streamPodLogs } from '../../sources/runtime/pod-logs.js';
import { connectRuntime } from '../../sources/runtime/read-once.js';
import type { LogLine } from '../../sources/runtime/types.js';
import { escapeName, terminalSafeJson } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, type Io } from '../io.js';
import { readNode } from '../node.js';

export async function logs(args: CliArgs, io: Io): Promise<number> {
  const facts = await readNode(args.flags, { runtime: true });
  const target = resolvePodTarget(nodeModel(facts), args.targets[0]!);
  const { layout } = facts;
  const connected =
    facts.runtime.error === null
      ? connectRuntime({ root: layout.root, runtimeEndpoint: layout.runtimeEndpoint })
      : null;
  const runtime = connected && !('error' in connected) ? connected.runtime : null;
  const sink = {
    line: (line: LogLine) => io.out(args.flags.json ? `${terminalSafeJson(line)}\n` : `${line.text}\n`),
    note: (text: string) => io.err(`breakglass: ${escapeName(text)}\n`),
  };
  const place = {
    root: layout.root,
    podLogsDir: layout.podLogsDir.value,
    runtime,
    runtimeError: facts.runtime.error,
  };
  const request = { follow: args.flags.follow, tail: args.flags.tail, container: args.flags.container };
  try {
    await streamPodLogs(place, target, request, sink, io.signal ?? new AbortController().signal);
  } finally {
    runtime?.close();
  }
  return EXIT_OK;
}
