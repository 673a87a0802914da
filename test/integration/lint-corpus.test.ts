// A corpus of broken and suspicious static pod directories. Each case is built on the real filesystem
// in a fresh temp directory and linted by the real binary, as an operator would run it on a node, and
// states every finding it must produce: nothing more, nothing less. The rule it checks against is
// kubelet's: every regular file whose name does not start with a dot is parsed as a pod.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Finding } from '../../src/sources/manifests/types.js';
import { CASES } from '../fixtures/lint-corpus/cases.js';
import type { Expected, LintJson } from '../fixtures/lint-corpus/corpus.js';
import { makeTempDir } from '../helpers/node-root.js';
import { breakglassJson } from '../helpers/run.js';

// ---------------------------------------------------------------------------------------------
// Running them

function asExpected(f: Finding): Expected {
  const e: Expected = { file: f.file, severity: f.severity, code: f.code };
  if (f.line !== undefined) e.line = f.line;
  if (f.column !== undefined) e.column = f.column;
  return e;
}

function sorted(findings: Expected[]): Expected[] {
  const key = (f: Expected) => [f.file, f.code, f.severity, f.line ?? 0, f.column ?? 0].join('\0');
  return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

test('the corpus has at least 30 broken or suspicious directories, each named once', () => {
  const names = CASES.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(CASES.length - 1 >= 30, `${CASES.length - 1} cases`);
});

for (const c of CASES) {
  test(c.name, () => {
    const tmp = makeTempDir('breakglass-lint-corpus-');
    try {
      const dir = path.join(tmp, 'manifests');
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chmodSync(dir, 0o700);
      c.build(dir, tmp);

      const run = breakglassJson<LintJson>(['lint', '--manifests', dir, '--node-name', 'master-1']);
      const expected = typeof c.expect === 'function' ? c.expect(dir) : c.expect;
      const context = `${c.name}\n${run.result.stdout}${run.result.stderr}`;

      assert.equal(run.json.dir, dir);
      assert.deepEqual(sorted(run.json.findings.map(asExpected)), sorted(expected), context);
      for (const f of run.json.findings) {
        assert.ok(f.message.length > 0, `${f.code} has no message`);
        assert.doesNotMatch(f.file, /[\x00-\x1f\x7f-\x9f]/, 'a raw control character in a file name');
      }
      const exit = c.exit ?? (expected.some((f) => f.severity === 'error') ? 1 : 0);
      assert.equal(run.result.status, exit, context);
      assert.doesNotMatch(run.result.stderr, /^\s+at /m, 'a stack trace');
      c.also?.(run, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
