// A procedure's record in the state directory, written with the intent log's discipline (temp file,
// fsync, rename, fsync dir) before and after each step, under the lock the procedure holds for its whole
// run. Finding it with the lock free means its procedure died: recovery puts back every manifest it had
// moved out and keeps the record, marked interrupted, for `breakglass restart --resume`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type DataAside,
  type ProcedureRecord,
  procedurePath,
  proceduresDir,
  readProcedureRecord,
  type StepStatus,
} from '../node/state-dir.js';
import { processStartTime } from '../sources/breakglass-state.js';
import { errnoMessage } from '../util/errors.js';
import { exists, fsyncDir, writeFileDurable } from '../util/fsx.js';
import { appendAudit, tryAppendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { ensurePrivateDir, joinRaw } from './dirs.js';
import { putMemberBack } from './etcd-member-back.js';
import { currentUser } from './lock.js';
import { moveManifest } from './move.js';

/** How many ended procedures (record and event log each) are kept. */
export const KEPT_PROCEDURES = 20;

export function writeProcedureRecord(stateDir: string, record: ProcedureRecord): void {
  writeFileDurable(procedurePath(stateDir), `${JSON.stringify(record)}\n`);
}

export interface RecordStart {
  id: string;
  command: string;
  args: string[];
  eventsPath: string;
  node: ProcedureRecord['node'];
  steps: { id: string; text: string }[];
}

/**
 * The record of a procedure that runs now, written durably at each change: before a step runs, before it
 * takes a manifest away, after it puts it back, after the step. The caller holds the lock throughout.
 * Its methods are what procedures/procedure.ts calls a RunJournal.
 */
export class ProcedureRecordWriter {
  readonly record: ProcedureRecord;

  constructor(
    private readonly stateDir: string,
    start: RecordStart,
  ) {
    removeStaleRecordTemps(stateDir);
    this.record = {
      version: 1,
      id: start.id,
      command: start.command,
      args: start.args,
      pid: process.pid,
      processStart: processStartTime(process.pid),
      user: currentUser(),
      startedAt: new Date().toISOString(),
      node: start.node,
      steps: start.steps.map((s) => ({ ...s, status: 'pending', at: null, outcome: null })),
      movedOut: [],
      eventsPath: start.eventsPath,
      end: null,
    };
    this.write();
    tryAppendAudit(stateDir, {
      action: start.command,
      file: start.id,
      outcome: 'started',
      message: `${start.args.join(' ')}: ${start.steps.map((s) => s.id).join(', ')}`,
    });
    crashpoint('procedure-after-start');
  }

  stepStarted(index: number, _id: string): void {
    this.setStep(index, 'running', null);
    crashpoint('procedure-step-started');
  }

  stepEnded(index: number, id: string, status: StepStatus, text: string | null): void {
    this.setStep(index, status, text);
    tryAppendAudit(this.stateDir, {
      action: `${this.record.command} ${id}`,
      file: this.record.id,
      outcome: status === 'done' ? 'ok' : status === 'skipped' ? 'skipped' : 'failed',
      ...(text ? { message: text } : {}),
    });
    crashpoint('procedure-step-ended');
  }

  /** Written before the manifest moves: if this process dies, recovery puts it back. */
  takingAway(fileName: string, displayName: string): void {
    const nameHex = Buffer.from(fileName).toString('hex');
    if (!this.record.movedOut.some((m) => m.nameHex === nameHex)) {
      this.record.movedOut.push({ nameHex, displayName });
      this.write();
    }
    crashpoint('procedure-after-takeaway');
  }

  putBack(fileName: string): void {
    const nameHex = Buffer.from(fileName).toString('hex');
    this.record.movedOut = this.record.movedOut.filter((m) => m.nameHex !== nameHex);
    this.write();
  }

  dataAside(entry: DataAside | null): void {
    this.record.dataAside = entry;
    this.write();
  }

  /** The outcome: the record joins the ended ones, none is current any more. */
  finish(ok: boolean, text: string): ProcedureRecord {
    this.record.end = { at: new Date().toISOString(), ok, text, interrupted: false };
    // The outcome is written where recovery looks first: a death while filing it away loses nothing.
    this.write();
    tryAppendAudit(this.stateDir, {
      action: this.record.command,
      file: this.record.id,
      outcome: ok ? 'ok' : 'failed',
      message: text,
    });
    archiveProcedureRecord(this.stateDir, this.record);
    return this.record;
  }

  private setStep(index: number, status: StepStatus, text: string | null): void {
    const step = this.record.steps[index];
    if (!step) return;
    step.status = status;
    step.at = new Date().toISOString();
    step.outcome = text;
    this.write();
  }

  private write(): void {
    writeProcedureRecord(this.stateDir, this.record);
  }
}

function removeStaleRecordTemps(stateDir: string): void {
  for (const name of fs.readdirSync(stateDir)) {
    if (name.startsWith('.procedure.json.') && name.endsWith('.tmp'))
      fs.rmSync(path.join(stateDir, name), { force: true });
  }
}

/** The procedure ended: its record goes with the others, and none is current any more. */
export function archiveProcedureRecord(stateDir: string, record: ProcedureRecord): void {
  const dir = proceduresDir(stateDir);
  ensurePrivateDir(dir, 'procedures directory');
  writeFileDurable(path.join(dir, `${record.id}.json`), `${JSON.stringify(record)}\n`);
  crashpoint('procedure-after-archive');
  fs.rmSync(procedurePath(stateDir), { force: true });
  fsyncDir(stateDir);
  pruneArchive(dir);
}

/**
 * A new procedure's id and its event log, created empty (0600, in the private procedures directory) by
 * whoever starts it: the detached run writes its events there, and anyone attaches by reading it.
 */
export function createEventsFile(
  stateDir: string,
  command: string,
): { id: string; path: string; fd: number } {
  ensurePrivateDir(stateDir, 'state directory');
  const dir = proceduresDir(stateDir);
  ensurePrivateDir(dir, 'procedures directory');
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d+)Z$/, '.$1Z');
  const id = `${stamp}-${command.replace(/[^a-z0-9-]/gi, '-')}-${process.pid}`;
  const file = path.join(dir, `${id}.jsonl`);
  return { id, path: file, fd: fs.openSync(file, 'wx', 0o600) };
}

