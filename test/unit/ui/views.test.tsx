// The screen rendered in memory (ink-testing-library): what an operator reads on an 80x24 terminal when
// the apiserver crash-loops, a stray .bak sits in the manifest directory and etcd's disk is slow.
import { diagnose } from '../../../src/model/diagnosis/diagnose.js';
import '../../helpers/force-color.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import type { NodeFacts } from '../../../src/model/facts.js';
import { LogBuffer } from '../../../src/model/log-buffer.js';
import { nodeModel } from '../../../src/model/node.js';
import type { NodeLayout } from '../../../src/node/discover.js';
import { disablePod } from '../../../src/procedures/pod.js';
import { podSubject } from '../../../src/procedures/pod-steps.js';
import { planOf } from '../../../src/procedures/procedure.js';
import { restartUnitProcedure } from '../../../src/procedures/restart-unit.js';
import type { CertificateInfo } from '../../../src/sources/certs.js';
import { scanManifestDir } from '../../../src/sources/manifests/scan.js';
import type { Container, Sandbox } from '../../../src/sources/runtime/types.js';
import { setColors } from '../../../src/ui/theme.js';
import { CertsView, certRows } from '../../../src/ui/views/CertsView.js';
import { ConfirmOverlay } from '../../../src/ui/views/ConfirmOverlay.js';
import { LogViewer } from '../../../src/ui/views/LogViewer.js';
import { MainScreen } from '../../../src/ui/views/MainScreen.js';
import { ManifestView, manifestRows } from '../../../src/ui/views/ManifestView.js';
import { ProgressOverlay } from '../../../src/ui/views/ProgressOverlay.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { container, sandbox } from '../../helpers/runtime-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-views-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ESC = '\u001b';
const BEL = '\u0007';
const NOW = Date.parse('2026-11-22T10:00:00Z');

