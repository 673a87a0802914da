// A procedure that must outlive the operator's terminal runs in a detached child: its own session (no
// SIGHUP when the SSH session drops), stdin closed, its events as JSON lines into an event log in the
// state directory. Whoever started it, or `--attach` later, or the TUI, follows that file: every event
// from the first, then the result line. The run's own pid tells a run that died (kill -9) from one
// that is still going.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createEventsFile } from '../ops/procedure-record.js';
import type { ProcedureEvent } from '../procedures/procedure.js';
import { processStartTime } from '../sources/breakglass-state.js';
import { sanitizeLine } from '../util/sanitize.js';
import { selfArgs, selfCommand } from '../util/self.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io } from './io.js';
import { eventText } from './procedure-text.js';

/** The environment variable that makes `breakglass <command>` the detached run itself (its id). */
export const RUNNER_ENV = 'BREAKGLASS_RUNNER';

export interface RunnerHandle {
  id: string;
  eventsPath: string;
  pid: number;
  alive(): boolean;
  /** SIGTERM to the run, if it still runs: it stops waiting and puts back what it took away. */
  cancel(): void;
}

export function runnerHandle(
  eventsPath: string,
  pid: number,
  start: string | null,
): Omit<RunnerHandle, 'id'> {
  const alive = () => pid > 0 && start !== null && processStartTime(pid) === start;
  return {
    eventsPath,
    pid,
    alive,
    cancel: () => {
      if (alive()) process.kill(pid, 'SIGTERM');
    },
  };
}

/** Starts `breakglass <argv>` detached; resolves once it runs (or fails to start). */
export function launchRunner(stateDir: string, command: string, argv: string[]): RunnerHandle {
  const events = createEventsFile(stateDir, command);
  const self = selfCommand();
  const child = spawn(self.node, selfArgs(self, argv, process.execArgv), {
    detached: true,
    stdio: ['ignore', events.fd, events.fd],
    env: { ...process.env, [RUNNER_ENV]: events.id, BREAKGLASS_DEBUG: '' },
  });
  fs.closeSync(events.fd);
  child.unref();
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', () => {
    exited = true;
  });
  const pid = child.pid ?? -1;
  const handle = runnerHandle(events.path, pid, pid > 0 ? processStartTime(pid) : null);
  return { ...handle, id: events.id, alive: () => !exited && handle.alive() };
}

export interface AttachOptions {
  json: boolean;
  /** Asked once, on the first SIGINT or SIGTERM: stop the run (it puts back what it took away). */
  cancel(): void;
  /** Print the events already in the file too (a re-attach shows the story so far). */
  fromStart: boolean;
  /** The plan was shown already (to confirm it): not again. */
  skipPlan?: boolean;
  /** The command the run is ("restart", "certs renew"): how the operator is told what to do next. */
  command?: string;
}

const POLL_MS = 150;

/** Follows the event log until its result line; the exit code is the run's. */
export async function attach(
  io: Io,
  run: Pick<RunnerHandle, 'eventsPath' | 'pid' | 'alive'>,
  options: AttachOptions,
): Promise<number> {
  io.keepRunningOnSignal?.();
  let offset = options.fromStart ? 0 : safeSize(run.eventsPath);
  let pending = '';
  const decoder = new StringDecoder('utf8');
  const stray: string[] = [];
  let cancelled = false;
  for (;;) {
    const signal = io.signal;
    if (signal?.aborted && !cancelled) {
      cancelled = true;
      // A terminal that closed detaches; the run goes on by itself. Ctrl-C and SIGTERM stop it.
      if (signal.reason === 'SIGHUP') return EXIT_PROBLEMS;
      options.cancel();
      if (!options.json)
        io.err(`breakglass: cancelling (pid ${run.pid}): it stops waiting and puts back what it took away\n`);
    }
    const wasAlive = run.alive();
    const chunk = readFrom(run.eventsPath, offset);
    offset += chunk.length;
    pending += decoder.write(chunk);
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      const result = show(io, line, options, stray);
      if (result !== null) return result;
    }
    if (!wasAlive && chunk.length === 0) {
      const why = stray.length > 0 ? `; it said: ${stray.slice(-3).join(' / ')}` : '';
      const command = options.command ?? 'restart';
      const next =
        command === 'restart'
          ? '`breakglass recover` puts back what it had taken away; `breakglass restart --resume` continues it'
          : `\`breakglass recover\` finishes or undoes what it was doing; \`breakglass ${command}\` again goes on`;
      const text = `the ${command} run (pid ${run.pid}) ended without a result: killed, or the node lost power${why}. ${next}`;
      if (options.json) io.out(`${JSON.stringify({ ok: false, text, died: true })}\n`);
      else io.err(`breakglass: ${sanitizeLine(text)}\n`);
      return EXIT_PROBLEMS;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Prints one line of the event log; the exit code when it was the result line. */
function show(io: Io, line: string, options: AttachOptions, stray: string[]): number | null {
  const { json } = options;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    if (line.trim()) stray.push(sanitizeLine(line).slice(0, 300));
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  if (typeof record.event === 'string') {
    if (json) io.out(`${line}\n`);
    else if (record.event === 'plan' && options.skipPlan) return null;
    else io.out(eventText(record as unknown as ProcedureEvent));
    return null;
  }
  if (!('ok' in record)) return null;
  if (json) io.out(`${line}\n`);
  else if (record.ok === true) io.out(`✓ ${sanitizeLine(String(record.text ?? 'done'))}\n`);
  else io.err(`breakglass: ${sanitizeLine(String(record.text ?? record.error ?? 'failed'))}\n`);
  return record.ok === true ? EXIT_OK : EXIT_PROBLEMS;
}

function readFrom(file: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
    const n = fs.readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function safeSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
