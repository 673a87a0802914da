import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJournalLine } from '../../../../src/sources/journal/parse.js';

const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

const CURSOR =
  's=babdf2178aac4a3092f5da7f1b5f91d7;i=44;b=76647a31fa124fa28580bbdda4475546;m=23bb87978;t=660d74797fb7e';

function line(fields: Record<string, unknown>): string {
  return JSON.stringify(fields);
}

test('a kubelet line: cursor, time from microseconds, priority, pid, identifier, unit, message', () => {
  const entry = parseJournalLine(
    line({
      __CURSOR: CURSOR,
      __REALTIME_TIMESTAMP: '1795327595641726',
      __MONOTONIC_TIMESTAMP: '9591880056',
      _BOOT_ID: '76647a31fa124fa28580bbdda4475546',
      PRIORITY: '6',
      _PID: '124',
      SYSLOG_IDENTIFIER: 'kubelet',
      _SYSTEMD_UNIT: 'kubelet.service',
      MESSAGE: 'I1122 06:06:35.638000     124 kuberuntime_container.go:280] "Started container"',
    }),
  );
  assert.deepEqual(entry, {
    cursor: CURSOR,
    time: new Date(1795327595641),
    priority: 6,
    pid: 124,
    identifier: 'kubelet',
    unit: 'kubelet.service',
    text: 'I1122 06:06:35.638000     124 kuberuntime_container.go:280] "Started container"',
    truncated: false,
  });
});

test("systemd's own line about the unit names the unit (UNIT), not init.scope", () => {
  const entry = parseJournalLine(
    line({
      MESSAGE: 'kubelet.service: Main process exited, code=exited, status=1/FAILURE',
      SYSLOG_IDENTIFIER: 'systemd',
      _SYSTEMD_UNIT: 'init.scope',
      UNIT: 'kubelet.service',
      _PID: '1',
      PRIORITY: '5',
    }),
  );
  assert.equal(entry?.unit, 'kubelet.service');
  assert.equal(entry?.identifier, 'systemd');
  assert.equal(entry?.pid, 1);
});

test('a MESSAGE that is not valid UTF-8 comes as an array of byte values, and is decoded', () => {
  const bytes = [...Buffer.from('caf\u00e9 ok '), 0xff, 0xfe, ...Buffer.from(' end')];
  const entry = parseJournalLine(line({ MESSAGE: bytes }));
  assert.equal(entry?.text, 'caf\u00e9 ok \ufffd\ufffd end');
});

test('a byte-array MESSAGE carrying an escape sequence is decoded, then sanitized', () => {
  const bytes = [...Buffer.from('\u001b]52;c;ZWNobyBvd25lZA==\u0007x'), 0xc3, ...Buffer.from('\u001b[2Jy')];
  const entry = parseJournalLine(line({ MESSAGE: bytes }));
  assert.equal(entry?.text, 'x\ufffdy');
});

test('escape sequences are stripped: OSC 52 (clipboard), OSC 0 (title), CSI, 8-bit CSI, C0 and C1 controls', () => {
  const cases: [string, string][] = [
    ['\u001b]52;c;ZWNobyBvd25lZA==\u0007after', 'after'],
    ['\u001b]52;c;ZWNobyBvd25lZA==\u001b\\after', 'after'],
    ['\u001b]0;owned\u0007hello', 'hello'],
    ['\u001b[31mred\u001b[0m plain', 'red plain'],
    ['\u001b[2J\u001b[Hcleared', 'cleared'],
    ['\u009b31mC1 CSI', 'C1 CSI'],
    ['bell\u0007 back\u0008space del\u007f nul\u0000', 'bell backspace del nul'],
    ['carriage\rreturn', 'carriagereturn'],
    ['tab\tstays', 'tab\tstays'],
  ];
  for (const [message, expected] of cases) {
    const entry = parseJournalLine(line({ MESSAGE: message }));
    assert.equal(entry?.text, expected, JSON.stringify(message));
    assert.doesNotMatch(entry?.text ?? '', RAW_CONTROL);
  }
});

test('identifier and unit are sanitized too', () => {
  const entry = parseJournalLine(
    line({
      MESSAGE: 'x',
      SYSLOG_IDENTIFIER: 'kube\u001b]0;t\u0007let',
      _SYSTEMD_UNIT: 'a\u001b[1mb.service',
    }),
  );
  assert.equal(entry?.identifier, 'kubelet');
  assert.equal(entry?.unit, 'ab.service');
});

test('a multi-line MESSAGE becomes one line; a trailing newline goes', () => {
  assert.equal(
    parseJournalLine(line({ MESSAGE: 'panic: boom\ngoroutine 1\r\n\tmain.go:3\n' }))?.text,
    'panic: boom goroutine 1 \tmain.go:3',
  );
});

test('missing fields are null (cursor empty, text empty); a null MESSAGE is empty text', () => {
  assert.deepEqual(parseJournalLine('{}'), {
    cursor: '',
    time: null,
    priority: null,
    pid: null,
    identifier: null,
    unit: null,
    text: '',
    truncated: false,
  });
  assert.equal(parseJournalLine(line({ MESSAGE: null }))?.text, '');
});

