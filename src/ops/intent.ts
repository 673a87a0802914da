// The intent log: written (durably) before a manifest moves, removed after. If it is there when a
// process starts a change, the previous one was interrupted and is finished or undone first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir, isErrno, writeFileDurable } from '../util/fsx.js';

export type MoveAction = 'disable' | 'enable';

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

export function writeIntent(stateDir: string, intent: Intent): void {
  writeFileDurable(intentPath(stateDir), `${JSON.stringify(intent)}\n`);
}

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

export function clearIntent(stateDir: string): void {
  fs.rmSync(intentPath(stateDir), { force: true });
  fsyncDir(stateDir);
}

/** Temp files of an intent write that was cut short: they never took effect. */
export function removeStaleIntentTemps(stateDir: string): void {
  for (const name of fs.readdirSync(stateDir)) {
    if (name.startsWith('.intent.json.') && name.endsWith('.tmp'))
      fs.rmSync(path.join(stateDir, name), { force: true });
  }
}
