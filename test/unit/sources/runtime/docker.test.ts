import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DockerLogSplitter, parseDockerEvent } from '../../../../src/sources/runtime/docker.js';

test('Docker log frames: split across chunks, 16 KiB messages joined, stderr apart, escapes removed', () => {
  const frame = (stream: 1 | 2, text: string) => {
    const body = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body]);
  };
  const ts = '2026-01-01T00:00:00.000000001Z';
  const stream = Buffer.concat([
    frame(1, `${ts} first half `),
    frame(2, `${ts} \x1b[31merror\x1b[0m line\n`),
    frame(1, `${ts} second half\n`),
  ]);
  const splitter = new DockerLogSplitter(false);
  const lines = [
    ...splitter.push(stream.subarray(0, 11)),
    ...splitter.push(stream.subarray(11)),
    ...splitter.flush(),
  ];
  assert.deepEqual(
    lines.map((l) => [l.stream, l.text]),
    [
      ['stderr', 'error line'],
      ['stdout', 'first half second half'],
    ],
  );
  assert.equal(lines[1]!.time!.toISOString(), '2026-01-01T00:00:00.000Z');
});

test('Docker events: container events become changes, others are ignored', () => {
  assert.deepEqual(parseDockerEvent('{"Type":"container","Action":"die","Actor":{"ID":"abc"}}'), {
    kind: 'changed',
    containerId: 'abc',
    sandboxId: null,
    what: 'die',
  });
  assert.equal(parseDockerEvent('{"Type":"network","Action":"connect"}'), null);
  assert.equal(parseDockerEvent('not json'), null);
});
