// breakglass's own files in its state directory (--state-dir, /var/lib/breakglass), and the format of
// the intent log, which both the change that writes it (src/ops) and the views that show a change cut
// short (src/sources) read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno } from '../util/fsx.js';

export type MoveAction = 'disable' | 'enable';

/** A manifest move in flight: written durably before the move, removed after. */
export interface Intent {
  version: 1;
  action: MoveAction;
  /** The file name's bytes in hex: exact even for names that are not valid UTF-8. */
  nameHex: string;
  /** The name as shown to people. */
  displayName: string;
  from: string;
  to: string;
  sha256: string;
  dev: number;
  ino: number;
  pid: number;
  user: string;
  startedAt: string;
}

export function intentPath(stateDir: string): string {
  return path.join(stateDir, 'intent.json');
}

export function auditPath(stateDir: string): string {
  return path.join(stateDir, 'audit.log');
}

export function lockPath(stateDir: string): string {
  return path.join(stateDir, 'lock');
}

/** The intent log, or null when there is none; throws on a record breakglass does not know. */
export function readIntent(stateDir: string): Intent | null {
  let text: string;
  try {
    text = fs.readFileSync(intentPath(stateDir), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  const intent = JSON.parse(text) as Intent;
  if (intent.version !== 1 || (intent.action !== 'disable' && intent.action !== 'enable')) {
    throw new Error(`unknown intent log format in ${intentPath(stateDir)}`);
  }
  return intent;
}
