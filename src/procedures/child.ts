// A procedure run by a child `breakglass <command> ... --json`, its events read as they come: the same
// code, lock, intent log and audit as the CLI, and the screen never blocks on fsync or the lock wait.
// The child has a session of its own, so the terminal closing (SIGHUP to the TUI's process group) does
// not stop a change half-way; cancel() asks it to stop waiting, and it still puts back what it took away.
import { spawn } from 'node:child_process';
import { sanitizeLine } from '../util/sanitize.js';
import { selfArgs } from '../util/self.js';
import type { Outcome, ProcedureEvent } from './procedure.js';

export interface ChildCommand {
  /** The Node binary and the script that run this very breakglass (null: the single executable). */
  node: string;
  script: string | null;
  /** Flags that point the child at the same node. */
  nodeFlags: string[];
}

export interface RunningChild {
  done: Promise<Outcome & { result: Record<string, unknown> }>;
  cancel(): void;
}

const MAX_LINE = 1_000_000;

export function runInChild(
  command: ChildCommand,
  args: string[],
  onEvent: (event: ProcedureEvent) => void,
): RunningChild {
  const child = spawn(command.node, selfArgs(command, [...args, '--json', ...command.nodeFlags]), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BREAKGLASS_DEBUG: '' },
    detached: true,
  });
  let last: Record<string, unknown> | null = null;
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    pending += data;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      if (line) last = handleLine(line, onEvent) ?? last;
    }
    if (pending.length > MAX_LINE) pending = '';
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 100_000) stderr += d;
  });
  const done = new Promise<Outcome & { result: Record<string, unknown> }>((resolve) => {
    child.on('error', (e) =>
      resolve({ ok: false, text: `could not run breakglass: ${e.message}`, result: {} }),
    );
    child.on('close', (code) => {
      const tail = pending.trim();
      if (tail) last = handleLine(tail, onEvent) ?? last;
      const result: Record<string, unknown> = last ?? {};
      const text = sanitizeLine(
        String(result.text ?? result.error ?? (stderr.trim() || `breakglass exited with ${code}`)),
      );
      resolve({ ok: code === 0 && result.ok !== false, text, result });
    });
  });
  return {
    done,
    cancel: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/** An event goes to onEvent; anything else with `ok` is the result line. */
function handleLine(line: string, onEvent: (event: ProcedureEvent) => void): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  if (typeof record.event === 'string') {
    onEvent(record as unknown as ProcedureEvent);
    return null;
  }
  return 'ok' in record ? record : null;
}
