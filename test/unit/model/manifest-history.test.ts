// The manifest history's judgements: the versions newest first (repeats folded, healthy marks joined),
// what an observation adds (nothing when nothing is new), and what `revert` puts back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendsFor,
  lastKnownHealthy,
  type Observation,
  revertChoice,
  versionByPrefix,
  versionsOf,
} from '../../../src/model/manifest-history.js';
import type { HistoryRecord } from '../../../src/node/history-paths.js';

const sha = (c: string) => c.repeat(64);
const A = sha('a');
const B = sha('b');
const C = sha('c');
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const version = (
  s: string,
  t: number,
  source: 'seen' | 'kubeadm-backup' | 'revert' = 'seen',
): HistoryRecord => ({
  v: 1,
  type: 'version',
  sha256: s,
  size: 10,
  at: at(t),
  source,
});
const healthy = (s: string, t: number, podUid?: string): HistoryRecord => ({
  v: 1,
  type: 'healthy',
  sha256: s,
  at: at(t),
  ...(podUid ? { podUid } : {}),
});
const obs = (s: string, t: number, more: Partial<Observation> = {}): Observation => ({
  sha256: s,
  size: 10,
  at: at(t),
  source: 'seen',
  healthy: false,
  ...more,
});

test('versions come newest first, a repeat of the one before folded, healthy marks joined by sha256', () => {
  const records = [version(A, 1), healthy(A, 2, 'uid-a'), version(A, 3), version(B, 4), version(A, 5)];
  const versions = versionsOf(records);
  assert.deepEqual(
    versions.map((v) => [v.sha256[0], v.at, v.healthy]),
    [
      ['a', at(5), true],
      ['b', at(4), false],
      ['a', at(1), true],
    ],
  );
  assert.deepEqual(versions[0]!.podUids, ['uid-a']);
  assert.equal(lastKnownHealthy(versions)?.at, at(5));
});

test("a kubeadm backup sorts by its directory's time, before versions seen later", () => {
  const versions = versionsOf([version(B, 10), version(A, 2, 'kubeadm-backup')]);
  assert.deepEqual(
    versions.map((v) => [v.sha256[0], v.source]),
    [
      ['b', 'seen'],
      ['a', 'kubeadm-backup'],
    ],
  );
});

test('a clock set back between two sightings: the log says which came last, not the times', () => {
  // A seen at 00:00:50; the clock is fixed (set back), then B is seen at 00:00:20, a backup of 00:00:30 found.
  const versions = versionsOf([version(A, 50), version(B, 20), version(C, 30, 'kubeadm-backup')]);
  assert.deepEqual(
    versions.map((v) => v.sha256[0]),
    ['b', 'a', 'c'],
    'what the file holds now is the newest; the backup goes before the first sighting after its time',
  );
});

test('an observation of the newest version adds nothing; new bytes add a version; healthy is marked once', () => {
  const records = [version(A, 1)];
  assert.deepEqual(appendsFor(records, obs(A, 2)), []);
  assert.deepEqual(appendsFor(records, obs(B, 2)), [version(B, 2)]);
  assert.deepEqual(appendsFor(records, obs(A, 2, { healthy: true })), [healthy(A, 2)]);
  const marked = [...records, healthy(A, 2)];
  assert.deepEqual(appendsFor(marked, obs(A, 3, { healthy: true })), []);
  // A pod UID not seen yet is worth a mark: it lets a revert recognise the pod kubelet kept.
  assert.deepEqual(appendsFor(marked, obs(A, 3, { healthy: true, podUid: 'u1' })), [healthy(A, 3, 'u1')]);
  // Back to bytes seen long ago: a new version record (it is the file's content again).
  assert.deepEqual(appendsFor([version(A, 1), version(B, 2)], obs(A, 3)), [version(A, 3)]);
});

test('a kubeadm backup is added only when its bytes are not in the history at all, never as healthy', () => {
  const records = [version(A, 5), version(B, 6)];
  assert.deepEqual(appendsFor(records, obs(A, 1, { source: 'kubeadm-backup' })), []);
  assert.deepEqual(appendsFor(records, obs(C, 1, { source: 'kubeadm-backup', healthy: true })), [
    version(C, 1, 'kubeadm-backup'),
  ]);
  assert.deepEqual(appendsFor([], obs(C, 1, { source: 'kubeadm-backup' })), [
    version(C, 1, 'kubeadm-backup'),
  ]);
});

test('revert puts back the last known healthy version, and refuses what the file holds already', () => {
  const versions = versionsOf([version(A, 1), healthy(A, 2), version(B, 3), healthy(B, 4), version(C, 5)]);
  const choice = revertChoice(versions, C, null);
  assert.ok(choice.ok);
  assert.equal(choice.version.sha256, B);
  const same = revertChoice(versions, B, null);
  assert.ok(!same.ok);
  assert.match(same.text, /holds the last version known healthy .* already/);
  const none = revertChoice(versionsOf([version(C, 1)]), C, null);
  assert.ok(!none.ok);
  assert.match(none.text, /no version in the history is known healthy: give one with --to/);
  assert.match((revertChoice([], null, null) as { text: string }).text, /no version of it is in the history/);
});

test('--to takes a unique prefix of 4 or more hex digits', () => {
  const versions = versionsOf([version(A, 1), version(`ab${'0'.repeat(62)}`, 2), version(B, 3)]);
  assert.equal((versionByPrefix(versions, 'bbbb') as { version: { sha256: string } }).version.sha256, B);
  assert.equal((versionByPrefix(versions, 'aaaa') as { version: { sha256: string } }).version.sha256, A);
  assert.ok(versionByPrefix(versions, 'AAAA').ok, 'case does not matter');
  assert.match((versionByPrefix(versions, 'ab') as { text: string }).text, /not a sha256 or a prefix/);
  assert.match(
    (versionByPrefix(versions, 'cccc') as { text: string }).text,
    /no version .* starts with cccc/,
  );
  const twoAb = versionsOf([version(`abcd${'0'.repeat(60)}`, 1), version(`abcd${'1'.repeat(60)}`, 2)]);
  assert.match((versionByPrefix(twoAb, 'abcd') as { text: string }).text, /ambiguous/);
  const chosen = revertChoice(versions, B, 'aaaa');
  assert.ok(chosen.ok, 'a version never healthy can be named');
  assert.match((revertChoice(versions, B, 'bbbb') as { text: string }).text, /holds bbbbbbbbbbbb already/);
});
