// A manifest's text for the manifest view: at most 1 MiB, sanitized, never blocking on a FIFO someone
// left in the directory (O_NONBLOCK), a symlink followed as kubelet follows it. And a manifest's exact
// bytes, for a change that replaces them (edit, revert): a regular file only, whole or refused.
import * as fs from 'node:fs';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { sanitizeText } from '../util/sanitize.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;

export async function readManifestText(file: string): Promise<string[]> {
  const handle = await fs.promises
    .open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
    .catch(async (err: NodeJS.ErrnoException) => {
      // A symlinked manifest (kubelet follows it): open the target.
      if (err.code === 'ELOOP')
        return fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      throw err;
    });
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAX_MANIFEST_BYTES, 0);
    const text = sanitizeText(buffer.subarray(0, bytesRead).toString('utf8'));
    const lines = text.split('\n');
    if (bytesRead === MAX_MANIFEST_BYTES) lines.push(`… (only the first ${MAX_MANIFEST_BYTES} bytes shown)`);
    return lines;
  } finally {
    await handle.close();
  }
}

/** The exact bytes of a manifest that is a regular file (not followed if a symlink), up to 1 MiB. */
export function readManifestBytes(file: string, shown: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new BreakglassError(`cannot read ${shown}: ${errnoMessage(err)}`, 'io');
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new BreakglassError(`${shown} is not a regular file`, 'usage');
    if (stat.size > MAX_MANIFEST_BYTES)
      throw new BreakglassError(
        `${shown} is ${stat.size} bytes, more than a manifest (${MAX_MANIFEST_BYTES}): not changed by breakglass`,
        'usage',
      );
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
