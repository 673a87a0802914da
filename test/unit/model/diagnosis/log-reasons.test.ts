// What a component's last words mean, as the real binaries word them. Pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  flagProblem,
  lastErrorLine,
  lineOfFlag,
  plainWords,
} from '../../../../src/model/diagnosis/log-reasons.js';

const at = (text: string) => ({ time: null, text });

test('the flag each real parser refuses', () => {
  const cases: [string, string, 'unknown' | 'invalid-value'][] = [
    ['Error: unknown flag: --bogus-flag', '--bogus-flag', 'unknown'], // cobra/pflag
    [
      'E1201 12:00:00.000000 1 run.go:74] "command failed" err="failed to parse kubelet flag: unknown flag: --bogus-kubelet-flag"',
      '--bogus-kubelet-flag',
      'unknown',
    ],
    ['flag provided but not defined: -bogus-flag', '-bogus-flag', 'unknown'], // Go's flag package (etcd)
    [
      "etcdmain: error verifying flags, '--bogus' is not a valid flag. See 'etcd --help'.",
      '--bogus',
      'unknown',
    ],
    [
      'Error: invalid argument "abc" for "--secure-port" flag: strconv.ParseInt: parsing "abc": invalid syntax',
      '--secure-port',
      'invalid-value',
    ],
    ['Error: invalid argument "x" for "-v, --v" flag: strconv.ParseInt', '--v', 'invalid-value'],
    ['invalid value "x" for flag -snapshot-count: parse error', '-snapshot-count', 'invalid-value'],
    ["Error: unknown shorthand flag: 'z' in -z", '-z', 'unknown'],
  ];
  for (const [text, flag, kind] of cases) {
    const p = flagProblem([at('I1201 starting'), at(text), at('usage: ...')]);
    assert.deepEqual([p?.flag, p?.kind], [flag, kind], text);
  }
  assert.equal(flagProblem([at('E1201 12:00:00 1 x.go:1] "failed to listen" err="address in use"')]), null);
});

test("a flag's line in the manifest: its whole name, written any way kubeadm or a person writes it", () => {
  const text = [
    'spec:',
    '  containers:',
    '  - command:',
    '    - kube-apiserver',
    '    - --bind-address=0.0.0.0',
    '    - "--bind=1"',
    "    - '--v'",
    '    - --secure-port',
    '    - "6443"',
  ].join('\n');
  assert.equal(lineOfFlag(text, '--bind'), 6);
  assert.equal(lineOfFlag(text, '--bind-address'), 5);
  assert.equal(lineOfFlag(text, '--v'), 7);
  assert.equal(lineOfFlag(text, '--secure-port'), 8);
  assert.equal(lineOfFlag(text, '--bogus'), null);
  assert.equal(lineOfFlag(text, '-v'), 7, "Go's single-dash form names the same flag");
});

test('the last error line, else the last line', () => {
  assert.equal(
    lastErrorLine([at('E1201 first'), at('I1201 fine'), at('F1201 fatal now'), at('I1201 after')])?.text,
    'F1201 fatal now',
  );
  assert.equal(lastErrorLine([at('one'), at('two')])?.text, 'two');
  assert.equal(lastErrorLine([]), null);
});

test('a klog line as words: the header gone, message and err joined', () => {
  assert.equal(
    plainWords(
      'E1201 11:53:44.236000     429 run.go:74] "command failed" err="failed to parse kubelet flag: unknown flag: --x"',
    ),
    'command failed: failed to parse kubelet flag: unknown flag: --x',
  );
  assert.equal(plainWords('W1201 11:00:00.000000 1 a.go:2] "no err here"'), 'no err here');
  assert.equal(plainWords('Error: unknown flag: --bogus'), 'Error: unknown flag: --bogus');
});
