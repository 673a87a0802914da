// The directories a change writes to, checked before anything moves: the state directory and the
// holding directory exist, private to root; the holding directory is outside the manifest directory
// and on its file system (a move is then a link, never a copy).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { errnoCode, fsyncDir } from '../util/fsx.js';

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

export function checkWritable(dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new BreakglassError(`${dir} is not writable: ${errnoMessage(err)}; nothing changed`, 'io');
  }
}

/** The manifest and holding directories, ready for a move between them; notes say what was fixed. */
export function checkMoveLayout(manifestsDir: string, holdingDir: string, notes: string[]): void {
  const manifests = path.resolve(manifestsDir);
  const holding = path.resolve(holdingDir);
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

/** `<dir>/<raw name>` as bytes: exact for names that are not valid UTF-8. */
export function joinRaw(dir: string, rawName: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), rawName]);
}
