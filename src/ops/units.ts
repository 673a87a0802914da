// Restarting a systemd unit (kubelet, the runtime) on the operator's request: through systemd over D-Bus,
// audited before and after like every other change. systemd queues jobs per unit, so two restarts cannot
// interleave; the manifest lock is not needed and not taken (a restart does not touch the manifests).
import type { SystemdSource } from '../sources/systemd.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { appendAudit } from './audit.js';
import { ensurePrivateDir } from './staticpods.js';

export interface UnitChangeOptions {
  stateDir: string;
  readOnly: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function restartUnit(
  systemd: SystemdSource,
  unit: string,
  options: UnitChangeOptions,
): Promise<void> {
  if (options.readOnly)
    throw new BreakglassError('read-only mode (--read-only): no change made', 'read-only');
  if (process.geteuid && process.geteuid() !== 0) {
    throw new BreakglassError('must run as root to restart units (try sudo); nothing changed', 'not-root');
  }
  ensurePrivateDir(options.stateDir, 'state directory');
  try {
    await systemd.restartUnit(unit, { timeoutMs: options.timeoutMs ?? 90_000, signal: options.signal });
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
}
