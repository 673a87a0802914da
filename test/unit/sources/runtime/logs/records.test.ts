import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LogLineJoiner,
  MAX_LINE_CHARS,
  parseCriLogLine,
} from '../../../../../src/sources/runtime/logs/records.js';

const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const T = '2024-05-01T12:00:00.123456789Z';

test('a CRI line: time with nanoseconds, stream, full tag, text', () => {
  const record = parseCriLogLine(`${T} stderr F E0501 etcd: request timed out`);
  assert.equal(record.time?.toISOString(), '2024-05-01T12:00:00.123Z');
  assert.equal(record.stream, 'stderr');
  assert.equal(record.partial, false);
  assert.equal(record.text, 'E0501 etcd: request timed out');
});

test('a CRI partial tag, extra tag flags, an offset time zone and an empty text', () => {
  assert.equal(parseCriLogLine(`${T} stdout P part`).partial, true);
  const flagged = parseCriLogLine(`${T} stdout F:x:y with flags`);
  assert.deepEqual([flagged.partial, flagged.text], [false, 'with flags']);
  assert.equal(
    parseCriLogLine('2024-05-01T14:00:00.5+02:00 stdout F x').time?.toISOString(),
    '2024-05-01T12:00:00.500Z',
  );
  assert.equal(parseCriLogLine(`${T} stdout F `).text, '');
  assert.equal(parseCriLogLine(`${T} stdout F`).text, '');
  assert.equal(parseCriLogLine(`${T} stdout F  two spaces`).text, ' two spaces');
});

test('a malformed line comes back whole as stdout text with no time', () => {
  for (const line of [
    'plain text',
    '',
    'not-a-time stdout F x',
    '2024-05-01 stdout F x',
    `${T} stdlog F x`,
    `${T} stdout X x`,
    `${T} stdout`,
    '{"log": 3}',
    '{broken json',
  ]) {
    const record = parseCriLogLine(line);
    assert.deepEqual(record, { time: null, stream: 'stdout', partial: false, text: line }, line);
  }
});

test('Docker json-file lines: a log without a trailing newline is partial', () => {
  const full = parseCriLogLine(
    '{"log":"hello\\n","stream":"stderr","time":"2024-05-01T12:00:00.000000001Z"}',
  );
  assert.deepEqual(full, {
    time: new Date('2024-05-01T12:00:00.000Z'),
    stream: 'stderr',
    partial: false,
    text: 'hello',
  });
  const partial = parseCriLogLine('{"log":"hel","stream":"stdout","time":"2024-05-01T12:00:00Z"}');
  assert.deepEqual([partial.partial, partial.text, partial.stream], [true, 'hel', 'stdout']);
  assert.equal(parseCriLogLine('{"log":"x\\n","stream":"stdout","time":"garbage"}').time, null);
});

test('escape sequences and control characters are removed, from both formats', () => {
  const cases: [string, string][] = [
    [`${T} stdout F \x1b[31mred\x1b[0m`, 'red'],
    [`${T} stdout F clip\x1b]52;c;ZXZpbA==\x07board`, 'clipboard'],
    [`${T} stdout F eight\x9b2Jbit`, 'eightbit'],
    [`${T} stdout F ring\x07 bell\r`, 'ring bell'],
    ['{"log":"\\u001b]0;title\\u0007json \\u009b31mred\\u001b[0m\\r\\n","stream":"stdout"}', 'json red'],
  ];
  for (const [line, expected] of cases) {
    const { text } = parseCriLogLine(line);
    assert.equal(text, expected, JSON.stringify(line));
    assert.doesNotMatch(text, RAW_CONTROL);
  }
  // A malformed line is sanitized too.
  assert.equal(parseCriLogLine('\x1b]52;c;ZXZpbA==\x07oops').text, 'oops');
});

test('the joiner joins P, P, F into one line with the first record time', () => {
  const joiner = new LogLineJoiner();
  assert.deepEqual(joiner.pushLine(`${T} stdout P one `), []);
  assert.deepEqual(joiner.pushLine('2024-05-01T12:00:01Z stdout P two '), []);
  assert.deepEqual(joiner.pushLine('2024-05-01T12:00:02Z stdout F three'), [
    { time: new Date(T), stream: 'stdout', text: 'one two three' },
  ]);
  assert.deepEqual(joiner.pushLine(`${T} stdout F next`), [
    { time: new Date(T), stream: 'stdout', text: 'next' },
  ]);
});

test('the joiner keeps stdout and stderr partials apart', () => {
  const joiner = new LogLineJoiner();
  const out = [
    ...joiner.pushLine(`${T} stdout P out-`),
    ...joiner.pushLine(`${T} stderr P err-`),
    ...joiner.pushLine(`${T} stderr F end`),
    ...joiner.pushLine(`${T} stdout F end`),
  ];
  assert.deepEqual(
    out.map((l) => `${l.stream}:${l.text}`),
    ['stderr:err-end', 'stdout:out-end'],
  );
});

test('an escape sequence split across partial records does not survive the join', () => {
  const joiner = new LogLineJoiner();
  joiner.pushLine(`${T} stdout P before\x1b]52;c;`);
  const [line] = joiner.pushLine(`${T} stdout F ZXZpbA==\x07after`);
  assert.equal(line?.text, 'beforeafter');
});

test('records from parseCriLogLine can be joined too, json-file partials included', () => {
  const joiner = new LogLineJoiner();
  joiner.push(parseCriLogLine('{"log":"a","stream":"stdout"}'));
  joiner.push(parseCriLogLine('{"log":"b","stream":"stdout"}'));
  assert.deepEqual(
    joiner.push(parseCriLogLine('{"log":"c\\n","stream":"stdout"}')).map((l) => l.text),
    ['abc'],
  );
});

test('a runaway partial is emitted in pieces of the cap, and flush ends what is pending', () => {
  const joiner = new LogLineJoiner();
  const piece = 'x'.repeat(16 * 1024);
  const out = [];
  for (let i = 0; i < 9; i++) out.push(...joiner.pushLine(`${T} stdout P ${piece}`));
  assert.equal(out.length, 2);
  assert.ok(out.every((l) => l.text.length === MAX_LINE_CHARS));
  const rest = joiner.pushLine(`${T} stdout F end`);
  assert.deepEqual(
    rest.map((l) => l.text.length),
    [16 * 1024 + 3],
  );
  joiner.pushLine(`${T} stderr P dangling`);
  assert.deepEqual(
    joiner.flush().map((l) => [l.stream, l.text]),
    [['stderr', 'dangling']],
  );
  assert.deepEqual(joiner.flush(), []);
});

test('a cut never splits a surrogate pair', () => {
  const joiner = new LogLineJoiner(4);
  const out = joiner.pushLine(`${T} stdout F abc\u{1f600}def`);
  assert.deepEqual(
    out.map((l) => l.text),
    ['abc', '\u{1f600}de', 'f'],
  );
});
