// The copy `breakglass edit` opens in the editor: outside the manifest directory (an editor's swap and
// probe files there would be pods to kubelet), in <state-dir>/edits/ (0700), one per manifest, kept
// until the edit is applied or dropped, so an edit that does not lint is never lost. Beside it, the
// sha256 of the manifest it started from: an edit kept from before the manifest changed (a revert,
// kubeadm) is not continued over those changes, it is set aside.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isErrno, sha256, writeFileDurable } from '../util/fsx.js';
import { ensurePrivateDir } from './dirs.js';

export interface WorkingCopy {
  path: string;
  /** An earlier edit of the same manifest that was kept (it did not lint, or was left): continued. */
  resumed: boolean;
  /** An earlier edit made on another version of the manifest, moved here instead of continued. */
  setAside: string | null;
}

export function editsDir(stateDir: string): string {
  return path.join(stateDir, 'edits');
}

/** The working copy of a manifest: the one kept from an earlier edit of these bytes, else a fresh copy. */
export function openWorkingCopy(stateDir: string, fileName: string, current: Buffer): WorkingCopy {
  const dir = editsDir(stateDir);
  ensurePrivateDir(stateDir, 'state directory');
  ensurePrivateDir(dir, 'edits directory');
  const file = path.join(dir, fileName);
  const baseFile = `${file}.base`;
  let setAside: string | null = null;
  const kept = readOrNull(file);
  if (kept && !kept.equals(current)) {
    if (readOrNull(baseFile)?.toString('utf8').trim() === sha256(current))
      return { path: file, resumed: true, setAside };
    setAside = `${file}.${new Date().toISOString().replace(/[:.]/g, '')}.stale`;
    fs.renameSync(file, setAside);
  }
  writeFileDurable(file, current, 0o600);
  writeFileDurable(baseFile, `${sha256(current)}\n`, 0o600);
  return { path: file, resumed: false, setAside };
}

/** The edit is applied or dropped: its copy goes (it is in the manifest history, or was not wanted). */
export function dropWorkingCopy(copy: WorkingCopy): void {
  fs.rmSync(copy.path, { force: true });
  fs.rmSync(`${copy.path}.base`, { force: true });
}

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}
