import { readFileSync } from 'node:fs';
import { allFindings, countBySeverity } from '../model/staticpods.js';
import {
  disableStaticPod,
  enableStaticPod,
  type MoveResult,
  pendingIntent,
  recover,
} from '../ops/staticpods.js';
import { planStop, type StopPlan, stopPod } from '../ops/stop.js';
import type { LogLine } from '../sources/runtime/types.js';
import { BreakglassError } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import { type CliArgs, parseCli, USAGE, UsageError } from './args.js';
import { changeContext, discover, readNodeView } from './context.js';
import { streamLogs } from './logs.js';
import { resolvePodTarget } from './pod-target.js';
import { lintText, statusJson, statusText } from './report.js';
import { connect, readRuntime } from './runtime-view.js';
import { tuiCommand } from './tui.js';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks the operator; null when nobody can answer (no terminal). */
  ask: ((question: string) => Promise<string>) | null;
  /** Aborted on SIGINT/SIGTERM: a followed log ends cleanly. */
  signal?: AbortSignal;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`breakglass: ${err.message}\n\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    return await run(args, io);
  } catch (err) {
    if (err instanceof BreakglassError) {
      if (args.json) io.out(`${JSON.stringify({ ok: false, code: err.code, error: err.message })}\n`);
      io.err(`breakglass: ${escapeName(err.message)}\n`);
      return err.code === 'usage' ? EXIT_USAGE : EXIT_PROBLEMS;
    }
    throw err;
  }
}

async function run(args: CliArgs, io: Io): Promise<number> {
  switch (args.command) {
    case 'help':
      io.out(`${USAGE}\n`);
      return EXIT_OK;
    case 'version':
      io.out(`${version()}\n`);
      return EXIT_OK;
    case 'tui':
      return tuiCommand(args, io);
    case 'status':
      return status(args, io);
    case 'lint':
      return lint(args, io);
    case 'disable':
    case 'enable':
      return change(args, io);
    case 'recover':
      return recoverCommand(args, io);
    case 'stop':
      return stopCommand(args, io);
    case 'logs':
      return logsCommand(args, io);
  }
}

async function status(args: CliArgs, io: Io): Promise<number> {
  const view = await readNodeView(args);
  const runtime = await readRuntime(view.layout);
  const report = statusJson(view, pendingIntent(view.layout.stateDir.value), runtime);
  io.out(args.json ? `${JSON.stringify(report, null, 2)}\n` : statusText(report));
  const { errors } = countBySeverity(report.findings);
  const problems = report.manifestDir.error || errors > 0 || report.interruptedChange || report.runtime.error;
  return problems ? EXIT_PROBLEMS : EXIT_OK;
}

async function lint(args: CliArgs, io: Io): Promise<number> {
  const view = await readNodeView(args);
  if (view.manifests.error) {
    if (args.json)
      io.out(`${JSON.stringify({ dir: view.manifests.dir, error: view.manifests.error, findings: [] })}\n`);
    else io.err(`breakglass: static pod directory: ${escapeName(view.manifests.error)}\n`);
    return EXIT_PROBLEMS;
  }
  const findings = allFindings(view.manifests);
  io.out(
    args.json
      ? `${JSON.stringify({ dir: view.manifests.dir, findings }, null, 2)}\n`
      : lintText(findings, view.manifests.dir),
  );
  return countBySeverity(findings).errors > 0 ? EXIT_PROBLEMS : EXIT_OK;
}

async function change(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args);
  const ctx = changeContext(layout, args);
  const result =
    args.command === 'disable' ? disableStaticPod(ctx, args.target!) : enableStaticPod(ctx, args.target!);
  if (args.json) io.out(`${JSON.stringify({ ok: true, ...result })}\n`);
  else io.out(moveText(result));
  return EXIT_OK;
}

function moveText(r: MoveResult): string {
  const lines = r.notes.map((n) => `note: ${escapeName(n)}`);
  const what = r.podName ? `static pod ${escapeName(r.podName)} (${r.file})` : r.file;
  if (r.action === 'disable') {
    lines.push(`disabled ${what}: manifest moved to ${escapeName(r.to)}`);
    lines.push(
      'kubelet stops the pod once it notices (inotify at once, or its next re-list within 20 s). If kubelet was restarted while the API server was down, it may keep the pod running: check the runtime.',
    );
  } else {
    lines.push(`enabled ${what}: manifest moved back to ${escapeName(r.to)}`);
    lines.push('kubelet starts the pod once it notices (inotify at once, or its next re-list within 20 s).');
  }
  return `${lines.join('\n')}\n`;
}

async function recoverCommand(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args);
  const { report, notes } = recover(changeContext(layout, args));
  if (args.json) {
    io.out(`${JSON.stringify({ ok: report?.outcome !== 'conflict', recovered: report, notes })}\n`);
  } else {
    for (const note of notes) io.out(`note: ${escapeName(note)}\n`);
    io.out(
      report ? `${report.action} of ${report.file}: ${escapeName(report.message)}\n` : 'nothing to recover\n',
    );
  }
  return report?.outcome === 'conflict' ? EXIT_PROBLEMS : EXIT_OK;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `breakglass ${pkg.version}`;
}

async function stopCommand(args: CliArgs, io: Io): Promise<number> {
  const view = await readNodeView(args);
  const snapshot = await readRuntime(view.layout);
  if (snapshot.error) throw new BreakglassError(`cannot reach the runtime: ${snapshot.error}`, 'runtime');
  const target = resolvePodTarget(view, snapshot, args.target!);
  const connected = connect(view.layout);
  if ('error' in connected) throw new BreakglassError(connected.error, 'runtime');
  const { runtime } = connected;
  try {
    const plan = await planStop(runtime, target);
    const what = describeStopPlan(plan);
    if (!args.yes) {
      if (!io.ask) {
        throw new BreakglassError(
          `stopping ${what} needs confirmation: pass --yes (no terminal to ask on)`,
          'confirm',
        );
      }
      const answer = await io.ask(
        `About to stop ${what} through the runtime (grace ${args.graceSeconds} s, then SIGKILL).\nType the pod name (${target.podName}) to confirm: `,
      );
      if (answer.trim() !== target.podName && answer.trim() !== target.staticPod?.name) {
        throw new BreakglassError('not confirmed; nothing stopped', 'confirm');
      }
    }
    const result = await stopPod(runtime, plan, {
      stateDir: view.layout.stateDir.value,
      readOnly: args.readOnly,
      force: args.force,
      graceSeconds: args.graceSeconds,
    });
    if (args.json)
      io.out(
        `${JSON.stringify({ ok: true, pod: target.podName, namespace: target.namespace, ...result })}\n`,
      );
    else {
      for (const note of result.notes) io.out(`note: ${escapeName(note)}\n`);
      io.out(`stopped ${what}\n`);
    }
    return EXIT_OK;
  } finally {
    runtime.close();
  }
}

function describeStopPlan(plan: StopPlan): string {
  const containers = plan.containers.map((c) => escapeName(c.name)).join(', ') || 'no container';
  return `${escapeName(plan.target.namespace)}/${escapeName(plan.target.podName)}: ${containers}; ${plan.sandboxes.length} sandbox(es)`;
}

async function logsCommand(args: CliArgs, io: Io): Promise<number> {
  const view = await readNodeView(args);
  const snapshot = await readRuntime(view.layout);
  const target = resolvePodTarget(view, snapshot, args.target!);
  const connected = snapshot.error === null ? connect(view.layout) : null;
  const runtime = connected && !('error' in connected) ? connected.runtime : null;
  const sink = {
    line: (line: LogLine) => io.out(args.json ? `${JSON.stringify(line)}\n` : `${line.text}\n`),
    note: (text: string) => io.err(`breakglass: ${escapeName(text)}\n`),
  };
  try {
    await streamLogs(args, view, snapshot, runtime, target, sink, io.signal ?? new AbortController().signal);
  } finally {
    runtime?.close();
  }
  return EXIT_OK;
}