function snapshotWith(options: { bak?: boolean } = {}): NodeFacts {
  const manifests = path.join(tmp, `manifests-${Math.random().toString(36).slice(2)}`);
  const holding = path.join(tmp, `holding-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(manifests, { mode: 0o700 });
  fs.mkdirSync(holding, { mode: 0o700 });
  for (const f of fs.readdirSync(path.join(REPO_ROOT, 'test/fixtures/kubeadm'))) {
    fs.copyFileSync(path.join(REPO_ROOT, 'test/fixtures/kubeadm', f), path.join(manifests, f));
    fs.chmodSync(path.join(manifests, f), 0o600);
  }
  if (options.bak)
    fs.copyFileSync(
      path.join(manifests, 'kube-apiserver.yaml'),
      path.join(manifests, 'kube-apiserver.yaml.bak'),
    );
  assert.deepEqual(
    scanManifestDir(manifests, { nodeName: 'master-1', role: 'manifests' })
      .files.flatMap((f) => f.findings)
      .filter((f) => f.code !== 'stray-copy' && f.code !== 'duplicate-pod'),
    [],
  );
  const nodeName = 'master-1';
  const at = (name: string, over: Partial<Container>): Container =>
    container({
      podName: `${name}-${nodeName}`,
      podUid: `uid-${name}`,
      id: `${name}-c${over.attempt ?? 0}`,
      sandboxId: `${name}-s`,
      name,
      image: 'img',
      createdAt: new Date(NOW - 600_000),
      startedAt: new Date(NOW - 600_000),
      ...over,
    });
  const podSandbox = (name: string): Sandbox =>
    sandbox({
      podName: `${name}-${nodeName}`,
      podUid: `uid-${name}`,
      id: `${name}-s`,
      createdAt: new Date(NOW - 600_000),
    });
  const names = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
  const containers = [
    at('etcd', {}),
    at('kube-apiserver', {
      state: 'exited',
      attempt: 7,
      restartCount: 7,
      exitCode: 1,
      reason: 'Error',
      finishedAt: new Date(NOW - 5_000),
    }),
    at('kube-controller-manager', { state: 'running', attempt: 2, restartCount: 2, id: 'cm-new' }),
    at('kube-controller-manager', {
      state: 'exited',
      attempt: 1,
      restartCount: 1,
      id: 'cm-old',
      exitCode: 137,
      reason: 'OOMKilled',
    }),
    at('kube-scheduler', {}),
  ];
  const layout = {
    root: '/',
    nodeName: { value: nodeName, source: 'test' },
    manifests: { value: manifests, source: 'test' },
    holding: { value: holding, source: 'test' },
    stateDir: { value: path.join(tmp, 'state'), source: 'test' },
    staticPodURL: { value: null, source: 'test' },
  } as unknown as NodeLayout;
  const health = new Map([
    ['etcd', { ok: true, statusCode: 200, latencyMs: 3, error: null, url: 'http://127.0.0.1:2381/health' }],
    [
      'kube-apiserver',
      {
        ok: false,
        statusCode: null,
        latencyMs: null,
        error: 'connection refused',
        url: 'https://127.0.0.1:6443/livez',
      },
    ],
  ]);
  const reading = (p99Ms: number, thresholdMs: number) => ({
    metric: 'm',
    p99Ms,
    meanMs: p99Ms / 2,
    window: 'interval' as const,
    windowMs: 5000,
    observations: 10,
    thresholdMs,
    verdict: p99Ms < thresholdMs ? ('ok' as const) : ('slow' as const),
  });
  return {
    layout,
    dirs: {
      manifests: scanManifestDir(manifests, { nodeName, role: 'manifests' }),
      holding: scanManifestDir(holding, { nodeName, role: 'holding' }),
    },
    intent: null,
    procedures: { current: null, last: null },
    runtime: {
      value: {
        info: {
          kind: 'cri',
          endpoint: 'unix:///run/containerd/containerd.sock',
          name: 'containerd',
          version: '1.6.20',
          apiVersion: 'v1',
        },
        sandboxes: names.map(podSandbox),
        containers,
      },
      error: null,
      at: NOW,
      choice: { kind: 'cri', endpoint: 'unix:///run/containerd/containerd.sock', source: 'test' },
    },
    kubeletUnit: {
      name: 'kubelet.service',
      value: {
        name: 'kubelet.service',
        loadState: 'loaded',
        activeState: 'active',
        subState: 'running',
        result: 'success',
        since: new Date(NOW - 3_600_000),
        nRestarts: 2,
        mainPid: 42,
        execMainStatus: 0,
        description: 'kubelet',
      },
      error: null,
      at: NOW,
    } as NodeFacts['kubeletUnit'],
    runtimeUnit: {
      name: 'containerd.service',
      value: null,
      error: 'systemd over D-Bus: cannot connect',
      at: NOW,
    },
    dbusAddress: 'unix:path=/run/dbus/system_bus_socket',
    health,
    disk: { value: null, error: null, at: null },
    etcd: {
      value: {
        url: 'http://127.0.0.1:2381/metrics',
        at: new Date(NOW),
        walFsync: reading(42, 10),
        backendCommit: reading(8, 25),
        dbSizeBytes: 3 * 1024 * 1024,
        dbSizeMetric: 'etcd_mvcc_db_total_size_in_bytes',
        dbSizeInUseBytes: null,
        hasLeader: true,
        leaderChangesTotal: 1,
        leaderChangesInWindow: 0,
        version: '3.5.0',
      },
      error: null,
      at: NOW,
    } as unknown as NodeFacts['etcd'],
    vitals: { value: null, error: null, at: null },
    certs: { value: null, error: null, at: null },
    etcdDataDir: { value: '/var/lib/etcd', source: 'test' },
    etcdCluster: { value: null, error: null, at: null },
  };
}

function mainFrame(snapshot: NodeFacts, width = 80, height = 23): string {
  const log = new LogBuffer(10);
  log.push({
    time: null,
    text: 'E1122 kubelet.go:1] "Error syncing pod" pod="kube-system/kube-apiserver-master-1"',
    origin: null,
  });
  const model = nodeModel(snapshot);
  const diagnosis = diagnose({
    facts: snapshot,
    model,
    kubeletJournal: [],
    crashLogs: [],
    etcd: null,
    now: NOW,
  });
  const { lastFrame, unmount } = render(
    <MainScreen
      facts={snapshot}
      model={model}
      diagnosis={diagnosis}
      selected={0}
      width={width}
      height={height}
      logTitle="kubelet.service journal"
      logLines={log.tail(10)}
      now={NOW}
      readOnly={false}
    />,
  );
  const frame = lastFrame() ?? '';
  unmount();
  return frame;
}

const text = (frame: string) => stripVTControlCharacters(frame);

test('80x24: the crash-looping apiserver, its exit, the API server down and the slow WAL fsync are on screen', () => {
  setColors(false);
  const frame = text(mainFrame(snapshotWith()));
  assert.match(frame, /kube-apiserver\s+enabled\s+crash-loop\s+7\s/);
  assert.match(frame, /1 Error/);
  assert.match(frame, /137 OOMKilled/, "the controller manager's previous exit");
  assert.match(frame, /API server DOWN \(connection refused\)/);
  assert.match(frame, /WAL fsync p99 42ms > 10ms SLOW/);
  assert.match(frame, /commit p99 8\.0ms \(<25ms\)/);
  assert.match(frame, /kubelet active\/running 1h00m ↻2/);
  assert.match(
    text(mainFrame(snapshotWith(), 140)),
    /containerd\.service: systemd over D-Bus: cannot connect/,
  );
  assert.match(frame, /Error syncing pod/);
  // The doctor's root cause above the alerts: the apiserver crash-looping, its fix on the next line.
  assert.match(frame, /^» kube-apiserver crash-loops \(exit 1 Error\): the API server is down/m);
  assert.match(frame, /^ {2}fix: `breakglass logs kube-apiserver --tail 50; breakglass revert/m);
  for (const line of frame.split('\n')) assert.ok(line.length <= 80, `line longer than 80: ${line}`);
  assert.ok(frame.split('\n').length <= 23);
});

