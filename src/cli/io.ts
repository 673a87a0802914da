// How a command talks to the operator, and what its exit code means.
import { terminalSafeJson } from '../util/sanitize.js';

export const EXIT_OK = 0;
/** Problems found (an error finding, an unreadable directory, an interrupted change), or the change refused. */
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Asks the operator; null when nobody can answer (no terminal). */
  ask: ((question: string) => Promise<string>) | null;
  /** Aborted on SIGINT/SIGTERM: a followed log ends cleanly, a procedure stops waiting. */
  signal?: AbortSignal;
  /** This command ends by itself after a signal (it follows a run to its end): no forced exit. */
  keepRunningOnSignal?: () => void;
}

/** One JSON value per line, for scripts. */
export function jsonLine(io: Io, value: unknown): void {
  io.out(`${terminalSafeJson(value)}\n`);
}
