// breakglass's own records in its state directory, read for display only: the intent log of a change
// that was cut short (recovery, under the lock, is src/ops/recover.ts) and the newest audit records.
import * as fs from 'node:fs';
import { auditPath, type Intent, readIntent } from '../node/state-dir.js';
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
