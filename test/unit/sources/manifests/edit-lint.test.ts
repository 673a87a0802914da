// Whether an edit may replace the manifest kubelet runs, and whether kubelet would even see a new pod.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintEdit, sameDecodedPod } from '../../../../src/sources/manifests/edit-lint.js';
import { kubeadmManifest } from '../../../helpers/doctor-input.js';

const SCHEDULER = kubeadmManifest('kube-scheduler');
const POD = { name: 'kube-scheduler', namespace: 'kube-system' };

test('an edit must parse, be the same pod, and bring no new error', () => {
  assert.equal(
    lintEdit(SCHEDULER.replace('--leader-elect=true', '--leader-elect=false'), SCHEDULER, POD, 'm1').ok,
    true,
  );
  const broken = lintEdit(`${SCHEDULER}  broken: [unclosed\n`, SCHEDULER, POD, 'm1');
  assert.equal(broken.ok, false);
  assert.equal(broken.findings[0]?.code, 'yaml-syntax');
  assert.ok((broken.findings[0]?.line ?? 0) > 0);
  const renamed = lintEdit(
    SCHEDULER.replace('name: kube-scheduler\n  namespace', 'name: other\n  namespace'),
    SCHEDULER,
    POD,
    'm1',
  );
  assert.match(
    renamed.findings.map((f) => f.message).join(),
    /defines kube-system\/other, not kube-system\/kube-scheduler/,
  );
  assert.equal(lintEdit('kind: ConfigMap\napiVersion: v1\n', SCHEDULER, POD, 'm1').ok, false);
  // Fixing a file that did not parse: its old error is not held against the edit.
  assert.equal(lintEdit(SCHEDULER, `${SCHEDULER}  broken: [unclosed\n`, POD, 'm1').ok, true);
});

test('a comment, key order or quoting decodes to the same pod: kubelet keeps it running', () => {
  assert.equal(sameDecodedPod(SCHEDULER, `# a note\n${SCHEDULER}`), true);
  assert.equal(
    sameDecodedPod(SCHEDULER, SCHEDULER.replace('tier: control-plane', 'tier: "control-plane"')),
    true,
  );
  assert.equal(
    sameDecodedPod(SCHEDULER, SCHEDULER.replace('--leader-elect=true', '--leader-elect=false')),
    false,
  );
  assert.equal(sameDecodedPod(SCHEDULER, `${SCHEDULER}  broken: [unclosed\n`), false);
});
