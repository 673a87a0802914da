// The history's on-disk format: a log that a writer killed mid-line left torn still reads, and every file
// name, even one that is not UTF-8, has a log of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fileNameOfLog,
  HISTORY_SOURCES,
  type HistoryRecord,
  historyKeyOf,
  historyLine,
  parseHistoryLog,
} from '../../../src/node/history-paths.js';

const record: HistoryRecord = {
  v: 1,
  type: 'version',
  sha256: 'a'.repeat(64),
  size: 3,
  at: '2026-01-01T00:00:00.000Z',
  source: 'seen',
};

test('a torn last line and lines of unknown shape are skipped, the rest read', () => {
  const good = historyLine(record);
  const text = `${good}\n{"v":1,"type":"healthy","sha256":"${'a'.repeat(64)}","at":"2026-01-01T00:00:01.000Z","podUid":"u"}\n{"v":2,"type":"version"}\n${good.slice(0, 40)}`;
  const { records, skipped } = parseHistoryLog(text);
  assert.deepEqual(records, [
    record,
    { v: 1, type: 'healthy', sha256: 'a'.repeat(64), at: '2026-01-01T00:00:01.000Z', podUid: 'u' },
  ]);
  assert.equal(skipped, 2);
  assert.deepEqual(parseHistoryLog(''), { records: [], skipped: 0 });
});

test('plain file names are their own key; others are hex, and both come back exactly', () => {
  assert.equal(historyKeyOf('kube-apiserver.yaml'), 'kube-apiserver.yaml');
  for (const name of [
    Buffer.from('kube apiserver.yaml'),
    Buffer.from('.hidden'),
    Buffer.from([0x6b, 0xff, 0x0a]),
  ]) {
    const key = historyKeyOf(name);
    assert.match(key, /^%[0-9a-f]+$/);
    assert.deepEqual(fileNameOfLog(`${key}.jsonl`), name);
  }
  assert.deepEqual(fileNameOfLog('etcd.yaml.jsonl'), Buffer.from('etcd.yaml'));
  assert.equal(fileNameOfLog('lock'), null);
  assert.equal(fileNameOfLog('%zz.jsonl'), null);
});

test('every source a version is written with reads back (an applied edit, a revert, a kubeadm backup)', () => {
  for (const source of HISTORY_SOURCES) {
    const written: HistoryRecord = { ...record, source };
    assert.deepEqual(parseHistoryLog(`${historyLine(written)}\n`).records, [written], source);
  }
  assert.equal(parseHistoryLog(`${historyLine({ ...record, source: 'nonsense' as never })}\n`).skipped, 1);
});
