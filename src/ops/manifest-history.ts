// The manifest history written (format: src/node/history-paths.ts): a version's bytes stored once under
// their sha256 (temp file, fsync, rename, fsync dir) before the record that names them is appended (one
// write, fsynced), and old versions dropped when a bound is passed. One writer at a time across
// processes (the TUI's recorder, `history --record` run by the path unit, a revert): a flock of its own,
// never the change lock, so recording never waits on a change in progress. The judgements (what is new,
// what to drop) are the caller's (src/model/manifest-history.ts, history-prune.ts), passed in.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type HistoryRecord,
  historyDir,
  historyLine,
  historyLogPath,
  historyObjectPath,
  historyObjectsDir,
} from '../node/history-paths.js';
import { historyFiles, historyObjects, readHistoryLog } from '../sources/manifest-history.js';
import { BreakglassError } from '../util/errors.js';
import { exists, fsyncDir, sha256, sha256Of, writeFileDurable } from '../util/fsx.js';
import { ensurePrivateDir } from './dirs.js';
import { acquireLock } from './lock.js';

export interface HistoryContext {
  stateDir: string;
  /** The manifest directory: the history is never inside it (kubelet would run what it holds). */
  manifests: string;
  readOnly: boolean;
}

/** A manifest file to record: its name, what was seen, and its bytes (read when they are new). */
export interface RecordItem {
  fileName: Buffer;
  sha256: string;
  read(): Buffer | null;
}

export interface HistoryDecisions<T extends RecordItem> {
  /** The records this item adds to what its log holds now (none: nothing new). */
  appends(records: HistoryRecord[], item: T): HistoryRecord[];
  /** Over a bound: which logs to rewrite and which objects to remove. */
  prune(
    logs: { key: string; records: HistoryRecord[] }[],
    storedObjects: string[],
  ): {
    rewrite: { key: string; records: HistoryRecord[] }[];
    removeObjects: string[];
  };
  /** Whether a bound is passed: the number of versions in one log, the bytes stored in all. */
  overBound(versionsInLog: number, storedBytes: () => number): boolean;
}

export interface RecordResult {
  /** Records appended. */
  appended: number;
  /** Versions dropped by pruning (logs rewritten), objects removed. */
  pruned: { logs: number; objects: number };
  notes: string[];
}

/** Records what was seen, under the history's lock; writes nothing when nothing is new. */
export function recordHistory<T extends RecordItem>(
  ctx: HistoryContext,
  items: readonly T[],
  decide: HistoryDecisions<T>,
): RecordResult {
  const result: RecordResult = { appended: 0, pruned: { logs: 0, objects: 0 }, notes: [] };
  if (ctx.readOnly)
    throw new BreakglassError('read-only mode (--read-only): the history is not written', 'read-only');
  checkOutside(ctx);
  // Cheap first: nothing is written (and no lock taken) unless some item adds a record.
  const pending = items.filter(
    (item) => decide.appends(readHistoryLog(ctx.stateDir, item.fileName).records, item).length > 0,
  );
  if (pending.length === 0) return result;
  ensureHistoryDirs(ctx.stateDir);
  const lock = acquireLock(historyDir(ctx.stateDir));
  try {
    removeStaleTemps(ctx.stateDir);
    let overBound = false;
    for (const item of pending) {
      const { records } = readHistoryLog(ctx.stateDir, item.fileName);
      const appends = decide.appends(records, item);
      if (appends.length === 0) continue;
      if (appends.some((r) => r.type === 'version')) {
        const data = item.read();
        if (data === null || sha256(data) !== item.sha256) {
          result.notes.push(
            `${item.fileName.toString()} changed while it was recorded: recorded at the next look`,
          );
          continue;
        }
        storeObject(ctx.stateDir, item.sha256, data);
      }
      appendRecords(ctx.stateDir, item.fileName, appends);
      result.appended += appends.length;
      const versions = records.concat(appends).filter((r) => r.type === 'version').length;
      overBound ||= decide.overBound(versions, () => storedBytes(ctx.stateDir));
    }
    if (overBound) result.pruned = prune(ctx.stateDir, decide);
  } finally {
    lock.release();
  }
  return result;
}

/** Stores a version's bytes under their sha256 (once: a stored object is never written again). */
export function storeObject(stateDir: string, sha: string, data: Buffer): void {
  const file = historyObjectPath(stateDir, sha);
  // Kept only when whole: a torn object (a crash mid-write) is written again.
  if (exists(file) && fs.statSync(file).size === data.length && sha256Of(file) === sha) return;
  writeFileDurable(file, data, 0o600);
}

function appendRecords(stateDir: string, fileName: Buffer, records: HistoryRecord[]): void {
  const file = historyLogPath(stateDir, fileName);
  const created = !exists(file);
  const fd = fs.openSync(file, 'a+', 0o600);
  try {
    // A torn last line (a kill -9, a full disk) is ended first, so these records start a line of their own.
    const size = fs.fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const torn = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const data = Buffer.from(`${torn ? '\n' : ''}${records.map(historyLine).join('\n')}\n`);
    // A short write (ENOSPC) is written on; what never made it is a torn line the reader skips.
    for (let written = 0; written < data.length; ) written += fs.writeSync(fd, data, written);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (created) fsyncDir(path.dirname(file));
}

function prune<T extends RecordItem>(stateDir: string, decide: HistoryDecisions<T>): RecordResult['pruned'] {
  const logs = historyFiles(stateDir).map(({ fileName, key }) => ({
    key,
    fileName,
    records: readHistoryLog(stateDir, fileName).records,
  }));
  const choice = decide.prune(logs, [...historyObjects(stateDir).keys()]);
  for (const rewrite of choice.rewrite) {
    const log = logs.find((l) => l.key === rewrite.key);
    if (!log) continue;
    const text = rewrite.records.map((r) => `${historyLine(r)}\n`).join('');
    writeFileDurable(historyLogPath(stateDir, log.fileName), text, 0o600);
  }
  // Objects go after the logs that named them: a crash in between leaves an object nobody names, never
  // a record naming a missing object.
  for (const sha of choice.removeObjects) fs.rmSync(historyObjectPath(stateDir, sha), { force: true });
  if (choice.removeObjects.length > 0) fsyncDir(historyObjectsDir(stateDir));
  return { logs: choice.rewrite.length, objects: choice.removeObjects.length };
}

function storedBytes(stateDir: string): number {
  let total = 0;
  for (const size of historyObjects(stateDir).values()) total += size;
  return total;
}

/** <state-dir>/manifest-history and its objects, mode 0700. */
function ensureHistoryDirs(stateDir: string): void {
  ensurePrivateDir(stateDir, 'state directory');
  ensurePrivateDir(historyDir(stateDir), 'manifest history');
  ensurePrivateDir(historyObjectsDir(stateDir), 'manifest history');
}

/** The temp files of a write cut short (kill -9): never renamed into place, so never read. Under the lock. */
function removeStaleTemps(stateDir: string): void {
  for (const dir of [historyDir(stateDir), historyObjectsDir(stateDir)]) {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

function checkOutside(ctx: HistoryContext): void {
  const manifests = path.resolve(ctx.manifests);
  const history = path.resolve(historyDir(ctx.stateDir));
  if (history === manifests || history.startsWith(`${manifests}/`)) {
    throw new BreakglassError(
      `the manifest history ${history} would be inside the manifest directory ${manifests}, where kubelet runs every file: choose another --state-dir`,
    );
  }
}
