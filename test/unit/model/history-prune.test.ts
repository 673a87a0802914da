// The history's bounds: per file and in bytes, the oldest dropped first, never a file's newest version or
// its newest healthy one; an object removed only when no kept version names it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pruneChoice } from '../../../src/model/history-prune.js';
import { versionsOf } from '../../../src/model/manifest-history.js';
import type { HistoryRecord } from '../../../src/node/history-paths.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const version = (n: number, t: number, size = 10): HistoryRecord => ({
  v: 1,
  type: 'version',
  sha256: sha(n),
  size,
  at: at(t),
  source: 'seen',
});
const healthy = (n: number, t: number): HistoryRecord => ({
  v: 1,
  type: 'healthy',
  sha256: sha(n),
  at: at(t),
});

test('nothing to do within the bounds', () => {
  const logs = [{ key: 'etcd.yaml', records: [version(1, 1), healthy(1, 2), version(2, 3)] }];
  assert.deepEqual(pruneChoice(logs, { perFile: 5, totalBytes: 1000 }), { rewrite: [], removeObjects: [] });
});

test('over the per-file bound the oldest go, but the newest healthy one stays however old', () => {
  const records = [version(1, 1), healthy(1, 2), version(2, 3), version(3, 4), version(4, 5), version(5, 6)];
  const choice = pruneChoice([{ key: 'kube-apiserver.yaml', records }], { perFile: 3, totalBytes: 1e9 });
  assert.equal(choice.rewrite.length, 1);
  const kept = versionsOf(choice.rewrite[0]!.records).map((v) => v.sha256);
  assert.deepEqual(kept, [sha(5), sha(4), sha(1)]);
  assert.ok(versionsOf(choice.rewrite[0]!.records).at(-1)!.healthy, 'its healthy mark is kept with it');
  assert.deepEqual(choice.removeObjects, [sha(2), sha(3)]);
});

test('over the byte bound the oldest versions of all files go first; a shared object stays while named', () => {
  const logs = [
    { key: 'a.yaml', records: [version(1, 1, 100), version(2, 5, 100)] },
    // b.yaml's oldest is the same bytes as a.yaml's oldest (a copy): the object is named twice.
    { key: 'b.yaml', records: [version(1, 2, 100), version(3, 3, 100), version(4, 6, 100)] },
  ];
  const choice = pruneChoice(logs, { perFile: 50, totalBytes: 300 });
  const keptOf = (key: string) =>
    versionsOf(
      choice.rewrite.find((r) => r.key === key)?.records ?? logs.find((l) => l.key === key)!.records,
    ).map((v) => v.sha256);
  assert.deepEqual(keptOf('a.yaml'), [sha(2)]);
  assert.deepEqual(keptOf('b.yaml'), [sha(4), sha(3)]);
  assert.deepEqual(choice.removeObjects, [sha(1)]);
});

test('a file whose every version is protected keeps them all, even over the byte bound', () => {
  const logs = [{ key: 'etcd.yaml', records: [version(1, 1, 500), healthy(1, 2), version(2, 3, 500)] }];
  assert.deepEqual(pruneChoice(logs, { perFile: 1, totalBytes: 10 }), { rewrite: [], removeObjects: [] });
});

test('a stored object no log names (a crash between its write and its record) goes; named ones stay', () => {
  const logs = [{ key: 'etcd.yaml', records: [version(1, 1, 100), version(2, 3, 100)] }];
  const choice = pruneChoice(logs, { perFile: 50, totalBytes: 1e9 }, [sha(1), sha(2), sha(9)]);
  assert.deepEqual(choice.rewrite, []);
  assert.deepEqual(choice.removeObjects, [sha(9)]);
});