export function eventsPathOf(stateDir: string, id: string): string {
  return path.join(proceduresDir(stateDir), `${id}.jsonl`);
}

function pruneArchive(dir: string): void {
  const names = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort();
  for (const name of names.slice(0, Math.max(0, names.length - KEPT_PROCEDURES))) {
    const id = name.slice(0, -'.json'.length);
    fs.rmSync(path.join(dir, name), { force: true });
    fs.rmSync(path.join(dir, `${id}.jsonl`), { force: true });
  }
}

export interface ProcedureRecovery {
  id: string;
  command: string;
  /** The steps that had completed. */
  done: string[];
  /** What was put back, in words. */
  putBack: string[];
  /** What could not be put back, and why (nothing was touched for those). */
  problems: string[];
}

/**
 * The caller holds the lock, so no procedure runs: a record found now belongs to one that died. Every
 * manifest it moved out goes back (the crash-safe move), and the record is kept, marked interrupted.
 */
export function recoverInterruptedProcedure(stateDir: string, readOnly: boolean): ProcedureRecovery | null {
  let record: ProcedureRecord | null;
  try {
    record = readProcedureRecord(stateDir);
  } catch (err) {
    return {
      id: '?',
      command: '?',
      done: [],
      putBack: [],
      problems: [`the procedure record cannot be read (${errnoMessage(err)}): left as it is`],
    };
  }
  if (!record) return null;
  if (record.end !== null) {
    // It ended and was being filed away when it died: finish the filing, there is nothing to put back.
    archiveProcedureRecord(stateDir, record);
    return null;
  }
  const report: ProcedureRecovery = {
    id: record.id,
    command: record.command,
    done: record.steps.filter((s) => s.status === 'done').map((s) => s.id),
    putBack: [],
    problems: [],
  };
  const ctx = { ...record.node, stateDir, readOnly };
  // etcd's old data first, so that the etcd put back below starts on it.
  const aside = record.dataAside;
  if (aside && !aside.restored) {
    try {
      report.putBack.push(putMemberBack({ stateDir, readOnly }, aside.member, aside.aside));
      record.dataAside = null;
      writeProcedureRecord(stateDir, record);
    } catch (err) {
      report.problems.push(
        `etcd's data in ${aside.aside}: ${errnoMessage(err)}; put it back as ${aside.member} by hand`,
      );
    }
  }
  for (const moved of [...record.movedOut]) {
    const name = Buffer.from(moved.nameHex, 'hex');
    const inManifests = exists(joinRaw(ctx.manifests, name));
    const inHolding = exists(joinRaw(ctx.holding, name));
    if (inManifests && !inHolding) {
      report.putBack.push(`${moved.displayName} was back in place already`);
    } else if (inHolding && !inManifests) {
      try {
        moveManifest(ctx, 'enable', moved.displayName, []);
        report.putBack.push(`${moved.displayName} moved back to ${ctx.manifests}`);
      } catch (err) {
        report.problems.push(`${moved.displayName}: ${errnoMessage(err)}; it is still in ${ctx.holding}`);
        continue;
      }
    } else {
      report.problems.push(
        inManifests
          ? `${moved.displayName} is in both directories: compare them and remove one by hand`
          : `${moved.displayName} is in neither directory: something else removed it`,
      );
      continue;
    }
    record.movedOut = record.movedOut.filter((m) => m.nameHex !== moved.nameHex);
    writeProcedureRecord(stateDir, record);
  }
  for (const step of record.steps) if (step.status === 'running') step.status = 'interrupted';
  const text = `interrupted after ${report.done.length} of ${record.steps.length} step(s)${report.done.length ? ` (${report.done.join(', ')})` : ''}`;
  record.end = { at: new Date().toISOString(), ok: false, text, interrupted: true };
  appendAudit(stateDir, {
    action: `recover-${record.command}`,
    file: record.id,
    outcome: report.problems.length > 0 ? 'conflict' : 'completed',
    message: [text, ...report.putBack, ...report.problems].join('; '),
  });
  if (report.problems.length === 0) archiveProcedureRecord(stateDir, record);
  else writeProcedureRecord(stateDir, record);
  return report;
}
