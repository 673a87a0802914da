// The diagnosis ranks the root cause first and folds the cascade into it. Pure: kubeadm's manifests,
// what the runtime and the probes say, as a test tells them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, somethingWrong } from '../../../../src/model/diagnosis/diagnose.js';
import {
  COMPONENTS,
  doctorNode,
  kubeadmManifest,
  line,
  NOW,
  withFlag,
} from '../../../helpers/doctor-input.js';

const HTTP_500 = { ok: false, statusCode: 500, error: null };
const crashLoop = [{ state: 'exited' as const, attempt: 3, restartCount: 3, exitCode: 1, reason: 'Error' }];
const files = (over: Record<string, string>) => ({
  ...Object.fromEntries(COMPONENTS.map((c) => [`${c}.yaml`, kubeadmManifest(c)])),
  ...over,
});

test('a healthy node: nothing wrong', () => {
  const findings = diagnose(doctorNode());
  assert.deepEqual(findings, []);
  assert.equal(somethingWrong(findings), false);
});

test('an unknown flag in the apiserver manifest: one finding naming the flag and its line; the rest are its consequences', () => {
  const apiserver = withFlag(kubeadmManifest('kube-apiserver'), '--bogus-flag=true');
  const input = doctorNode({
    files: files({ 'kube-apiserver.yaml': apiserver }),
    containers: { 'kube-apiserver': crashLoop },
    health: {
      'kube-apiserver': { ok: false, statusCode: null, error: 'connection refused' },
      'kube-controller-manager': HTTP_500,
      'kube-scheduler': HTTP_500,
    },
    crashLogs: { 'kube-apiserver': [line('I1201 starting'), line('Error: unknown flag: --bogus-flag')] },
  });
  const findings = diagnose(input);
  assert.equal(findings.length, 1, JSON.stringify(findings, null, 2));
  const [f] = findings;
  assert.equal(f!.code, 'bad-flag');
  assert.equal(f!.subject, 'kube-apiserver');
  assert.match(
    f!.title,
    /does not know the flag --bogus-flag \(line 16 of \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml\)/,
  );
  const fromLog = f!.evidence.find((e) => /container log/.test(e.source))!;
  assert.equal(fromLog.text, 'Error: unknown flag: --bogus-flag');
  assert.equal(fromLog.at, new Date(NOW - 5_000).toISOString());
  const fromFile = f!.evidence.find((e) => e.line !== undefined)!;
  assert.deepEqual([fromFile.line, fromFile.text], [16, '- --bogus-flag=true']);
  assert.deepEqual(f!.consequences, [
    'kube-controller-manager fails its health probe (HTTP 500): it needs kube-apiserver',
    'kube-scheduler fails its health probe (HTTP 500): it needs kube-apiserver',
    'the API server is down: kubectl, the controllers and every dashboard are blind',
  ]);
  assert.match(f!.fix.command!, /breakglass revert kube-apiserver/);
});

test('caught between two exits (kubelet has just started it again): still the flag; once the flag is gone from the manifest, not', () => {
  const restarted = [
    { state: 'exited' as const, attempt: 0, restartCount: 0, exitCode: 1, reason: 'Error' },
    { state: 'running' as const, attempt: 1, restartCount: 1 },
  ];
  const spec = (manifest: string) =>
    doctorNode({
      files: files({ 'kube-apiserver.yaml': manifest }),
      containers: { 'kube-apiserver': restarted },
      health: { 'kube-apiserver': { ok: false, statusCode: null, error: 'connection refused' } },
      crashLogs: { 'kube-apiserver': [line('Error: unknown flag: --bogus-flag')] },
    });
  const [f] = diagnose(spec(withFlag(kubeadmManifest('kube-apiserver'), '--bogus-flag=true')));
  assert.equal(f!.code, 'bad-flag', JSON.stringify(f, null, 2));
  assert.match(f!.fix.text, /remove --bogus-flag on line 16/);
  const [fixed] = diagnose(spec(kubeadmManifest('kube-apiserver')));
  assert.notEqual(fixed?.code, 'bad-flag', 'the flag is gone from the manifest: not the cause now');
});

