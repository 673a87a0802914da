// Disable and enable static pods by moving their manifests between the manifest directory and the
// holding directory. Every move is: intent logged, no-clobber link, fsync, unlink, fsync, audited.
// A kill -9 at any instant leaves the manifest in one directory or (same inode) in both, and the
// intent log says which way it was going, so the next run finishes or undoes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEntry, scanManifestDir } from '../sources/manifests/scan.js';
import type { ManifestFile } from '../sources/manifests/types.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { errnoCode, exists, fsyncDir, fsyncFile, sha256Of } from '../util/fsx.js';
import { escapeName } from '../util/sanitize.js';
import { appendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import {
  clearIntent,
  type Intent,
  type MoveAction,
  readIntent,
  removeStaleIntentTemps,
  writeIntent,
} from './intent.js';
import { acquireLock, currentUser, describeHolder, type HeldLock } from './lock.js';

export interface ChangeContext {
  manifests: string;
  holding: string;
  stateDir: string;
  nodeName: string;
  readOnly: boolean;
}

export interface MoveResult {
  action: MoveAction;
  file: string;
  podName: string | null;
  from: string;
  to: string;
  sha256: string;
  /** Things the operator should know that happened on the way (a lock taken over, a recovery). */
  notes: string[];
}

export interface RecoveryReport {
  action: MoveAction;
  file: string;
  outcome: 'completed' | 'rolled-back' | 'conflict';
  message: string;
}

export function disableStaticPod(ctx: ChangeContext, name: string): MoveResult {
  return withChangeLock(ctx, (notes) => move(ctx, 'disable', name, notes));
}

export function enableStaticPod(ctx: ChangeContext, name: string): MoveResult {
  return withChangeLock(ctx, (notes) => move(ctx, 'enable', name, notes));
}

/** `breakglass recover`: finish or undo an interrupted change, if there is one. */
export function recover(ctx: ChangeContext): { report: RecoveryReport | null; notes: string[] } {
  return withChangeLock(ctx, (notes) => ({ report: recoverInterrupted(ctx), notes }));
}

/** Without touching anything: the interrupted change waiting for recovery, if any. */
export function pendingIntent(stateDir: string): Intent | null {
  try {
    return readIntent(stateDir);
  } catch {
    return null;
  }
}

function withChangeLock<T>(ctx: ChangeContext, work: (notes: string[]) => T): T {
  if (ctx.readOnly) throw new BreakglassError('read-only mode (--read-only): no change made', 'read-only');
  if (process.geteuid && process.geteuid() !== 0) {
    throw new BreakglassError(
      'must run as root to change static pods (try sudo); nothing changed',
      'not-root',
    );
  }
  ensurePrivateDir(ctx.stateDir, 'state directory');
  const lock: HeldLock = acquireLock(ctx.stateDir);
  try {
    const notes: string[] = [];
    if (lock.tookOverFrom) {
      notes.push(
        `took over the lock left by a process that died holding it: ${describeHolder(lock.tookOverFrom)}`,
      );
    }
    const report = recoverInterrupted(ctx);
    if (report) notes.push(`interrupted ${report.action} of ${report.file}: ${report.message}`);
    return work(notes);
  } finally {
    lock.release();
  }
}

/** Caller holds the lock. */
function recoverInterrupted(ctx: ChangeContext): RecoveryReport | null {
  removeStaleIntentTemps(ctx.stateDir);
  const intent = readIntent(ctx.stateDir);
  if (!intent) return null;
  const name = Buffer.from(intent.nameHex, 'hex');
  const src = joinRaw(intent.from, name);
  const dst = joinRaw(intent.to, name);
  const srcExists = exists(src);
  const dstExists = exists(dst);
  let report: RecoveryReport;
  const base = { action: intent.action, file: intent.displayName };
  if (srcExists && dstExists) {
    const a = fs.lstatSync(src);
    const b = fs.lstatSync(dst);
    if (a.dev === b.dev && a.ino === b.ino) {
      fsyncFile(dst);
      fsyncDir(intent.to);
      fs.unlinkSync(src);
      crashpoint('recover-after-unlink');
      fsyncDir(intent.from);
      report = { ...base, outcome: 'completed', message: `completed: the manifest is now in ${intent.to}` };
    } else {
      report = {
        ...base,
        outcome: 'conflict',
        message: `two different files named ${intent.displayName} exist, in ${intent.from} and ${intent.to}; both left as they are: compare them and remove one by hand`,
      };
    }
  } else if (dstExists) {
    fsyncDir(intent.to);
    fsyncDir(intent.from);
    report = { ...base, outcome: 'completed', message: `completed: the manifest is in ${intent.to}` };
  } else if (srcExists) {
    report = {
      ...base,
      outcome: 'rolled-back',
      message: `undone: the manifest had not moved and is still in ${intent.from}`,
    };
  } else {
    report = {
      ...base,
      outcome: 'conflict',
      message: `the manifest is in neither ${intent.from} nor ${intent.to}: something else removed it`,
    };
  }
  const where = report.outcome === 'rolled-back' ? src : dst;
  const shaNow = exists(where) ? sha256Of(where) : null;
  if (shaNow !== null && shaNow !== intent.sha256) {
    report.message += `; its content changed since the move began (sha256 ${intent.sha256.slice(0, 12)} -> ${shaNow.slice(0, 12)})`;
  }
  appendAudit(ctx.stateDir, {
    action: `recover-${intent.action}`,
    file: intent.displayName,
    from: intent.from,
    to: intent.to,
    sha256Before: intent.sha256,
    sha256After: shaNow,
    outcome: report.outcome,
    message: report.message,
  });
  crashpoint('recover-after-audit');
  clearIntent(ctx.stateDir);
  return report;
}

function move(ctx: ChangeContext, action: MoveAction, name: string, notes: string[]): MoveResult {
  try {
    return moveChecked(ctx, action, name, notes);
  } catch (err) {
    if (err instanceof BreakglassError) auditRefusal(ctx, action, name, err);
    throw err;
  }
}

/** A refused change is worth a line in the audit log too: someone tried, and why it did not happen. */
function auditRefusal(ctx: ChangeContext, action: MoveAction, name: string, err: BreakglassError): void {
  try {
    appendAudit(ctx.stateDir, { action, file: escapeName(name), outcome: 'refused', message: err.message });
  } catch {
    // The refusal itself is what the operator must see; a full disk may well be its reason.
  }
}

function moveChecked(ctx: ChangeContext, action: MoveAction, name: string, notes: string[]): MoveResult {
  checkLayout(ctx, notes);
  const from = action === 'disable' ? ctx.manifests : ctx.holding;
  const to = action === 'disable' ? ctx.holding : ctx.manifests;
  const file = resolveTarget(ctx, action, name);
  const src = joinRaw(from, file.rawName);
  const dst = joinRaw(to, file.rawName);
  if (exists(dst)) {
    throw new BreakglassError(
      `a file named ${file.displayName} already exists in ${to}; nothing moved (compare the two and remove one by hand)`,
      'exists',
    );
  }
  checkWritable(ctx.holding);
  const stat = fs.lstatSync(src);
  const sha256 = sha256Of(src);
  const intent: Intent = {
    version: 1,
    action,
    nameHex: file.rawName.toString('hex'),
    displayName: file.displayName,
    from,
    to,
    sha256,
    dev: stat.dev,
    ino: stat.ino,
    pid: process.pid,
    user: currentUser(),
    startedAt: new Date().toISOString(),
  };
  try {
    writeIntent(ctx.stateDir, intent);
  } catch (err) {
    throw new BreakglassError(
      `cannot write the intent log in ${ctx.stateDir}: ${errnoMessage(err)}; nothing changed`,
      'io',
    );
  }
  crashpoint('after-intent');
  try {
    fs.linkSync(src, dst);
  } catch (err) {
    clearIntent(ctx.stateDir);
    throw new BreakglassError(
      `cannot move ${file.displayName} to ${to}: ${errnoMessage(err)}; nothing changed`,
      'io',
    );
  }
  crashpoint('after-link');
  try {
    fsyncFile(dst);
    fsyncDir(to);
    crashpoint('after-sync-target');
    fs.unlinkSync(src);
    crashpoint('after-unlink');
    fsyncDir(from);
    crashpoint('after-sync-source');
  } catch (err) {
    // Both names point at the same inode, or only the new one does: the intent log lets recovery finish.
    const report = tryRecover(ctx);
    throw new BreakglassError(
      `moving ${file.displayName} was interrupted: ${errnoMessage(err)}; ${report ?? 'run `breakglass recover` to finish it'}`,
      'io',
    );
  }
  const after = sha256Of(dst);
  if (after !== sha256) {
    notes.push(
      `the manifest changed while it moved (sha256 ${sha256.slice(0, 12)} -> ${after.slice(0, 12)})`,
    );
  }
  try {
    appendAudit(ctx.stateDir, {
      action,
      file: file.displayName,
      from,
      to,
      sha256Before: sha256,
      sha256After: after,
      outcome: 'ok',
    });
  } catch (err) {
    notes.push(`the change is done, but the audit log could not be written: ${errnoMessage(err)}`);
  }
  crashpoint('after-audit');
  clearIntent(ctx.stateDir);
  crashpoint('after-clear');
  return { action, file: file.displayName, podName: file.pods[0]?.name ?? null, from, to, sha256, notes };
}

function tryRecover(ctx: ChangeContext): string | null {
  try {
    const report = recoverInterrupted(ctx);
    return report ? `recovery: ${report.message}` : null;
  } catch (err) {
    return `recovery failed too (${errnoMessage(err)}): run \`breakglass recover\` once the cause is fixed`;
  }
}

/** Which file NAME means: a file name in the source directory, or a pod (or mirror pod) name. */
function resolveTarget(ctx: ChangeContext, action: MoveAction, name: string): ManifestFile {
  if (name === '' || name.includes('/') || name === '.' || name === '..') {
    throw new BreakglassError(`"${name}" is not a manifest file name or pod name`, 'usage');
  }
  if (name.startsWith('.')) {
    throw new BreakglassError(
      `${name} starts with a dot: kubelet ignores such files, there is nothing to ${action}`,
    );
  }
  const [sourceDir, sourceRole] =
    action === 'disable' ? [ctx.manifests, 'manifests' as const] : [ctx.holding, 'holding' as const];
  if (exists(path.join(sourceDir, name))) {
    return checkMovable(
      readEntry(sourceDir, Buffer.from(name), { nodeName: ctx.nodeName, role: sourceRole }),
    );
  }
  const manifests = scanManifestDir(ctx.manifests, { nodeName: ctx.nodeName, role: 'manifests' });
  const holding = scanManifestDir(ctx.holding, { nodeName: ctx.nodeName, role: 'holding' });
  if (manifests.error) throw new BreakglassError(`manifest directory: ${manifests.error}`);
  const [source, other] = action === 'disable' ? [manifests, holding] : [holding, manifests];
  const inSource = findByName(source.files, name);
  if (inSource.length === 1) return checkMovable(inSource[0]!);
  if (inSource.length > 1) {
    const files = inSource.map((f) => f.displayName).join(', ');
    throw new BreakglassError(
      `"${name}" is ambiguous: it matches ${files}; name the file instead`,
      'ambiguous',
    );
  }
  if (findByName(other.files, name).length > 0) {
    throw new BreakglassError(
      action === 'disable'
        ? `${name} is already disabled (its manifest is in ${ctx.holding})`
        : `${name} is already enabled (its manifest is in ${ctx.manifests})`,
      'already',
    );
  }
  const known = source.files.map((f) => f.displayName).join(', ') || 'none';
  throw new BreakglassError(
    `unknown static pod or manifest "${name}" in ${source.dir} (there: ${known})`,
    'unknown',
  );
}

function findByName(files: ManifestFile[], name: string): ManifestFile[] {
  const byFile = files.filter((f) => f.name === name || f.displayName === name);
  if (byFile.length > 0) return byFile;
  return files.filter((f) => f.pods.some((p) => p.name === name || p.mirrorPodName === name));
}

function checkMovable(file: ManifestFile): ManifestFile {
  if (file.kind === 'directory') {
    throw new BreakglassError(
      `${file.displayName} is a directory: kubelet ignores it, there is nothing to move`,
    );
  }
  if (file.kind === 'other')
    throw new BreakglassError(`${file.displayName} is not a regular file; not moved`);
  return file;
}

function checkLayout(ctx: ChangeContext, notes: string[]): void {
  const manifests = path.resolve(ctx.manifests);
  const holding = path.resolve(ctx.holding);
  if (holding === manifests || holding.startsWith(`${manifests}/`)) {
    throw new BreakglassError(
      `the holding directory ${holding} must be outside the manifest directory ${manifests}`,
    );
  }
  let mstat: fs.Stats;
  try {
    mstat = fs.statSync(manifests);
  } catch (err) {
    throw new BreakglassError(`manifest directory ${manifests}: ${errnoMessage(err)}`);
  }
  if (!mstat.isDirectory()) throw new BreakglassError(`manifest directory ${manifests} is not a directory`);
  checkWritable(manifests);
  ensurePrivateDir(holding, 'holding directory');
  const hstat = fs.statSync(holding);
  if ((hstat.mode & 0o077) !== 0 || hstat.uid !== 0) {
    tightenHolding(holding, hstat, notes);
  }
  if (hstat.dev !== mstat.dev) {
    throw new BreakglassError(
      `the holding directory ${holding} is on another file system than ${manifests}: a move there would be a copy, not an atomic rename; choose a holding directory on the same file system (--holding)`,
      'cross-device',
    );
  }
}

/** Disabled manifests hold the control plane's flags and paths: only root may read or change them. */
function tightenHolding(holding: string, stat: fs.Stats, notes: string[]): void {
  const before = `mode 0${(stat.mode & 0o777).toString(8)}, uid ${stat.uid}`;
  try {
    fs.chownSync(holding, 0, 0);
    fs.chmodSync(holding, 0o700);
    notes.push(`the holding directory ${holding} had ${before}: set to mode 0700, owner root`);
  } catch (err) {
    throw new BreakglassError(
      `the holding directory ${holding} has ${before} and cannot be made private (${errnoMessage(err)}); nothing changed`,
    );
  }
}

/** Creates the directory (mode 0700, root's) if needed; refuses one that is not a directory. */
export function ensurePrivateDir(dir: string, what: string): void {
  try {
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory()) throw new BreakglassError(`${what} ${dir} exists but is not a directory`);
    return;
  } catch (err) {
    if (err instanceof BreakglassError) throw err;
    if (errnoCode(err) !== 'ENOENT') throw new BreakglassError(`${what} ${dir}: ${errnoMessage(err)}`);
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    fsyncDir(path.dirname(dir));
  } catch (err) {
    throw new BreakglassError(
      `cannot create the ${what} ${dir}: ${errnoMessage(err)}; nothing changed`,
      'io',
    );
  }
}

function checkWritable(dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new BreakglassError(`${dir} is not writable: ${errnoMessage(err)}; nothing changed`, 'io');
  }
}

function joinRaw(dir: string, rawName: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), rawName]);
}