test('a field that occurs more than once is an array of values: MESSAGE joined, others the first', () => {
  const entry = parseJournalLine(
    line({ MESSAGE: ['one', [116, 119, 111]], _PID: ['7', '8'], SYSLOG_IDENTIFIER: ['a', 'b'] }),
  );
  assert.equal(entry?.text, 'one two');
  assert.equal(entry?.pid, 7);
  assert.equal(entry?.identifier, 'a');
});

test('priority: digit strings, numbers and syslog names; anything else null', () => {
  const cases: [unknown, number | null][] = [
    ['0', 0],
    ['3', 3],
    ['7', 7],
    [4, 4],
    ['err', 3],
    ['warning', 4],
    ['DEBUG', 7],
    ['8', null],
    ['-1', null],
    ['', null],
    ['high', null],
    ['3.5', null],
    [null, null],
    [true, null],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseJournalLine(line({ PRIORITY: value }))?.priority, expected, JSON.stringify(value));
  }
});

test('bad timestamps and pids are null', () => {
  for (const value of ['', 'abc', '-5', '1.5', '99999999999999999999999']) {
    assert.equal(parseJournalLine(line({ __REALTIME_TIMESTAMP: value }))?.time, null, value);
  }
  for (const value of ['', '0', '-1', 'x', '1e3']) {
    assert.equal(parseJournalLine(line({ _PID: value }))?.pid, null, value);
  }
});

test('lines that are not a JSON object give null', () => {
  for (const text of [
    '',
    'plain text',
    '-- No entries --',
    '[1,2]',
    '"s"',
    '42',
    'null',
    '{broken',
    '{"a":',
  ]) {
    assert.equal(parseJournalLine(text), null, text);
  }
});

test('a line cut short (truncated) keeps the fields before the cut and the beginning of MESSAGE', () => {
  const full = line({
    __CURSOR: CURSOR,
    __REALTIME_TIMESTAMP: '1795327595641726',
    PRIORITY: '3',
    _PID: '124',
    MESSAGE: `start \u001b]0;x\u0007${'y'.repeat(1000)}`,
  });
  const cut = full.slice(0, full.indexOf('yyyy') + 100);
  assert.equal(parseJournalLine(cut), null, 'not truncated: not JSON');
  const entry = parseJournalLine(cut, true);
  assert.equal(entry?.cursor, CURSOR);
  assert.equal(entry?.priority, 3);
  assert.equal(entry?.pid, 124);
  assert.equal(entry?.truncated, true);
  assert.match(entry?.text ?? '', /^start y+$/);
  // Cut in the middle of an escape (\u001b -> \u00), of a byte array, of a key.
  const escaped = line({ PRIORITY: '2', MESSAGE: 'ab\u001bc' });
  const inEscape = escaped.slice(0, escaped.indexOf('\\u001b') + 4);
  assert.deepEqual(
    [parseJournalLine(inEscape, true)?.text, parseJournalLine(inEscape, true)?.priority],
    ['ab', 2],
  );
  const bytes = line({ MESSAGE: [104, 105, 255, 104, 105] });
  assert.equal(parseJournalLine(bytes.slice(0, bytes.indexOf('255') + 1), true)?.text, 'hi');
  const inKey = line({ PRIORITY: '1', MESSAGE: 'x' });
  assert.equal(parseJournalLine(inKey.slice(0, inKey.indexOf('MESS') + 2), true)?.priority, 1);
  assert.equal(parseJournalLine('not json at all', true), null);
});

test("a privileged daemon's line about a unit (OBJECT_SYSTEMD_UNIT, COREDUMP_UNIT) names that unit", () => {
  assert.equal(
    parseJournalLine(line({ OBJECT_SYSTEMD_UNIT: 'kubelet.service', _SYSTEMD_UNIT: 'x.service' }))?.unit,
    'kubelet.service',
  );
  assert.equal(parseJournalLine(line({ COREDUMP_UNIT: 'kubelet.service' }))?.unit, 'kubelet.service');
  assert.equal(parseJournalLine(line({ _SYSTEMD_UNIT: '' }))?.unit, null);
});

test("a cut line's tail gives the fields after the long one; the head wins, a boundary inside a string is none", () => {
  const full = line({
    __CURSOR: CURSOR,
    MESSAGE: `start ${'z'.repeat(5000)} tricky ,\\"PRIORITY\\": "x", end`,
    PRIORITY: '2',
    _SYSTEMD_UNIT: 'kubelet.service',
  });
  const head = full.slice(0, 300);
  const tail = full.slice(-200);
  const entry = parseJournalLine(head, true, tail);
  assert.equal(entry?.cursor, CURSOR);
  assert.equal(entry?.priority, 2);
  assert.equal(entry?.unit, 'kubelet.service');
  assert.match(entry?.text ?? '', /^start z+$/);
  // A tail starting inside the message, whose text holds an escaped `,"KEY":`.
  const inMessage = line({ MESSAGE: `a ,"PRIORITY": 7 b`, PRIORITY: '1' });
  assert.equal(parseJournalLine('{"MESSAGE":"a', true, inMessage.slice(5))?.priority, 1);
  assert.equal(parseJournalLine('{"MESSAGE":"a', true, 'garbage')?.priority, null);
});
