// breakglass's own records in its state directory, read for display only: the intent log of a change
// that was cut short (recovery, under the lock, is src/ops/recover.ts), the procedure that runs or ran
// last, and the newest audit records.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  auditPath,
  type Intent,
  type ProcedureRecord,
  proceduresDir,
  readIntent,
  readProcedureRecord,
} from '../node/state-dir.js';
import { errnoMessage } from '../util/errors.js';

/** The interrupted change waiting for recovery, if any; an unreadable intent log reads as none. */
export function pendingIntent(stateDir: string): Intent | null {
  try {
    return readIntent(stateDir);
  } catch {
    return null;
  }
}

const AUDIT_TAIL_BYTES = 1024 * 1024;

/** The newest audit records (JSON lines, unparsed), newest last; none when nothing was changed yet. */
export async function readAuditTail(
  stateDir: string,
  limit = 500,
): Promise<{ lines: string[]; error: string | null }> {
  const file = auditPath(stateDir);
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, AUDIT_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const lines = buffer.toString('utf8').split('\n').filter(Boolean);
      if (size > length) lines.shift();
      return { lines: lines.slice(-limit), error: null };
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], error: null };
    return { lines: [], error: `${file}: ${errnoMessage(err)}` };
  }
}

/** The ended procedures, newest first. */
export function archivedProcedures(stateDir: string): ProcedureRecord[] {
  const dir = proceduresDir(stateDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const records: ProcedureRecord[] = [];
  for (const name of names.sort().reverse()) {
    try {
      records.push(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as ProcedureRecord);
    } catch {
      // A record cut short by a full disk is skipped; the others still count.
    }
  }
  return records;
}

/** The kernel's start time of a process (/proc/PID/stat field 22): a pid reused later has another. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote a record still runs (the same process, not a reuse of its pid). */
export function recordRunnerAlive(record: ProcedureRecord): boolean {
  const now = processStartTime(record.pid);
  return now !== null && (record.processStart === null || now === record.processStart);
}

/** The procedure that runs or was cut short (its record current), and the newest that ended. */
export interface ProcedureState {
  current: (ProcedureRecord & { runnerAlive: boolean }) | null;
  last: ProcedureRecord | null;
}

export function procedureState(stateDir: string): ProcedureState {
  let current: ProcedureRecord | null = null;
  try {
    current = readProcedureRecord(stateDir);
  } catch {
    current = null;
  }
  return {
    current: current ? { ...current, runnerAlive: recordRunnerAlive(current) } : null,
    last: archivedProcedures(stateDir)[0] ?? null,
  };
}
