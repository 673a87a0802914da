import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBuffer, levelOf, levelOfPriority } from '../../../src/model/log-buffer.js';

test('the buffer keeps the newest lines and counts what it dropped', () => {
  const b = new LogBuffer(3);
  for (let i = 0; i < 10; i++) b.push({ time: null, text: `l${i}`, origin: null });
  assert.equal(b.length, 3);
  assert.equal(b.total, 10);
  assert.equal(b.dropped, 7);
  assert.deepEqual(
    b.slice(0, 3).map((e) => e.text),
    ['l7', 'l8', 'l9'],
  );
  assert.deepEqual(
    b.tail(2).map((e) => e.seq),
    [8, 9],
  );
});

test('a flood of a million lines holds its capacity, no more', () => {
  const b = new LogBuffer(5000);
  for (let i = 0; i < 1_000_000; i++) b.push({ time: null, text: 'x', level: 'info', origin: null });
  assert.equal(b.length, 5000);
  assert.equal(b.at(4999)?.seq, 999_999);
});

test('find walks both ways from a line', () => {
  const b = new LogBuffer(10);
  for (const t of ['a', 'E0101 bad', 'b', 'E0101 worse', 'c']) b.push({ time: null, text: t, origin: null });
  const isError = (e: { level: string }) => e.level === 'error';
  assert.equal(b.find(-1, isError, 1), 1);
  assert.equal(b.find(1, isError, 1), 3);
  assert.equal(b.find(3, isError, 1), -1);
  assert.equal(b.find(5, isError, -1), 3);
});

test('levels: klog headers, JSON levels, journald priority, plain words', () => {
  assert.equal(levelOf('E1122 10:00:00.000000  123 kubelet.go:1] failed'), 'error');
  assert.equal(levelOf('W1122 10:00:00.000000  123 x.go:1] slow'), 'warning');
  assert.equal(levelOf('I1122 10:00:00.000000  123 x.go:1] error handling is fine'), 'info');
  assert.equal(levelOf('{"level":"warn","msg":"apply request took too long"}'), 'warning');
  assert.equal(levelOf('{"level":"info","msg":"no error here"}'), 'info');
  assert.equal(levelOf('dial tcp 127.0.0.1:2379: connect: connection refused'), 'error');
  assert.equal(levelOfPriority(3, 'anything'), 'error');
  assert.equal(levelOfPriority(4, 'anything'), 'warning');
  assert.equal(levelOfPriority(6, 'fine'), 'info');
});
