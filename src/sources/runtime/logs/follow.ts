// Following a container's log across restarts: the newest `<n>.log`, then the next one when kubelet
// starts a new attempt, and copytruncate rotations. Woken by inotify (fs.watch) with a slow safety poll.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogLine, LogOptions } from '../types.js';
import { newestLiveLog, nextRestartLog, pickLogFile } from './files.js';
import { findTailRegion, LastLines, LogDecoder, OpenLog, readFileTail, tailCount } from './read.js';

const DEFAULT_POLL_MS = 300;
/** With inotify working, a slow re-check still runs, in case an event is lost. */
const SAFETY_POLL_MS = 2_000;
/**
 * After a wake-up, wait this long before reading: a container writing line by line wakes the follower
 * once per line, and one read per batch instead of per line is what keeps a log flood cheap.
 */
const BATCH_MS = 50;

// ---------------------------------------------------------------------------------------------------
// Following

export interface FollowLogOptions extends LogOptions {
  /** Called when the container restarted and following moved on to its new `<n>.log` (the path). */
  onSwitch?: (file: string) => void;
  /** false: never fs.watch, only poll. Default true. */
  watch?: boolean;
  /**
   * Poll interval when fs.watch is unavailable (no inotify watches left, no directory yet) or the log
   * is a symlink (Docker), whose writes a directory watch does not see. Default 300 ms.
   */
  pollMs?: number;
}

/**
 * Wakes the follower: at a change in the directory (fs.watch), or when the poll interval is over.
 * Idle with inotify working, it costs one timer every SAFETY_POLL_MS.
 */
