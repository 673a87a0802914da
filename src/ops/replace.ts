// A manifest's bytes swapped for another version's (`breakglass revert`), crash-safe: intent logged, the
// new bytes written to a dot-named temp file beside the manifest (kubelet ignores dot files), fsynced,
// renamed over the manifest (atomic: kubelet reads the old bytes or the new, never a torn file), the
// directory fsynced, verified, audited. A kill -9 at any instant leaves the intent log, and recovery
// (ops/recover.ts) finishes the swap when the temp file is whole, or removes it: the manifest is there
// exactly once, old or new, and no second pod file ever exists.
import * as fs from 'node:fs';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { fsyncDir, sha256, sha256Of } from '../util/fsx.js';
import { escapeName } from '../util/sanitize.js';
import { appendAudit, tryAppendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { checkWritable, joinRaw } from './dirs.js';
import { entryNotes, guardedChange } from './guard.js';
import { beginIntent, clearIntent } from './intent.js';
import type { ChangeContext } from './move.js';
import { tryRecover } from './recover.js';

export interface ReplaceResult {
  file: string;
  sha256Before: string;
  sha256After: string;
  notes: string[];
}

export interface ReplaceRequest {
  /** The exact file name in the manifest directory. */
  fileName: string;
  /** The bytes it must hold now: refused if it holds others (someone edited it since the plan). */
  expectSha: string;
  content: Buffer;
  /** The audit record's action: "revert". */
  action: string;
}

/** The swap, under the one guard of every change (read-only, root, the lock, recovery first). */
export function replaceManifest(ctx: ChangeContext, request: ReplaceRequest): ReplaceResult {
  return guardedChange(ctx, 'change static pods', (entry) => {
    try {
      return replaceChecked(ctx, request, entryNotes(entry));
    } catch (err) {
      if (err instanceof BreakglassError) {
        tryAppendAudit(ctx.stateDir, {
          action: request.action,
          file: escapeName(request.fileName),
          outcome: 'refused',
          message: err.message,
        });
      }
      throw err;
    }
  });
}

function replaceChecked(ctx: ChangeContext, request: ReplaceRequest, notes: string[]): ReplaceResult {
  const name = Buffer.from(request.fileName);
  const display = escapeName(request.fileName);
  if (request.fileName === '' || request.fileName.includes('/') || request.fileName.startsWith('.')) {
    throw new BreakglassError(`"${display}" is not a manifest file name`, 'usage');
  }
  const target = joinRaw(ctx.manifests, name);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(target);
  } catch (err) {
    throw new BreakglassError(`${display} in ${ctx.manifests}: ${errnoMessage(err)}; nothing changed`);
  }
  if (!stat.isFile()) throw new BreakglassError(`${display} is not a regular file; nothing changed`);
  checkWritable(ctx.manifests);
  const before = sha256Of(target);
  if (before !== request.expectSha) {
    throw new BreakglassError(
      `${display} changed since the plan (sha256 ${request.expectSha.slice(0, 12)} -> ${before.slice(0, 12)}); nothing changed: run it again`,
      'changed',
    );
  }
  const after = sha256(request.content);
  const tempName = Buffer.concat([Buffer.from('.'), name, Buffer.from(`.breakglass-${process.pid}.tmp`)]);
  const temp = joinRaw(ctx.manifests, tempName);
  beginIntent(ctx.stateDir, {
    action: 'replace',
    nameHex: name.toString('hex'),
    displayName: display,
    from: ctx.manifests,
    to: ctx.manifests,
    sha256: before,
    sha256After: after,
    tempHex: tempName.toString('hex'),
    dev: stat.dev,
    ino: stat.ino,
  });
  crashpoint('replace-after-intent');
  try {
    writeTemp(temp, request.content, stat);
    crashpoint('replace-after-temp');
    // The fsyncs take a while on a slow disk: a write to the manifest meanwhile must not be lost.
    const meanwhile = sha256Of(target);
    if (meanwhile !== before) {
      fs.rmSync(temp, { force: true });
      clearIntent(ctx.stateDir);
      throw new BreakglassError(
        `${display} changed while the new version was being written (sha256 ${before.slice(0, 12)} -> ${meanwhile.slice(0, 12)}); nothing changed: run it again`,
        'changed',
      );
    }
    fs.renameSync(temp, target);
    crashpoint('replace-after-rename');
    fsyncDir(ctx.manifests);
    crashpoint('replace-after-sync');
  } catch (err) {
    if (err instanceof BreakglassError && err.code === 'changed') throw err;
    // The temp file is whole or not, the manifest old or new: the intent log lets recovery decide.
    const report = tryRecover(ctx.stateDir);
    throw new BreakglassError(
      `replacing ${display} was interrupted: ${errnoMessage(err)}; ${report ?? 'run `breakglass recover` to finish it'}`,
      'io',
    );
  }
  const now = sha256Of(target);
  if (now !== after) notes.push(`${display} changed right after it was written (sha256 ${now.slice(0, 12)})`);
  try {
    appendAudit(ctx.stateDir, {
      action: request.action,
      file: display,
      to: ctx.manifests,
      sha256Before: before,
      sha256After: now,
      outcome: 'ok',
    });
  } catch (err) {
    notes.push(`the change is done, but the audit log could not be written: ${errnoMessage(err)}`);
  }
  crashpoint('replace-after-audit');
  clearIntent(ctx.stateDir);
  crashpoint('replace-after-clear');
  return { file: display, sha256Before: before, sha256After: now, notes };
}

/** The new bytes beside the manifest, with its mode and owner, on disk before the rename. */
function writeTemp(temp: Buffer, content: Buffer, like: fs.Stats): void {
  const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeFileSync(fd, content);
    fs.fchownSync(fd, like.uid, like.gid);
    fs.fchmodSync(fd, like.mode & 0o7777);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
