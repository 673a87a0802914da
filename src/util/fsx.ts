import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * node:crypto when first needed: loading it is about 25 ms, and every command imports this module (its
 * errno helpers), `--help` and `--version` included.
 */
const crypto = () => process.getBuiltinModule('node:crypto');

/** fsync a directory, so that a link, unlink or rename inside it survives a power cut. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync a file's data and metadata. Symlinks are not opened (there is nothing of theirs to sync). */
export function fsyncFile(file: string | Buffer): void {
  if (fs.lstatSync(file).isSymbolicLink()) return;
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes a file so that readers see the old content or the new, never a mix: a dot-named temp file
 * in the same directory, fsync, rename over, fsync the directory.
 */
export function writeFileDurable(file: string, data: string | Buffer, mode = 0o600): void {
  const dir = path.dirname(file);
  const temp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`,
  );
  const fd = fs.openSync(temp, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** Appends one line and fsyncs it. */
export function appendLineDurable(file: string, line: string, mode = 0o600): void {
  const fd = fs.openSync(file, 'a', mode);
  try {
    fs.writeFileSync(fd, `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** sha256 of what the path holds: a file's bytes, or a symlink's target text (never followed). */
export function sha256Of(file: string | Buffer): string {
  const stat = fs.lstatSync(file);
  const data = stat.isSymbolicLink() ? fs.readlinkSync(file, { encoding: 'buffer' }) : fs.readFileSync(file);
  return sha256(data);
}

export function sha256(data: Buffer | string): string {
  return crypto().createHash('sha256').update(data).digest('hex');
}

/** True when the path exists (a dangling symlink exists). */
export function exists(file: string | Buffer): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return false;
    throw err;
  }
}

export function isErrno(err: unknown, code: string): err is NodeJS.ErrnoException {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
}
