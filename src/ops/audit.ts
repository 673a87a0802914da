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
  outcome: 'ok' | 'refused' | 'failed' | 'completed' | 'rolled-back' | 'conflict';
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