test('a value the component cannot parse is named too', () => {
  const input = doctorNode({
    containers: { 'kube-scheduler': crashLoop },
    health: { 'kube-scheduler': { ok: false, statusCode: null, error: 'refused' } },
    crashLogs: {
      'kube-scheduler': [
        line(
          'Error: invalid argument "maybe" for "--leader-elect" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
        ),
      ],
    },
  });
  const [f] = diagnose(input);
  assert.equal(f!.code, 'bad-flag');
  assert.match(
    f!.title,
    /kube-scheduler exits at start: it cannot parse the value of --leader-elect \(line 18 of/,
  );
});

test("etcd's manifest does not parse: the API server and everything after it are consequences of that one file", () => {
  const input = doctorNode({
    files: files({ 'etcd.yaml': `${kubeadmManifest('etcd')}  broken: [unclosed\n` }),
    containers: { etcd: [] },
    health: { 'kube-apiserver': HTTP_500, 'kube-controller-manager': HTTP_500, 'kube-scheduler': HTTP_500 },
  });
  const findings = diagnose(input);
  assert.equal(findings[0]!.code, 'manifest-unparsable');
  assert.equal(findings[0]!.subject, 'etcd');
  assert.ok(findings[0]!.evidence.some((e) => e.line !== undefined && /YAML syntax error/.test(e.text)));
  assert.deepEqual(findings[0]!.consequences, [
    'kube-apiserver fails its health probe (HTTP 500): it needs etcd',
    'kube-controller-manager fails its health probe (HTTP 500): it needs kube-apiserver',
    'kube-scheduler fails its health probe (HTTP 500): it needs kube-apiserver',
    'the API server is down: kubectl, the controllers and every dashboard are blind',
  ]);
  assert.equal(findings.length, 1, JSON.stringify(findings.map((f) => f.code)));
});

test('the API server down with no reason found: its own finding; the controller manager and scheduler are consequences', () => {
  const input = doctorNode({
    health: {
      'kube-apiserver': { ok: false, statusCode: 503, error: null },
      'kube-controller-manager': HTTP_500,
      'kube-scheduler': HTTP_500,
    },
  });
  const findings = diagnose(input);
  assert.deepEqual(
    findings.map((f) => f.code),
    ['apiserver-down'],
  );
  assert.equal(findings[0]!.consequences.length, 2);
});

test('kubelet stopped comes before what it leaves undone, with the last error from its journal', () => {
  const input = doctorNode({
    kubelet: { activeState: 'inactive', subState: 'dead', since: new Date(NOW - 60_000) },
    containers: { 'kube-scheduler': [{ state: 'exited', exitCode: 0 }] },
    health: { 'kube-scheduler': { ok: false, statusCode: null, error: 'refused' } },
    journal: [
      { ...line('E1201 11:00:00.000000 1 old.go:1] "long ago"', NOW - 3_600_000), level: 'error' },
      {
        ...line(
          'E1201 11:59:00.000000 1 server.go:1] "Failed to run kubelet" err="no runtime"',
          NOW - 61_000,
        ),
        level: 'error',
      },
    ],
  });
  const findings = diagnose(input);
  assert.equal(findings[0]!.code, 'kubelet-stopped');
  assert.ok(
    findings[0]!.evidence.some((e) => /Failed to run kubelet/.test(e.text)),
    'the last words before it stopped',
  );
  assert.ok(!findings[0]!.evidence.some((e) => /long ago/.test(e.text)), 'not a line from another time');
  assert.deepEqual(findings[0]!.consequences, ['kube-scheduler exited (0)']);
  assert.equal(findings.length, 1);
});

test('the runtime dead or hung: the first finding, with its unit state', () => {
  const input = doctorNode({
    runtimeError:
      'unix:///run/containerd/containerd.sock: no answer to ListPodSandbox in time (the runtime is hung or overloaded)',
    facts: {
      runtimeUnit: {
        name: 'containerd.service',
        value: {
          name: 'containerd.service',
          loadState: 'loaded',
          activeState: 'active',
          subState: 'running',
        },
        error: null,
        at: NOW,
      },
    } as never,
  });
  const [f] = diagnose(input);
  assert.equal(f!.code, 'runtime-down');
  assert.match(f!.title, /hangs/);
  assert.match(f!.fix.command!, /breakglass restart-unit containerd\.service/);
});

test('a runtime that answers while its expected unit is inactive is said so, not shown as dead', () => {
  const input = doctorNode({
    facts: {
      runtimeUnit: {
        name: 'containerd.service',
        value: { name: 'containerd.service', loadState: 'loaded', activeState: 'inactive', subState: 'dead' },
        error: null,
        at: NOW,
      },
    } as never,
  });
  const findings = diagnose(input);
  assert.deepEqual(
    findings.map((f) => [f.code, f.severity]),
    [['runtime-not-its-unit', 'info']],
  );
  assert.equal(somethingWrong(findings), false);
});

test('a certificate not valid yet blames the clock, and names who it breaks', () => {
  const cert = {
    name: 'apiserver-etcd-client',
    kind: 'certificate',
    path: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
    status: 'not-yet-valid',
    notBefore: new Date(NOW + 3 * 86_400_000),
    notAfter: new Date(NOW + 300 * 86_400_000),
    subject: 'CN=kube-apiserver-etcd-client',
  };
  const input = doctorNode({
    facts: { certs: { value: [cert], error: null, at: NOW } } as never,
    health: { 'kube-apiserver': HTTP_500, 'kube-controller-manager': HTTP_500, 'kube-scheduler': HTTP_500 },
  });
  const findings = diagnose(input);
  assert.equal(findings[0]!.code, 'certificate-not-yet-valid');
  assert.match(findings[0]!.title, /3 day\(s\) ahead of this node's clock, so the clock is behind/);
  assert.match(findings[0]!.title, /the API server cannot reach etcd/);
  assert.ok(findings[0]!.consequences.some((c) => /^kube-apiserver fails/.test(c)));
  assert.equal(findings.length, 1, 'the API server down is its consequence');
});

test('a stray copy kubelet runs is blamed, and the duplicate on the copy', () => {
  const input = doctorNode({
    files: files({ 'kube-apiserver.yaml.bak': kubeadmManifest('kube-apiserver') }),
  });
  // The lint rules of the scan: the copy carries the error.
  const bak = input.model.pods.find((p) => p.file === 'kube-apiserver.yaml.bak')!;
  bak.findings.push({ file: bak.file!, severity: 'error', code: 'stray-copy', message: 'a backup name' });
  const [f] = diagnose({ ...input, model: { ...input.model } });
  assert.equal(f!.code, 'stray-copy');
  assert.match(f!.fix.command!, /breakglass disable kube-apiserver\.yaml\.bak/);
});

test('an expired certificate that breaks nothing down ranks after the bad flag that is the outage', () => {
  const apiserver = withFlag(kubeadmManifest('kube-apiserver'), '--bogus-flag=true');
  const cert = {
    name: 'front-proxy-client',
    kind: 'certificate',
    path: '/etc/kubernetes/pki/front-proxy-client.crt',
    status: 'expired',
    notBefore: new Date(NOW - 400 * 86_400_000),
    notAfter: new Date(NOW - 30 * 86_400_000),
    subject: 'CN=front-proxy-client',
  };
  const input = doctorNode({
    files: files({ 'kube-apiserver.yaml': apiserver }),
    containers: { 'kube-apiserver': crashLoop },
    health: {
      'kube-apiserver': { ok: false, statusCode: null, error: 'refused' },
      'kube-controller-manager': HTTP_500,
    },
    crashLogs: { 'kube-apiserver': [line('Error: unknown flag: --bogus-flag')] },
    facts: { certs: { value: [cert], error: null, at: NOW } } as never,
  });
  assert.deepEqual(
    diagnose(input).map((f) => f.code),
    ['bad-flag', 'certificate-expired'],
  );
});

test("a certificate that is not for its key is the cause of its pod's crash loop, renewed by breakglass", () => {
  const cert = {
    name: 'apiserver',
    kind: 'certificate',
    path: '/etc/kubernetes/pki/apiserver.crt',
    status: 'ok',
    notBefore: new Date(NOW - 86_400_000),
    notAfter: new Date(NOW + 300 * 86_400_000),
    subject: 'CN=kube-apiserver',
    keyMatches: false,
  };
  const input = doctorNode({
    containers: { 'kube-apiserver': crashLoop },
    health: {
      'kube-apiserver': { ok: false, statusCode: null, error: 'refused' },
      'kube-controller-manager': HTTP_500,
      'kube-scheduler': HTTP_500,
    },
    crashLogs: {
      'kube-apiserver': [
        line(
          'E1201 run.go:72] "command failed" err="error:05800074:x509 certificate routines::key values mismatch"',
        ),
      ],
    },
    facts: { certs: { value: [cert], error: null, at: NOW } } as never,
  });
  const findings = diagnose(input);
  const first = findings[0]!;
  assert.equal(first.code, 'certificate-key-mismatch');
  assert.match(
    first.title,
    /the apiserver certificate is not for its key: kube-apiserver cannot load the pair and does not start/,
  );
  assert.equal(first.fix.command, 'breakglass certs renew apiserver');
  assert.match(
    first.evidence[0]!.text,
    /the public key in \/etc\/kubernetes\/pki\/apiserver\.crt is not that of \/etc\/kubernetes\/pki\/apiserver\.key/,
  );
  assert.ok(
    first.consequences.some((c) => /^kube-apiserver/.test(c)),
    JSON.stringify(findings, null, 2),
  );
});
