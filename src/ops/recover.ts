// Recovery of a move cut short (kill -9, power cut): the intent log says which way it was going, the
// two directories say how far it got; it is finished or undone, never guessed. A replace (`revert`) cut
// short the same way: the temp file and the manifest's bytes say how far it got. Caller holds the lock.
import * as fs from 'node:fs';
import { type Intent, type IntentAction, readIntent } from '../node/state-dir.js';
import { errnoMessage } from '../util/errors.js';
import { exists, fsyncDir, fsyncFile, sha256Of } from '../util/fsx.js';
import { appendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { joinRaw } from './dirs.js';
import { clearIntent, removeStaleIntentTemps } from './intent.js';
import { recoverSwap } from './swap-recover.js';

export interface RecoveryReport {
  action: IntentAction;
  file: string;
  outcome: 'completed' | 'rolled-back' | 'conflict';
  message: string;
}

/** Finishes or undoes the interrupted move, if there is one; audits what it did. */
export function recoverInterrupted(stateDir: string): RecoveryReport | null {
  removeStaleIntentTemps(stateDir);
  const intent = readIntent(stateDir);
  if (!intent) return null;
  if (intent.action === 'replace') return recoverReplace(stateDir, intent);
  if (intent.action === 'swap-files') {
    const result = recoverSwap(intent.files ?? [], intent.displayName);
    appendAudit(stateDir, {
      action: 'recover-swap-files',
      file: intent.displayName,
      outcome: result.outcome,
      message: result.message,
    });
    crashpoint('recover-after-audit');
    clearIntent(stateDir);
    return { action: intent.action, file: intent.displayName, ...result };
  }
  const name = Buffer.from(intent.nameHex, 'hex');
  const src = joinRaw(intent.from, name);
  const dst = joinRaw(intent.to, name);
  const srcExists = exists(src);
  const dstExists = exists(dst);
  let report: RecoveryReport;
  const base = { action: intent.action, file: intent.displayName };
  if (srcExists && dstExists) {
    const a = fs.lstatSync(src);
    const b = fs.lstatSync(dst);
    if (a.dev === b.dev && a.ino === b.ino) {
      fsyncFile(dst);
      fsyncDir(intent.to);
      fs.unlinkSync(src);
      crashpoint('recover-after-unlink');
      fsyncDir(intent.from);
      report = { ...base, outcome: 'completed', message: `completed: the manifest is now in ${intent.to}` };
    } else {
      report = {
        ...base,
        outcome: 'conflict',
        message: `two different files named ${intent.displayName} exist, in ${intent.from} and ${intent.to}; both left as they are: compare them and remove one by hand`,
      };
    }
  } else if (dstExists) {
    fsyncDir(intent.to);
    fsyncDir(intent.from);
    report = { ...base, outcome: 'completed', message: `completed: the manifest is in ${intent.to}` };
  } else if (srcExists) {
    report = {
      ...base,
      outcome: 'rolled-back',
      message: `undone: the manifest had not moved and is still in ${intent.from}`,
    };
  } else {
    report = {
      ...base,
      outcome: 'conflict',
      message: `the manifest is in neither ${intent.from} nor ${intent.to}: something else removed it`,
    };
  }
  const where = report.outcome === 'rolled-back' ? src : dst;
  const shaNow = exists(where) ? sha256Of(where) : null;
  if (shaNow !== null && shaNow !== intent.sha256) {
    report.message += `; its content changed since the move began (sha256 ${intent.sha256.slice(0, 12)} -> ${shaNow.slice(0, 12)})`;
  }
  appendAudit(stateDir, {
    action: `recover-${intent.action}`,
    file: intent.displayName,
    from: intent.from,
    to: intent.to,
    sha256Before: intent.sha256,
    sha256After: shaNow,
    outcome: report.outcome,
    message: report.message,
  });
  crashpoint('recover-after-audit');
  clearIntent(stateDir);
  return report;
}

/**
 * A replace cut short. The new bytes went into a dot-named temp file beside the manifest (kubelet ignores
 * it), then were renamed over it: the rename is atomic, so the manifest holds the old bytes or the new.
 * A complete temp file (its sha256 the new bytes') is renamed into place, finishing the change; a torn
 * one is removed, undoing it. Bytes that are neither mean something else wrote the manifest: left alone.
 */
function recoverReplace(stateDir: string, intent: Intent): RecoveryReport {
  const dir = intent.to;
  const target = joinRaw(dir, Buffer.from(intent.nameHex, 'hex'));
  const temp = joinRaw(dir, Buffer.from(intent.tempHex ?? '', 'hex'));
  const after = intent.sha256After ?? '';
  const base = { action: intent.action, file: intent.displayName };
  const shaOf = (p: Buffer) => (exists(p) ? sha256Of(p) : null);
  const now = shaOf(target);
  let report: RecoveryReport;
  if (exists(temp)) {
    if (shaOf(temp) === after && now === intent.sha256) {
      fsyncFile(temp);
      fs.renameSync(temp, target);
      crashpoint('recover-after-rename');
      fsyncDir(dir);
      report = {
        ...base,
        outcome: 'completed',
        message: `completed: ${intent.displayName} holds the new version`,
      };
    } else {
      fs.rmSync(temp, { force: true });
      fsyncDir(dir);
      report =
        now === intent.sha256
          ? {
              ...base,
              outcome: 'rolled-back',
              message: `undone: ${intent.displayName} still holds the old version`,
            }
          : now === after
            ? {
                ...base,
                outcome: 'completed',
                message: `completed: ${intent.displayName} holds the new version`,
              }
            : conflict(base, intent, now);
    }
  } else if (now === after) {
    fsyncDir(dir);
    report = {
      ...base,
      outcome: 'completed',
      message: `completed: ${intent.displayName} holds the new version`,
    };
  } else if (now === intent.sha256) {
    report = {
      ...base,
      outcome: 'rolled-back',
      message: `undone: ${intent.displayName} still holds the old version`,
    };
  } else {
    report = conflict(base, intent, now);
  }
  appendAudit(stateDir, {
    action: 'recover-replace',
    file: intent.displayName,
    from: intent.from,
    to: intent.to,
    sha256Before: intent.sha256,
    sha256After: shaOf(target),
    outcome: report.outcome,
    message: report.message,
  });
  crashpoint('recover-after-audit');
  clearIntent(stateDir);
  return report;
}

function conflict(
  base: Pick<RecoveryReport, 'action' | 'file'>,
  intent: Intent,
  now: string | null,
): RecoveryReport {
  return {
    ...base,
    outcome: 'conflict',
    message:
      now === null
        ? `${intent.displayName} is gone from ${intent.to}: something else removed it`
        : `${intent.displayName} holds neither the old nor the new version (sha256 ${now.slice(0, 12)}): something else wrote it; left as it is`,
  };
}

/** Recovery right after a move failed half-way: one line for the operator, whatever happens. */
export function tryRecover(stateDir: string): string | null {
  try {
    const report = recoverInterrupted(stateDir);
    return report ? `recovery: ${report.message}` : null;
  } catch (err) {
    return `recovery failed too (${errnoMessage(err)}): run \`breakglass recover\` once the cause is fixed`;
  }
}
