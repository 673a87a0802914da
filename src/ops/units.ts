// Restarting a systemd unit (kubelet, the runtime) on the operator's request: a systemd job over D-Bus,
// through the same guard as every change (read-only, root, the lock, an interrupted move recovered first)
// and audited before and after. Holding the lock keeps a restart of kubelet from interleaving with a
// manifest move that kubelet is about to act on.
import { errnoMessage } from '../util/errors.js';
import { appendAudit } from './audit.js';
import type { UnitControl } from './control/units.js';
import { entryNotes, type GuardContext, guardedChangeAsync } from './guard.js';

export interface UnitChangeOptions extends GuardContext {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** RestartUnit(unit, "replace") and wait for systemd's job; the notes of the way in come back. */
export async function restartUnit(
  control: UnitControl,
  unit: string,
  options: UnitChangeOptions,
): Promise<{ notes: string[] }> {
  return guardedChangeAsync(options, 'restart units', async (entry) => {
    try {
      await control.restartUnit(unit, { timeoutMs: options.timeoutMs ?? 90_000, signal: options.signal });
    } catch (err) {
      appendAudit(options.stateDir, {
        action: 'restart-unit',
        file: unit,
        outcome: 'failed',
        message: errnoMessage(err),
      });
      throw err;
    }
    appendAudit(options.stateDir, {
      action: 'restart-unit',
      file: unit,
      outcome: 'ok',
      message: `RestartUnit ${unit} over D-Bus`,
    });
    return { notes: entryNotes(entry) };
  });
}
