// Several files replaced as one change (a certificate and its key; kubeconfigs), crash-safely: the
// intent names every file with its old and new sha256 first, then every new version is written beside
// its file (dot-named, same owner and mode) and fsynced, and only then are they renamed over their files.
// A kill -9 before the first rename leaves every file old; after it, every new version is whole on disk,
// so `recover` finishes the renames. A certificate and its key are two files: between their two renames
// (microseconds) they do not match, and a crash there is the intent log's to finish.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SwapFile } from '../node/state-dir.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { fsyncDir, sha256, sha256Of } from '../util/fsx.js';
import { escapeName } from '../util/sanitize.js';
import { appendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { entryNotes, type GuardContext, guardedChange } from './guard.js';
import { beginIntent, clearIntent } from './intent.js';

export interface FileWrite {
  path: string;
  /** The bytes it must hold now: refused if it holds others (written by someone since the plan). */
  expectSha: string;
  content: Buffer;
}

export interface SwapRequest {
  /** The audit's action ("renew-certs"). */
  action: string;
  /** What the files are, for the audit and the intent ("apiserver.crt and apiserver.key"). */
  label: string;
  files: FileWrite[];
}

export function swapFiles(ctx: GuardContext, request: SwapRequest): { notes: string[] } {
  return guardedChange(ctx, 'renew certificates', (entry) => {
    const notes = entryNotes(entry);
    const files = request.files.map((f) => checkTarget(f));
    beginIntent(ctx.stateDir, {
      action: 'swap-files',
      nameHex: Buffer.from(request.label).toString('hex'),
      displayName: request.label,
      from: path.dirname(files[0]!.path),
      to: path.dirname(files[0]!.path),
      sha256: '',
      dev: 0,
      ino: 0,
      files: files.map(({ swap }) => swap),
    });
    crashpoint('swap-after-intent');
    const dirs = [...new Set(files.map((f) => path.dirname(f.path)))];
    try {
      for (const f of files) {
        writeTemp(f.swap.temp, f.content, f.stat);
        crashpoint('swap-after-temp');
      }
      for (const dir of dirs) fsyncDir(dir);
    } catch (err) {
      for (const f of files) fs.rmSync(f.swap.temp, { force: true });
      clearIntent(ctx.stateDir);
      throw new BreakglassError(
        `cannot write the new ${request.label}: ${errnoMessage(err)}; nothing changed`,
        'io',
      );
    }
    for (const f of files) {
      fs.renameSync(f.swap.temp, f.path);
      crashpoint('swap-after-rename');
    }
    for (const dir of dirs) fsyncDir(dir);
    appendAudit(ctx.stateDir, {
      action: request.action,
      file: escapeName(request.label),
      outcome: 'ok',
      message: files
        .map(
          (f) =>
            `${escapeName(f.path)} ${f.swap.sha256Before.slice(0, 12)} -> ${f.swap.sha256After.slice(0, 12)}`,
        )
        .join('; '),
    });
    crashpoint('swap-after-audit');
    clearIntent(ctx.stateDir);
    return { notes };
  });
}

interface Checked {
  path: string;
  content: Buffer;
  stat: fs.Stats;
  swap: SwapFile;
}

function checkTarget(f: FileWrite): Checked {
  const shown = escapeName(f.path);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(f.path);
  } catch (err) {
    throw new BreakglassError(`${shown}: ${errnoMessage(err)}; nothing changed`);
  }
  if (!stat.isFile()) throw new BreakglassError(`${shown} is not a regular file; nothing changed`);
  const before = sha256Of(f.path);
  if (before !== f.expectSha)
    throw new BreakglassError(
      `${shown} changed since the plan (sha256 ${f.expectSha.slice(0, 12)} -> ${before.slice(0, 12)}); nothing changed: run it again`,
      'changed',
    );
  const temp = path.join(path.dirname(f.path), `.${path.basename(f.path)}.breakglass-${process.pid}.tmp`);
  return {
    path: f.path,
    content: f.content,
    stat,
    swap: { path: f.path, temp, sha256Before: before, sha256After: sha256(f.content) },
  };
}

/** The new bytes beside the file, with its owner and mode (a key stays 0600), fsynced. */
function writeTemp(temp: string, content: Buffer, like: fs.Stats): void {
  const fd = fs.openSync(temp, 'w', like.mode & 0o7777);
  try {
    for (let written = 0; written < content.length; )
      written += fs.writeSync(fd, content, written, content.length - written);
    fs.fchownSync(fd, like.uid, like.gid);
    fs.fchmodSync(fd, like.mode & 0o7777);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
