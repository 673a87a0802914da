// Deadlines for reads that may hang (a file system call, a socket), and failures in plain words.
import { errnoMessage } from './errors.js';
import { errnoCode } from './fsx.js';
import { sanitizeLine } from './sanitize.js';

/** Reads of /proc and sysfs answer in microseconds; a second means something is badly wrong. */
export const DEFAULT_IO_TIMEOUT_MS = 2000;

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** "3 s", "2.5 s", "800 ms": a duration as an operator reads it. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(1))} s`;
}

/**
 * Waits for `work` at most `ms`; then rejects with "<what> timed out after N s". The work itself is
 * not cancelled (a file system call cannot be), only no longer waited for.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new TimeoutError(`${what} timed out after ${formatDuration(ms)}`)),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** An Error whose message is one plain sentence: system errors are put in words, others kept. */
export function plainError(error: unknown): Error {
  if (error instanceof Error && !errnoCode(error)) return error;
  return new Error(reasonOf(error));
}

/** One plain sentence for any failure: errno words, a timeout's own message, else the message. */
export function reasonOf(error: unknown): string {
  if (error instanceof TimeoutError) return error.message;
  return sanitizeLine(errnoMessage(error));
}
