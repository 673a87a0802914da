// The one gate every change passes: refused in read-only mode and when not root, the state directory
// made private, one change at a time across processes (the flock lock), and a move left half-done by an
// earlier process finished or undone first. Notes say what the operator should know happened on the way.
import { BreakglassError } from '../util/errors.js';
import { ensurePrivateDir } from './dirs.js';
import { acquireLock, describeHolder, type HeldLock } from './lock.js';
import { type RecoveryReport, recoverInterrupted } from './recover.js';

export interface GuardContext {
  stateDir: string;
  readOnly: boolean;
}

/** What happened on the way in: a lock taken over from a dead holder, an interrupted move recovered. */
export interface ChangeEntry {
  notes: string[];
  recovered: RecoveryReport | null;
}

/** The entry as lines for the operator, the recovery included. */
export function entryNotes(entry: ChangeEntry): string[] {
  const r = entry.recovered;
  return r ? [...entry.notes, `interrupted ${r.action} of ${r.file}: ${r.message}`] : [...entry.notes];
}

/** Runs `work` as a change: `doing` finishes "must run as root to ..." (e.g. "change static pods"). */
export function guardedChange<T>(ctx: GuardContext, doing: string, work: (entry: ChangeEntry) => T): T {
  const lock = enter(ctx, doing);
  try {
    return work(entryOf(ctx, lock));
  } finally {
    lock.release();
  }
}

/** The same for a change that waits on something (the runtime, systemd): the lock is held throughout. */
export async function guardedChangeAsync<T>(
  ctx: GuardContext,
  doing: string,
  work: (entry: ChangeEntry) => Promise<T>,
): Promise<T> {
  const lock = enter(ctx, doing);
  try {
    return await work(entryOf(ctx, lock));
  } finally {
    lock.release();
  }
}

/** The refusals that need no lock, in the order an operator fixes them. */
export function checkMayChange(ctx: GuardContext, doing: string): void {
  if (ctx.readOnly) throw new BreakglassError('read-only mode (--read-only): no change made', 'read-only');
  if (process.geteuid && process.geteuid() !== 0) {
    throw new BreakglassError(`must run as root to ${doing} (try sudo); nothing changed`, 'not-root');
  }
}

function enter(ctx: GuardContext, doing: string): HeldLock {
  checkMayChange(ctx, doing);
  ensurePrivateDir(ctx.stateDir, 'state directory');
  return acquireLock(ctx.stateDir);
}

function entryOf(ctx: GuardContext, lock: HeldLock): ChangeEntry {
  const notes: string[] = [];
  if (lock.tookOverFrom) {
    notes.push(
      `took over the lock left by a process that died holding it: ${describeHolder(lock.tookOverFrom)}`,
    );
  }
  return { notes, recovered: recoverInterrupted(ctx.stateDir) };
}
