// The intent log: written (durably) before a manifest moves, removed after. If it is there when a
// process starts a change, the previous one was interrupted and is finished or undone first. Its format
// and path are in src/node/state-dir.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Intent, intentPath } from '../node/state-dir.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { fsyncDir, writeFileDurable } from '../util/fsx.js';
import { currentUser } from './lock.js';

/** What a change says of itself; who runs it and when are added by beginIntent. */
export type IntentFields = Omit<Intent, 'version' | 'pid' | 'user' | 'startedAt'>;

/**
 * Writes the intent of a change durably before it touches anything: a change whose intent cannot be
 * written does not start (nothing changed), so every change that starts can be finished or undone.
 */
export function beginIntent(stateDir: string, fields: IntentFields): Intent {
  const intent: Intent = {
    version: 1,
    ...fields,
    pid: process.pid,
    user: currentUser(),
    startedAt: new Date().toISOString(),
  };
  try {
    writeIntent(stateDir, intent);
  } catch (err) {
    throw new BreakglassError(
      `cannot write the intent log in ${stateDir}: ${errnoMessage(err)}; nothing changed`,
      'io',
    );
  }
  return intent;
}

export function writeIntent(stateDir: string, intent: Intent): void {
  writeFileDurable(intentPath(stateDir), `${JSON.stringify(intent)}\n`);
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
