// Disable and enable static pods by moving their manifests between the manifest directory and the
// holding directory (the move itself: ops/move.ts), each under the one guard of every change.
import { entryNotes, guardedChange } from './guard.js';
import { type ChangeContext, type MoveResult, moveManifest } from './move.js';
import type { ProcedureRecovery } from './procedure-record.js';
import type { RecoveryReport } from './recover.js';

export type { ChangeContext, MoveResult } from './move.js';

const DOING = 'change static pods';

export function disableStaticPod(ctx: ChangeContext, name: string): MoveResult {
  return guardedChange(ctx, DOING, (entry) => moveManifest(ctx, 'disable', name, entryNotes(entry)));
}

export function enableStaticPod(ctx: ChangeContext, name: string): MoveResult {
  return guardedChange(ctx, DOING, (entry) => moveManifest(ctx, 'enable', name, entryNotes(entry)));
}

/** `breakglass recover`: finish or undo an interrupted move, put back what an interrupted procedure took. */
export function recover(ctx: ChangeContext): {
  report: RecoveryReport | null;
  procedure: ProcedureRecovery | null;
  notes: string[];
} {
  return guardedChange(ctx, DOING, (entry) => ({
    report: entry.recovered,
    procedure: entry.procedure,
    notes: entry.notes,
  }));
}
