// The one gate every change passes: refused in read-only mode and when not root, the state directory
// made private, one change at a time across processes (the flock lock), and what an earlier process
// left half-done (a move, a procedure) finished or undone first. Notes say what the operator should know
// happened on the way.
import { BreakglassError } from '../util/errors.js';
import { ensurePrivateDir } from './dirs.js';
import { acquireLock, describeHolder, type HeldLock } from './lock.js';
import { type ProcedureRecovery, recoverInterruptedProcedure } from './procedure-record.js';
import { type RecoveryReport, recoverInterrupted } from './recover.js';

export interface GuardContext {
  stateDir: string;
  readOnly: boolean;
}

/**
 * What happened on the way in: a lock taken over from a dead holder, an interrupted move recovered, an
 * interrupted procedure's manifests put back.
 */
export interface ChangeEntry {
  notes: string[];
  recovered: RecoveryReport | null;
  procedure: ProcedureRecovery | null;
}

/** The entry as lines for the operator, the recoveries included. */
export function entryNotes(entry: ChangeEntry): string[] {
  const notes = [...entry.notes];
  const r = entry.recovered;
  if (r) notes.push(`interrupted ${r.action} of ${r.file}: ${r.message}`);
  const p = entry.procedure;
  if (p) notes.push(procedureRecoveryText(p));
  return notes;
}

export function procedureRecoveryText(p: ProcedureRecovery): string {
  const done = p.done.length > 0 ? `steps done: ${p.done.join(', ')}` : 'no step had completed';
  const rest = [...p.putBack, ...p.problems].join('; ');
  return `interrupted ${p.command} (${p.id}): ${done}${rest ? `; ${rest}` : ''}`;
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
  // A step of a procedure: the procedure recovered what was left when it took the lock.
  if (lock.nested) return { notes: [], recovered: null, procedure: null };
  const notes: string[] = [];
  if (lock.tookOverFrom) {
    notes.push(
      `took over the lock left by a process that died holding it: ${describeHolder(lock.tookOverFrom)}`,
    );
  }
  const recovered = recoverInterrupted(ctx.stateDir);
  return { notes, recovered, procedure: recoverInterruptedProcedure(ctx.stateDir, ctx.readOnly) };
}