class Wakeup {
  private watcher: fs.FSWatcher | null = null;
  private signalled = false;
  private dirChanged = true;
  private closed = false;
  private release: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    private readonly useWatch: boolean,
  ) {}

  get watching(): boolean {
    return this.watcher !== null;
  }

  /** Resolves at the next change, after `ms` at most, or at once when one came meanwhile or closed. */
  wait(ms: number): Promise<void> {
    this.startWatching();
    if (this.closed || this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.notify(true), ms);
      this.release = () => {
        clearTimeout(timer);
        this.release = null;
        this.signalled = false;
        resolve();
      };
    });
  }

  /** Whether entries may have changed since the last call (a create or rename, or a poll tick). */
  takeDirChanged(): boolean {
    const changed = this.dirChanged;
    this.dirChanged = false;
    return changed;
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    this.release?.();
  }

  private notify(dirChanged: boolean): void {
    if (dirChanged) this.dirChanged = true;
    this.signalled = true;
    this.release?.();
  }

  private startWatching(): void {
    if (!this.useWatch || this.watcher !== null || this.closed) return;
    try {
      const watcher = fs.watch(this.dir, (event) => this.notify(event === 'rename'));
      watcher.on('error', () => {
        this.stopWatching();
        this.notify(true);
      });
      this.watcher = watcher;
    } catch {
      // No directory yet, or out of inotify watches: polling until a later wait() manages.
      this.watcher = null;
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

/**
 * The tail of a container's log, then the lines appended to it, until `signal` aborts or the consumer
 * stops. Follows restarts (a higher `<n>.log` appears: the old file is finished, onSwitch is called),
 * rotation (the file renamed away: the new `<n>.log` is opened) and copytruncate (the size shrinks:
 * read again from 0). Waits for a first log file if there is none yet.
 */
export async function* followContainerLog(
  containerDir: string,
  options: FollowLogOptions = {},
): AsyncGenerator<LogLine, void, undefined> {
  for await (const batch of followContainerLogBatches(containerDir, options)) yield* batch;
}

/**
 * The same lines in the batches they were read in (never empty): a consumer that takes a batch at a
 * time pays for one step of the iteration per read, not per line (a flood is 50,000 lines a second).
 */
export function followContainerLogBatches(
  containerDir: string,
  options: FollowLogOptions = {},
): AsyncGenerator<LogLine[], void, undefined> {
  return new LogFollower(containerDir, options).batches();
}

class LogFollower {
  private readonly wakeup: Wakeup;
  private readonly decoder = new LogDecoder();
  private readonly pollMs: number;
  private log: OpenLog | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly options: FollowLogOptions,
  ) {
    this.wakeup = new Wakeup(dir, options.watch !== false);
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  async *batches(): AsyncGenerator<LogLine[], void, undefined> {
    const { signal } = this.options;
    if (signal?.aborted) return;
    const onAbort = () => void this.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await this.openFirstLog())) return;
      yield* this.tailLines();
      while (!this.closed) {
        yield* this.drain();
        const moved = yield* this.followMoves();
        if (!moved) {
          await this.wakeup.wait(this.pollInterval());
          if (!this.closed) await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
        }
      }
    } catch (err) {
      if (!this.closed) throw err; // reads cut short by the abort are expected
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.close();
    }
  }

  private async close(): Promise<void> {
    this.closed = true;
    this.wakeup.close();
    await this.log?.close();
  }

  private pollInterval(): number {
    return this.wakeup.watching && !this.log?.viaSymlink ? SAFETY_POLL_MS : this.pollMs;
  }

  private async openFirstLog(): Promise<boolean> {
    while (!this.closed) {
      const name = await newestLiveLog(this.dir);
      const log =
        name === null ? null : await OpenLog.open(path.join(this.dir, name.name), name.restartCount);
      if (log !== null && this.closed) await log.close();
      else if (log !== null) {
        this.log = log;
        return true;
      }
      await this.wakeup.wait(this.pollInterval());
    }
    return false;
  }

  /** The last `tail` lines, from the newest rotation when the live file is still empty. */
  private async *tailLines(): AsyncGenerator<LogLine[]> {
    const tail = tailCount(this.options.tail);
    const log = this.log!;
    if (tail === Number.POSITIVE_INFINITY) return; // all of it: the first drain reads from 0
    const size = await log.size();
    if (size === 0) {
      yield* nonEmpty(await this.rotatedTail(log, tail));
      return;
    }
    const region = await findTailRegion(log.handle, size, tail);
    log.seek(region.start);
    this.decoder.startTail(region.cleanFrom);
    const last = new LastLines(tail);
    for await (const lines of log.rawLines(size)) last.push(this.decoder.push(lines));
    yield* nonEmpty(last.lines());
  }

  private async rotatedTail(log: OpenLog, tail: number): Promise<LogLine[]> {
    const picked = await pickLogFile(this.dir);
    const isRotation =
      picked !== null && picked.rotatedAt !== null && picked.restartCount === log.restartCount;
    return isRotation && tail > 0 ? readFileTail(picked.path, tail) : [];
  }

  /** Everything appended since the last read; after a truncation, the file again from 0. */
  private async *drain(): AsyncGenerator<LogLine[]> {
    const log = this.log!;
    const size = await log.size();
    if (size === log.offset) return; // idle: no read
    if (size < log.offset) {
      yield* nonEmpty(this.decoder.flush());
      this.decoder.forgetOffsets();
      log.seek(0);
    }
    for await (const lines of log.rawLines()) yield* nonEmpty(this.decoder.push(lines));
  }

  /** Moves to the next restart's file, or to the recreated file after a rotation. True when it moved. */
  private async *followMoves(): AsyncGenerator<LogLine[], boolean> {
    if (this.closed || !this.wakeup.takeDirChanged()) return false;
    const log = this.log!;
    const next = await nextRestartLog(this.dir, log.restartCount);
    if (next !== null) {
      const moved = yield* this.switchTo(path.join(this.dir, next.name), next.restartCount);
      if (moved) this.options.onSwitch?.(path.join(this.dir, next.name));
      return moved;
    }
    if ((await log.onDisk()) !== 'replaced') return false;
    return yield* this.switchTo(log.file, log.restartCount);
  }

  /** Finishes the current file and opens `file` from 0. A new restart also ends its pending partials. */
  private async *switchTo(file: string, restartCount: number): AsyncGenerator<LogLine[], boolean> {
    const next = await OpenLog.open(file, restartCount);
    if (next === null) return false;
    const previous = this.log!;
    this.log = next;
    try {
      for await (const lines of previous.rawLines()) yield* nonEmpty(this.decoder.push(lines));
      yield* nonEmpty(this.decoder.push(previous.rest()));
      if (restartCount !== previous.restartCount) yield* nonEmpty(this.decoder.flush());
      this.decoder.forgetOffsets();
    } finally {
      await previous.close();
    }
    if (this.closed) await next.close();
    return true;
  }
}

/** A batch to yield, or nothing when it is empty. */
function nonEmpty(lines: LogLine[]): LogLine[][] {
  return lines.length > 0 ? [lines] : [];
}
