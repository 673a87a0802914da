// breakglass's own files in its state directory (--state-dir, /var/lib/breakglass), and the format of
// the intent log, which both the change that writes it (src/ops) and the views that show a change cut
// short (src/sources) read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno } from '../util/fsx.js';

export type MoveAction = 'disable' | 'enable';

/** A move, or `replace`: the manifest's bytes swapped for another version's (`revert`). */
export type IntentAction = MoveAction | 'replace' | 'swap-files';

/** One file of a swap-files change: its new bytes wait in `temp` beside it until renamed over it. */
export interface SwapFile {
  path: string;
  temp: string;
  sha256Before: string;
  sha256After: string;
}

/** A manifest move (or replace) in flight: written durably before it, removed after. */
export interface Intent {
  version: 1;
  action: IntentAction;
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
  /** replace: the new bytes' sha256 (`sha256` is the old bytes'). */
  sha256After?: string;
  /** replace: the dot-named temp file beside the manifest that holds the new bytes, its name in hex. */
  tempHex?: string;
  /** swap-files: the files replaced together (a certificate and its key, kubeconfigs). */
  files?: SwapFile[];
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
  const known =
    intent.action === 'disable' ||
    intent.action === 'enable' ||
    intent.action === 'replace' ||
    intent.action === 'swap-files';
  const incomplete =
    (intent.action === 'replace' && !intent.tempHex) ||
    (intent.action === 'swap-files' && !Array.isArray(intent.files));
  if (intent.version !== 1 || !known || incomplete) {
    throw new Error(`unknown intent log format in ${intentPath(stateDir)}`);
  }
  return intent;
}

/** The procedure running now, or cut short: written durably before and after each of its steps. */
export function procedurePath(stateDir: string): string {
  return path.join(stateDir, 'procedure.json');
}

/** Finished and interrupted procedures (their records and event logs), newest kept. */
export function proceduresDir(stateDir: string): string {
  return path.join(stateDir, 'procedures');
}

/** etcd snapshots taken before etcd is touched. */
export function snapshotsDir(stateDir: string): string {
  return path.join(stateDir, 'snapshots');
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'interrupted';

/** A manifest a procedure moved out of the manifest directory and has not put back yet. */
export interface DataAside {
  /** `<data-dir>/member`. */
  member: string;
  /** Where the old one is: `<data-dir>/member.breakglass-<time>`. */
  aside: string;
  /** The snapshot was restored into `member`: from here on, recovery keeps it. */
  restored: boolean;
}

export interface MovedOut {
  /** The file name's bytes in hex. */
  nameHex: string;
  displayName: string;
}

export interface ProcedureRecord {
  version: 1;
  /** `<time>-<command>`: also the name of its event log and archived record. */
  id: string;
  command: string;
  /** What the command was asked (pod names, --all), enough to run it again for --resume. */
  args: string[];
  pid: number;
  /** The runner's start time in the kernel's clock ticks: tells it from a later process with its pid. */
  processStart: string | null;
  user: string;
  startedAt: string;
  /** Where the manifests it moves live: what recovery needs to put them back. */
  node: { manifests: string; holding: string; nodeName: string };
  /** `outcome`: what the step said when it ended (why it failed, or what it made). */
  steps: { id: string; text: string; status: StepStatus; at: string | null; outcome: string | null }[];
  /** What it took away: put back by `breakglass recover` if it dies. */
  movedOut: MovedOut[];
  /** etcd's data moved aside by a restore: put back by recovery unless the restore had finished. */
  dataAside?: DataAside | null;
  /** Its events, one JSON object per line, the result last. */
  eventsPath: string;
  /** Set when it ended: with its outcome, or 'interrupted' when recovery found it cut short. */
  end: { at: string; ok: boolean; text: string; interrupted: boolean } | null;
}

/** The procedure record, or null when none runs and none was cut short. */
export function readProcedureRecord(stateDir: string): ProcedureRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(procedurePath(stateDir), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  const record = JSON.parse(text) as ProcedureRecord;
  if (record.version !== 1 || !Array.isArray(record.steps))
    throw new Error(`unknown procedure record format in ${procedurePath(stateDir)}`);
  return record;
}
