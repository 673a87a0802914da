// What makes a snapshot file whole: a bolt database (its meta page's magic) followed by the SHA-256 of
// those bytes. Checked on real files in a temp directory.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { checkSnapshotFile } from '../../../../src/sources/etcd/snapshot-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-snapfile-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function boltLike(pages: number): Buffer {
  const db = Buffer.alloc(4096 * pages, 7);
  db.writeUInt32LE(0xed0cdaed, 16);
  return db;
}

function write(name: string, content: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

test('a bolt database with its SHA-256 after it is whole', () => {
  const db = boltLike(4);
  const file = write('whole.db', Buffer.concat([db, createHash('sha256').update(db).digest()]));
  const check = checkSnapshotFile(file);
  assert.equal(check.problem, null);
  assert.equal(check.size, db.length + 32);
  assert.equal(check.fileSha256, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
});

test('cut short, not bolt, or too short: each named', () => {
  const db = boltLike(4);
  const hash = createHash('sha256').update(db).digest();
  assert.match(
    checkSnapshotFile(write('cut.db', Buffer.concat([db.subarray(0, 12_000), hash]))).problem ?? '',
    /trailing SHA-256 does not match/,
  );
  const other = Buffer.alloc(4096 * 4);
  assert.match(
    checkSnapshotFile(write('other.db', Buffer.concat([other, createHash('sha256').update(other).digest()])))
      .problem ?? '',
    /not a bolt database/,
  );
  assert.match(checkSnapshotFile(write('tiny.db', Buffer.alloc(100))).problem ?? '', /too short/);
});