test('a stray .bak that kubelet runs cannot be missed', () => {
  setColors(false);
  const frame = text(mainFrame(snapshotWith({ bak: true })));
  assert.match(frame, /! kube-apiserver\.yaml\.bak: stray copy, kubelet RUNS it/);
  assert.match(frame, /^ ! ?kube-apiserver\.yaml\.bak\s+enabled/m);
});

test('NO_COLOR: not one colour sequence; with colour: the crash loop is red', () => {
  setColors(false);
  const plain = mainFrame(snapshotWith());
  assert.doesNotMatch(plain, /\u001b\[3[0-9]m/);
  setColors(true);
  const coloured = mainFrame(snapshotWith());
  assert.match(coloured, /\u001b\[31m/);
  setColors(false);
});

test('the confirmation says what will happen and warns about the trap when the API server is down', () => {
  setColors(false);
  const snapshot = snapshotWith();
  const row = nodeModel(snapshot).pods.find((r) => r.name === 'kube-scheduler')!;
  const plan = planOf(
    restartUnitProcedure,
    { unit: 'kubelet.service', role: 'kubelet' },
    { manifestsDir: '/m', holdingDir: '/h', apiServerAnswers: false, runtimeKind: 'cri' },
  );
  const { lastFrame } = render(<ConfirmOverlay plan={plan} width={80} height={20} />);
  const frame = lastFrame() ?? '';
  assert.match(frame, /RestartUnit kubelet\.service over D-Bus/);
  assert.match(frame, /IGNORES REMOVED/);
  assert.match(frame, /y: do it/);
  const disable = planOf(
    disablePod,
    { ...podSubject(row), wait: true },
    { manifestsDir: '/m', holdingDir: '/h', apiServerAnswers: true, runtimeKind: 'cri' },
  );
  assert.match(disable.steps.join('\n'), /move kube-scheduler\.yaml from \/m to \/h/);
  assert.match(disable.steps.join('\n'), /within 20 s/);
  assert.deepEqual(disable.warnings, []);
});

test('the log viewer shows a window that ends at the newest line, and escapes never reach the terminal', () => {
  setColors(false);
  const buffer = new LogBuffer(100);
  for (let i = 0; i < 50; i++) buffer.push({ time: null, text: `line ${i}`, origin: null });
  const view = { follow: true, anchor: 0, wrap: false, search: null, searchInput: null, mark: null };
  const { lastFrame } = render(
    <LogViewer title="t" buffer={buffer} view={view} width={40} height={10} note={null} />,
  );
  const frame = lastFrame() ?? '';
  assert.match(frame, /line 49/);
  assert.doesNotMatch(frame, /line 41\b/);
  assert.ok(!frame.includes(`${ESC}]`));
});

test('manifest view: findings inline under their line', () => {
  const rows = manifestRows(
    ['apiVersion: v1', 'kind: Pod', 'metadata: {'],
    [
      { file: 'x.yaml', severity: 'error', code: 'yaml-syntax', message: 'unexpected end', line: 3 },
      { file: 'x.yaml', severity: 'warning', code: 'stray-copy', message: 'looks like a backup' },
    ],
  );
  assert.deepEqual(
    rows.map((r) => r.text),
    [
      '! looks like a backup [stray-copy]',
      '1  apiVersion: v1',
      '2  kind: Pod',
      '3  metadata: {',
      '   ^ error: unexpected end [yaml-syntax]',
    ],
  );
  setColors(false);
  const view = (over: Partial<Parameters<typeof ManifestView>[0]>) =>
    render(
      <ManifestView
        title="m"
        lines={['a: 1', '- --bogus-flag=true']}
        error={null}
        findings={[]}
        marks={[]}
        diff={null}
        scroll={0}
        width={60}
        height={8}
        readOnly={false}
        {...over}
      />,
    );
  assert.match(view({}).lastFrame() ?? '', /1 {2}a: 1/);
  // The line the doctor points at, marked with what it says.
  const marked = text(
    view({ marks: [{ line: 2, text: 'kube-apiserver exits at start' }] }).lastFrame() ?? '',
  );
  assert.match(marked, /2 {2}- --bogus-flag=true\n {3}» kube-apiserver exits at start/);
  assert.match(marked, /R revert {2}E edit {2}D diff to last healthy/);
  // The diff from the last healthy version, or why there is none.
  const diff = [
    '--- last healthy 0123456789ab',
    '+++ now',
    '@@ -1,1 +1,2 @@',
    ' a: 1',
    '+- --bogus-flag=true',
  ];
  const diffFrame =
    view({ diff: { title: 'from the last healthy', lines: diff, note: null } }).lastFrame() ?? '';
  assert.match(diffFrame, /from the last healthy/);
  assert.match(diffFrame, /^\+- --bogus-flag=true/m);
  const none = view({
    diff: { title: 't', lines: null, note: 'no version of it is known healthy yet' },
  }).lastFrame();
  assert.match(none ?? '', /no version of it is known healthy yet/);
  assert.doesNotMatch(view({ readOnly: true }).lastFrame() ?? '', /R revert/);
});

test('certificates view: expired and expiring certificates stand out, a missing one is not an error', () => {
  setColors(false);
  const cert = (
    name: string,
    status: CertificateInfo['status'],
    daysLeft: number | null,
  ): CertificateInfo => ({
    name,
    kind: 'certificate',
    path: `/etc/kubernetes/pki/${name}.crt`,
    certificatePath: null,
    subject: `CN=${name}`,
    issuer: 'CN=kubernetes',
    notBefore: new Date(NOW - 86_400_000),
    notAfter: daysLeft === null ? null : new Date(NOW + daysLeft * 86_400_000),
    residualMs: daysLeft === null ? null : daysLeft * 86_400_000,
    status,
    problem: status === 'missing' ? 'no such file' : null,
    keyMatches: null,
  });
  const certs = [
    cert('apiserver', 'expired', -2),
    cert('admin.conf', 'warning', 10),
    cert('ca', 'ok', 3000),
    cert('super-admin.conf', 'missing', null),
  ];
  const rows = certRows(certs, NOW);
  assert.deepEqual(
    rows.map((r) => [r.cells[0], r.cells[2], r.cells[3], r.tone]),
    [
      ['apiserver', 'expired 2d ago', 'expired', 'error'],
      ['admin.conf', '10d', 'warning', 'warning'],
      ['ca', '3000d', 'ok', null],
      ['super-admin.conf', '-', 'missing', 'dim'],
    ],
  );
  const frame = text(
    render(
      <CertsView certs={certs} error={null} scroll={0} width={100} height={12} now={NOW} />,
    ).lastFrame() ?? '',
  );
  assert.match(frame, /2 need attention/);
  assert.match(frame, /super-admin\.conf .*missing\s+no such file/);
});

test('a stopped kubelet and an expired certificate are alerts on the main screen', () => {
  setColors(false);
  const snapshot = snapshotWith();
  snapshot.kubeletUnit = {
    ...snapshot.kubeletUnit,
    value: { ...snapshot.kubeletUnit.value!, activeState: 'inactive', subState: 'dead' },
  };
  snapshot.certs = {
    value: [
      {
        name: 'apiserver',
        kind: 'certificate',
        path: '/p',
        certificatePath: null,
        subject: null,
        issuer: null,
        notBefore: null,
        notAfter: new Date(NOW - 1000),
        residualMs: -1000,
        status: 'expired',
        problem: null,
        keyMatches: null,
      },
    ],
    error: null,
    at: NOW,
  };
  const frame = text(mainFrame(snapshot, 140));
  assert.match(
    frame,
    /! kubelet\.service is inactive\/dead: no static pod is started, stopped or restarted; K restarts it/,
  );
  assert.match(frame, /! certificate apiserver not valid now: c shows them/);
});

test('the progress of a restart: each step with its state and time, the evidence, the way out', () => {
  setColors(false);
  const action = {
    request: { kind: 'restart-control-plane' as const, target: '' },
    title: 'Restart 2 static pods, one at a time: etcd, kube-apiserver',
    steps: [
      {
        id: 'restart:etcd',
        text: 'etcd: stop its containers',
        state: 'done' as const,
        startedAt: 0,
        endedAt: 3_000,
        detail: null,
      },
      {
        id: 'restart:kube-apiserver',
        text: `kube-apiserver: gate ${ESC}]0;owned${BEL}`,
        state: 'failed' as const,
        startedAt: 3_000,
        endedAt: 125_000,
        detail: 'no new container',
      },
    ],
    lines: ['10:00:01    probing https://127.0.0.1:6443/readyz'],
    evidence: [
      'container kube-apiserver exited (exit 1, Error)',
      'last 1 log line(s):',
      '  E1201 flag provided but not defined',
    ],
    startedAt: 0,
    outcome: { ok: false, text: 'no new container of kube-apiserver runs after 120 s' },
    resumable: true,
  };
  const { lastFrame } = render(
    <ProgressOverlay
      action={action}
      now={130_000}
      liveTitle="kube-apiserver container log"
      liveLines={[]}
      width={100}
      height={24}
    />,
  );
  const frame = lastFrame() ?? '';
  assert.match(frame, /✓ 1\.\s+3s\s+etcd: stop its containers/);
  assert.match(frame, /✗ 2\. 2m02s\s+kube-apiserver: gate/);
  assert.match(frame, /flag provided but not defined/);
  assert.match(
    frame,
    /r: retry from the failed step {3}b: roll back what ran {3}n: a new restart {3}esc: leave it as it is/,
  );
  assert.ok(!frame.includes(`${ESC}]`), 'a step text from outside cannot reach the terminal');
});
