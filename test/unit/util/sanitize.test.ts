import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeName, sanitizeLine, sanitizeText, terminalSafeJson } from '../../../src/util/sanitize.js';

const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

test('strips CSI, OSC (BEL and ST terminated), DCS, APC, PM and 8-bit CSI', () => {
  const cases: [string, string][] = [
    ['\x1b[31mred\x1b[0m text', 'red text'],
    ['\x1b]0;owned title\x07after', 'after'],
    ['\x1b]52;c;ZXZpbA==\x1b\\clip', 'clip'],
    ['\x1bPq#0;2;0;0;0\x1b\\dcs', 'dcs'],
    ['\x1b_apc payload\x1b\\apc', 'apc'],
    ['\x1b^pm\x1b\\pm', 'pm'],
    ['\x9b2Jeight-bit', 'eight-bit'],
    ['\x1b(Bcharset', 'charset'],
    ['bell\x07 del\x7f nul\x00', 'bell del nul'],
    ['\x9dosc c1\x9c ok', ' ok'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(sanitizeText(input), expected, JSON.stringify(input));
  }
});

test('keeps tab and newline in text, drops them in a single line', () => {
  assert.equal(sanitizeText('a\tb\nc\r'), 'a\tb\nc');
  assert.equal(sanitizeLine('a\nb\r'), 'ab');
});

test('an unterminated OSC swallows the rest rather than leaking into the terminal', () => {
  const out = sanitizeText('before\x1b]0;never ends');
  assert.equal(out, 'before');
});

test('names show every control character escaped, and stay distinguishable', () => {
  assert.equal(escapeName('evil\x1b]0;x\x07.yaml'), 'evil\\x1b]0;x\\x07.yaml');
  assert.equal(escapeName('a\nb'), 'a\\nb');
  assert.equal(escapeName('csi\u009b'), 'csi\\u009b');
  assert.equal(escapeName('bidi\u202egnp.yaml'), 'bidi\\u202egnp.yaml');
  assert.notEqual(escapeName('a\\x1b'), escapeName('a\x1b'));
  assert.doesNotMatch(escapeName('\x00\x01\x1b\x7f\x85\x9f'), RAW_CONTROL);
});

test('bidi overrides and isolates never reach the terminal raw: logs and names show them escaped', () => {
  const BIDI = [
    0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c,
  ];
  for (const code of BIDI) {
    const ch = String.fromCodePoint(code);
    const escaped = `\\u${code.toString(16).padStart(4, '0')}`;
    assert.equal(sanitizeText(`x${ch}y`), `x${escaped}y`, code.toString(16));
    assert.equal(sanitizeLine(`x${ch}y`), `x${escaped}y`, code.toString(16));
    assert.equal(escapeName(`x${ch}y`), `x${escaped}y`, code.toString(16));
  }
  // The Trojan Source line: what the terminal would show reversed reads in its real order.
  assert.equal(
    sanitizeText('access = "user\u202e \u2066// admin\u2069 \u2066"'),
    'access = "user\\u202e \\u2066// admin\\u2069 \\u2066"',
  );
});

test('fuzz: no output of sanitizeText or escapeName holds a raw control character but tab/newline', () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < 2000; i++) {
    const input = Array.from({ length: 40 }, () => String.fromCharCode(random() % 0xa0)).join('');
    assert.doesNotMatch(sanitizeText(input).replace(/[\t\n]/g, ''), RAW_CONTROL);
    assert.doesNotMatch(escapeName(input), RAW_CONTROL);
  }
});

test('JSON for a terminal: C1 and bidi controls written as \\u escapes, the value unchanged', () => {
  const value = { name: 'evil\u009b2J\u202e.yaml', plain: 'ok é' };
  const text = terminalSafeJson(value);
  assert.doesNotMatch(text, /[\u0080-\u009f\u202a-\u202e]/);
  assert.match(text, /\\u009b2J\\u202e/);
  assert.deepEqual(JSON.parse(text), value);
});
