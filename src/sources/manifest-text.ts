// A manifest's text for the manifest view: at most 1 MiB, sanitized, never blocking on a FIFO someone
// left in the directory (O_NONBLOCK), a symlink followed as kubelet follows it.
import * as fs from 'node:fs';
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
