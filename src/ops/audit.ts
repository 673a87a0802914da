// Every change, and every recovery of an interrupted one, leaves a JSON line in the audit log.
import { auditPath } from '../node/state-dir.js';
import { appendLineDurable } from '../util/fsx.js';
import { currentUser } from './lock.js';

export interface AuditRecord {
  action: string;
  file: string;
  from?: string;
  to?: string;
  sha256Before?: string | null;
  sha256After?: string | null;
  outcome: 'ok' | 'refused' | 'failed' | 'completed' | 'rolled-back' | 'conflict' | 'started' | 'skipped';
  message?: string;
}

export function appendAudit(stateDir: string, record: AuditRecord): void {
  const line = {
    time: new Date().toISOString(),
    user: currentUser(),
    sudoUser: process.env.SUDO_USER ?? null,
    pid: process.pid,
    ...record,
  };
  appendLineDurable(auditPath(stateDir), JSON.stringify(line));
}

/** An audit line that must not stop the change it describes (a full disk): a note says it is missing. */
export function tryAppendAudit(stateDir: string, record: AuditRecord): string | null {
  try {
    appendAudit(stateDir, record);
    return null;
  } catch (err) {
    return `the audit log could not be written: ${err instanceof Error ? err.message : String(err)}`;
  }
}
