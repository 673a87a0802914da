// Room for an etcd snapshot: twice the database free, and 10 % of the file system left after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotSpaceRefusal } from '../../../src/ops/snapshot-space.js';

const MiB = 1024 * 1024;

test('twice the database free and 10 % left after: room', () => {
  assert.equal(snapshotSpaceRefusal('/s', { free: 60 * MiB, total: 100 * MiB, dbSize: 20 * MiB }), null);
});

test('less than twice the database free: refused, naming both sizes', () => {
  assert.match(
    snapshotSpaceRefusal('/s', { free: 39 * MiB, total: 1000 * MiB, dbSize: 20 * MiB }) ?? '',
    /not enough space in \/s for an etcd snapshot: 39 MiB free, twice the database \(20 MiB\) is needed/,
  );
});

test('room for it, but under 10 % of the file system left after: refused', () => {
  assert.match(
    snapshotSpaceRefusal('/s', { free: 50 * MiB, total: 1000 * MiB, dbSize: 20 * MiB }) ?? '',
    /would leave 30 MiB free in \/s, less than 10 % of its 1000 MiB/,
  );
});
