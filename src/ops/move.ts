// The crash-safe move of one manifest between the manifest directory and the holding directory: intent
// logged, no-clobber link, fsync, unlink, fsync, verified, audited. A kill -9 at any instant leaves the
// manifest in one directory or (same inode) in both, and the intent log says which way it was going, so
// the next change finishes or undoes it. The caller holds the lock (ops/guard.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MoveAction } from '../node/state-dir.js';
import { readEntry, scanManifestDir } from '../sources/manifests/scan.js';
import type { ManifestFile } from '../sources/manifests/types.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { exists, fsyncDir, fsyncFile, sha256Of } from '../util/fsx.js';
import { escapeName } from '../util/sanitize.js';
import { appendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { checkMoveLayout, checkWritable, joinRaw } from './dirs.js';
import { beginIntent, clearIntent } from './intent.js';
import { tryRecover } from './recover.js';

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

export function moveManifest(
  ctx: ChangeContext,
  action: MoveAction,
  name: string,
  notes: string[],
): MoveResult {
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
  checkMoveLayout(ctx.manifests, ctx.holding, notes);
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
  beginIntent(ctx.stateDir, {
    action,
    nameHex: file.rawName.toString('hex'),
    displayName: file.displayName,
    from,
    to,
    sha256,
    dev: stat.dev,
    ino: stat.ino,
  });
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
    const report = tryRecover(ctx.stateDir);
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
