// Recovery of a swap-files change cut short (ops/swap-files.ts): finished when every new version is on
// disk, else undone. Caller holds the lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SwapFile } from '../node/state-dir.js';
import { exists, fsyncDir, fsyncFile, sha256Of } from '../util/fsx.js';
import { escapeName } from '../util/sanitize.js';
import { crashpoint } from './crashpoint.js';

export interface SwapRecovery {
  outcome: 'completed' | 'rolled-back' | 'conflict';
  message: string;
}

/**
 * Finishes a swap when every new version is on disk (in place, or whole in its temp): the renames had
 * begun, or could have. Else undoes it: the temps removed, every file still old. A file holding neither
 * version was written by something else: left as it is, and said.
 */
export function recoverSwap(files: readonly SwapFile[], label: string): SwapRecovery {
  const shaOf = (p: string) => (exists(p) ? sha256Of(p) : null);
  const state = files.map((f) => ({ f, now: shaOf(f.path), temp: shaOf(f.temp) }));
  const others = state.filter((s) => s.now !== s.f.sha256Before && s.now !== s.f.sha256After);
  const forward = state.every((s) => s.now === s.f.sha256After || s.temp === s.f.sha256After);
  const dirs = [...new Set(files.map((f) => path.dirname(f.path)))];
  if (forward && others.length === 0) {
    for (const s of state) {
      if (s.now === s.f.sha256After) {
        fs.rmSync(s.f.temp, { force: true });
        continue;
      }
      fsyncFile(s.f.temp);
      fs.renameSync(s.f.temp, s.f.path);
      crashpoint('recover-swap-after-rename');
    }
    for (const dir of dirs) fsyncDir(dir);
    return { outcome: 'completed', message: `completed: ${label} hold the new versions` };
  }
  const partlyNew = state.filter((s) => s.now === s.f.sha256After);
  if (partlyNew.length > 0)
    return {
      outcome: 'conflict',
      message: `${partlyNew.map((s) => escapeName(s.f.path)).join(', ')} hold the new version, but the new versions of the others are gone: put the old ones back from the backup in the state directory`,
    };
  for (const s of state) fs.rmSync(s.f.temp, { force: true });
  for (const dir of dirs) fsyncDir(dir);
  if (others.length > 0)
    return {
      outcome: 'conflict',
      message: `${others.map((s) => escapeName(s.f.path)).join(', ')} hold neither the old nor the new version: something else wrote them; left as they are`,
    };
  return { outcome: 'rolled-back', message: `undone: ${label} still hold the old versions` };
}
