// Waiting in tests for something the lab, a watcher or a child process does in its own time: poll a probe
// until it gives a value, or take the first value a watcher hands over; on time out, say what never came.
import { setTimeout as sleep } from 'node:timers/promises';

/** A probe says "not yet" with null, undefined or false; anything else is the value waited for. */
export type NotYet = null | undefined | false;

export interface WaitOptions {
  timeoutMs: number;
  /** Between two probes: 100 ms unless said. */
  intervalMs?: number;
  /** A probe that throws is asked again (a daemon still starting); otherwise its error ends the wait. */
  retryErrors?: boolean;
  /** Added to the time-out message: the last state seen, the tail of a log. */
  context?: () => string;
}

/** Resolves with the probe's first value that is not "not yet"; rejects after timeoutMs. */
export async function until<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: WaitOptions,
): Promise<Exclude<T, NotYet>> {
  const { timeoutMs, intervalMs = 100, retryErrors = false, context } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = retryErrors
      ? await Promise.resolve()
          .then(probe)
          .catch(() => null)
      : await probe();
    if (value !== null && value !== undefined && value !== false) return value as Exclude<T, NotYet>;
    if (Date.now() > deadline) {
      const more = context ? `\n${context()}` : '';
      throw new Error(`timed out waiting for ${what} after ${timeoutMs} ms${more}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Starts a watcher whose callbacks call `accept` with what they were waiting for: resolves with the first
 * value accepted and closes the watcher; rejects (and closes it) after timeoutMs.
 */
export function watchUntil<T>(
  what: string,
  start: (accept: (value: T) => void) => { close(): void },
  options: { timeoutMs: number },
): Promise<T> {
  return new Promise((resolve, reject) => {
    let watcher: { close(): void } | null = null;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      watcher?.close();
      reject(new Error(`timed out waiting for ${what} after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    watcher = start((value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // The watcher may accept while start() is still running: close it once it has been returned.
      queueMicrotask(() => watcher?.close());
      resolve(value);
    });
  });
}
