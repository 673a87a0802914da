// The audit log's records as columns for the audit view. Pure.

export interface AuditLine {
  /** Position in the audit log: a stable key. */
  seq: number;
  time: string;
  user: string;
  action: string;
  file: string;
  outcome: string;
  message: string;
}

/** One audit record (a JSON line) as columns; a line that is not JSON is shown as it is. */
export function parseAuditLine(line: string, seq = 0): AuditLine {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const s = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
    return {
      seq,
      time: s(r.time).replace('T', ' ').slice(0, 19),
      user: s(r.sudoUser) || s(r.user),
      action: s(r.action),
      file: s(r.file),
      outcome: s(r.outcome),
      message: s(r.message),
    };
  } catch {
    return { seq, time: '', user: '', action: '', file: '', outcome: '', message: line };
  }
}
