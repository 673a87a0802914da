// What makes an etcd snapshot file whole, checked on the bytes on disk: a bolt database (the magic
// number of its first meta page) followed by the SHA-256 of those bytes, which etcd's Snapshot stream
// appends and `etcdutl snapshot restore` checks.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

const HASH_BYTES = 32;
/** bbolt: the meta page follows the 16-byte page header; its first field is this magic number. */
const BOLT_MAGIC = 0xed0cdaed;
const BOLT_MAGIC_OFFSET = 16;
const MIN_DB_BYTES = 2 * 4096;

export interface SnapshotFileCheck {
  /** The file's whole size, hash included. */
  size: number;
  /** SHA-256 of the whole file (what the audit log names it by). */
  fileSha256: string;
  /** null when whole; else why not. */
  problem: string | null;
}

export function checkSnapshotFile(file: string): SnapshotFileCheck {
  const size = fs.statSync(file).size;
  const whole = createHash('sha256');
  const db = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const tail = Buffer.alloc(HASH_BYTES);
  const head = Buffer.alloc(BOLT_MAGIC_OFFSET + 4);
  try {
    fs.readSync(fd, head, 0, head.length, 0);
    const buf = Buffer.alloc(1 << 20);
    const dbBytes = Math.max(0, size - HASH_BYTES);
    let pos = 0;
    while (pos < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      whole.update(chunk);
      if (pos < dbBytes) db.update(chunk.subarray(0, Math.min(n, dbBytes - pos)));
      pos += n;
    }
    fs.readSync(fd, tail, 0, HASH_BYTES, dbBytes);
  } finally {
    fs.closeSync(fd);
  }
  const fileSha256 = whole.digest('hex');
  let problem: string | null = null;
  if (size < MIN_DB_BYTES + HASH_BYTES) problem = `only ${size} bytes: too short for an etcd database`;
  else if (head.readUInt32LE(BOLT_MAGIC_OFFSET) !== BOLT_MAGIC)
    problem = 'not a bolt database (no bolt magic number)';
  else if (!db.digest().equals(tail))
    problem = 'its trailing SHA-256 does not match its content (cut short?)';
  return { size, fileSha256, problem };
}
