// The copy `breakglass edit` opens in the editor: outside the manifest directory (an editor's swap and
// probe files there would be pods to kubelet), in <state-dir>/edits/ (0700), one per manifest, kept
// until the edit is applied or dropped, so an edit that does not lint is never lost.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno, writeFileDurable } from '../util/fsx.js';
import { ensurePrivateDir } from './dirs.js';

export interface WorkingCopy {
  path: string;
  /** An earlier edit of the same manifest that was kept (it did not lint, or was left): continued. */
  resumed: boolean;
}

export function editsDir(stateDir: string): string {
  return path.join(stateDir, 'edits');
}

/** The working copy of a manifest: the one kept from an earlier edit, else a fresh copy of `current`. */
export function openWorkingCopy(stateDir: string, fileName: string, current: Buffer): WorkingCopy {
  const dir = editsDir(stateDir);
  ensurePrivateDir(stateDir, 'state directory');
  ensurePrivateDir(dir, 'edits directory');
  const file = path.join(dir, fileName);
  try {
    const kept = fs.readFileSync(file);
    if (!kept.equals(current)) return { path: file, resumed: true };
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  writeFileDurable(file, current, 0o600);
  return { path: file, resumed: false };
}

/** The edit is applied or dropped: its copy goes (it is in the manifest history, or was not wanted). */
export function dropWorkingCopy(copy: WorkingCopy): void {
  fs.rmSync(copy.path, { force: true });
}
