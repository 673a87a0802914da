// The unified diff between two versions of a manifest, as `diff -u` shows it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedDiff } from '../../../src/util/text-diff.js';

test('a changed flag as a unified diff with its context; equal texts give nothing', () => {
  const before = 'spec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --secure-port=6443\n';
  const after = before.replace('    - kube-apiserver\n', '    - kube-apiserver\n    - --bogus-flag=true\n');
  assert.equal(
    unifiedDiff(before, after, 'old', 'new'),
    '--- old\n+++ new\n@@ -2,4 +2,5 @@\n   containers:\n   - command:\n     - kube-apiserver\n+    - --bogus-flag=true\n     - --secure-port=6443\n',
  );
  assert.equal(unifiedDiff(before, before, 'a', 'b'), '');
});
