// The manifest history and `revert` against the lab (real kubelet stand-in, containerd, etcd, systemd): a
// hand edit that breaks the API server (the lab's fault apiserver-bad-flag: `- --bogus-flag=true`) is
// reverted to the last healthy version; a kill -9 at each point of the swap is recovered to exactly one
// intact manifest; the path unit, in the lab's systemd, records a hand edit made while no breakglass runs.
// Checked on the node: the file's bytes, the runtime's containers, the API server's own /healthz.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPaths } from '../../scripts/lab/daemons/paths.js';
import { labPorts } from '../../scripts/lab/node.js';
import { systemctl } from '../../scripts/lab/systemd/units.js';
import { sha256 } from '../../src/util/fsx.js';
import { labEnv } from '../helpers/lab.js';
import { jsonLines, labHealthy } from '../helpers/restart.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();
const nodeFlags = ['--root', lab.nodeRoot, '--dbus', lab.dbusAddress];
const manifests = path.join(lab.nodeRoot, 'etc/kubernetes/manifests');
const apiserver = path.join(manifests, 'kube-apiserver.yaml');
const historyDir = path.join(lab.nodeRoot, 'var/lib/breakglass/manifest-history');
const GOOD = fs.readFileSync(apiserver);
const BAD = Buffer.from(
  GOOD.toString('utf8').replace(
    /^(\s*)- --allow-privileged=true$/m,
    '$1- --bogus-flag=true\n$1- --allow-privileged=true',
  ),
);
const T = { timeout: 240_000 };

interface StatusPod {
  name: string | null;
  enabled: boolean;
  phase: string;
  containers: { state: string; id: string }[];
}

const status = () => breakglassJson<{ staticPods: StatusPod[] }>(['status', ...nodeFlags]).json;
const apiPod = () => status().staticPods.find((p) => p.name === 'kube-apiserver' && p.enabled);
const running = () =>
  apiPod()
    ?.containers.filter((c) => c.state === 'running')
    .map((c) => c.id) ?? [];
const apiHealthz = async () =>
  (await componentHealth(labPorts(lab.portOffset))).find((h) => h.name === 'kube-apiserver')!;

/** Writes the manifest as a person's editor would (in place). */
function handEdit(file: string, data: Buffer): void {
  fs.writeFileSync(file, data);
}

after(async () => {
  if (!fs.readFileSync(apiserver).equals(GOOD)) handEdit(apiserver, GOOD);
  await labHealthy(lab.portOffset);
});

test('history --record keeps every manifest once, marked healthy, in a private directory', T, async () => {
  await labHealthy(lab.portOffset);
  const first = breakglass(['history', '--record', ...nodeFlags]);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(breakglass(['history', '--record', ...nodeFlags]).stdout, 'nothing new to record\n');
  assert.equal(fs.statSync(historyDir).mode & 0o777, 0o700);
  const object = path.join(historyDir, 'objects', sha256(GOOD));
  assert.equal(fs.statSync(object).mode & 0o777, 0o600);
  assert.deepEqual(fs.readFileSync(object), GOOD);
  const shown = breakglassJson<{ current: string; lastKnownHealthy: string }>([
    'history',
    'kube-apiserver',
    ...nodeFlags,
  ]).json;
  assert.equal(shown.current, sha256(GOOD));
  assert.equal(shown.lastKnownHealthy, sha256(GOOD));
});

test(
  'a hand edit that breaks the API server is reverted: the healthy bytes back, a new container, /healthz answers',
  T,
  async () => {
    const before = running();
    handEdit(apiserver, BAD);
    await until('the API server crash-looping on the bad flag', () => apiPod()?.phase === 'crash-loop', {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const history = breakglassJson<{
      versions: { sha256: string; diff: string | null; lastKnownHealthy: boolean }[];
    }>(['history', 'kube-apiserver', ...nodeFlags]).json;
    assert.equal(history.versions[0]!.sha256, sha256(BAD), 'status recorded the bad edit');
    assert.match(history.versions[0]!.diff ?? '', /^\+\s+- --bogus-flag=true$/m);
    assert.ok(history.versions[1]!.lastKnownHealthy);

    const result = breakglass(['revert', 'kube-apiserver', '--yes', '--json', ...nodeFlags], {
      timeout: 180_000,
    });
    const lines = jsonLines(result.stdout);
    const last = lines.at(-1)!;
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(last.ok, true);
    assert.equal(last.sha256, sha256(GOOD));
    assert.deepEqual(fs.readFileSync(apiserver), GOOD, 'the file holds the healthy bytes again');
    assert.equal(fs.statSync(apiserver).mode & 0o777, 0o600);
    assert.deepEqual(
      fs.readdirSync(manifests).filter((n) => n.includes('kube-apiserver')),
      ['kube-apiserver.yaml'],
      'no temp file left beside it',
    );
    const now = running();
    assert.ok(now.length > 0 && now.every((id) => !before.includes(id)), 'the runtime runs a new container');
    assert.ok((await apiHealthz()).healthy, 'the API server answers /healthz');
    // The bad version stays in the history, and the audit log has the change.
    const after = breakglassJson<{ versions: { sha256: string; source: string }[] }>([
      'history',
      'kube-apiserver',
      ...nodeFlags,
    ]).json;
    assert.deepEqual(
      after.versions.slice(0, 2).map((v) => [v.sha256, v.source]),
      [
        [sha256(GOOD), 'revert'],
        [sha256(BAD), 'seen'],
      ],
    );
    const audit = fs.readFileSync(path.join(lab.nodeRoot, 'var/lib/breakglass/audit.log'), 'utf8');
    assert.match(
      audit,
      new RegExp(
        `"action":"revert","file":"kube-apiserver.yaml".*"sha256After":"${sha256(GOOD)}","outcome":"ok"`,
      ),
    );
  },
);

const CRASHPOINTS = [
  'replace-after-intent',
  'replace-after-temp',
  'replace-after-rename',
  'replace-after-sync',
  'replace-after-audit',
];

for (const point of CRASHPOINTS) {
  test(
    `kill -9 at ${point}, then recover: the manifest exactly once, old or new, never torn`,
    T,
    async () => {
      await labHealthy(lab.portOffset);
      handEdit(apiserver, BAD);
      breakglass(['history', '--record', ...nodeFlags]);
      const crashed = breakglass(['revert', 'kube-apiserver', '--yes', ...nodeFlags], {
        env: { ...process.env, BREAKGLASS_CRASHPOINT: point },
        timeout: 60_000,
      });
      assert.equal(crashed.signal, 'SIGKILL', `${crashed.stdout}\n${crashed.stderr}`);
      const recovered = breakglass(['recover', '--json', ...nodeFlags]);
      assert.equal(recovered.status, 0, recovered.stdout + recovered.stderr);
      const report = JSON.parse(recovered.stdout) as {
        recovered: { action: string; outcome: string } | null;
      };
      const names = fs.readdirSync(manifests).filter((n) => n.includes('kube-apiserver'));
      assert.deepEqual(names, ['kube-apiserver.yaml'], 'exactly one file, no temp left');
      const bytes = fs.readFileSync(apiserver);
      assert.ok(bytes.equals(GOOD) || bytes.equals(BAD), 'the old or the new bytes, whole');
      // Before the rename the swap is undone (a temp file is finished only when whole); after, completed.
      const expected = ['replace-after-intent'].includes(point) ? BAD : GOOD;
      assert.deepEqual(bytes, expected);
      assert.equal(report.recovered?.action, 'replace');
      assert.ok(!fs.existsSync(path.join(lab.nodeRoot, 'var/lib/breakglass/intent.json')));
      if (!bytes.equals(GOOD)) handEdit(apiserver, GOOD);
      await labHealthy(lab.portOffset);
    },
  );
}

test('the path unit, in the lab systemd, records a hand edit made while no breakglass runs', T, async () => {
  const paths = labPaths(lab.dir);
  const scheduler = path.join(manifests, 'kube-scheduler.yaml');
  const good = fs.readFileSync(scheduler);
  const installed = breakglass(['history', '--install-watch', ...nodeFlags]);
  assert.equal(installed.status, 0, installed.stderr);
  try {
    assert.equal(systemctl(paths, ['is-active', 'breakglass-manifest-history.path']).trim(), 'active');
    assert.equal(systemctl(paths, ['is-enabled', 'breakglass-manifest-history.path']).trim(), 'enabled');
    const edited = Buffer.concat([good, Buffer.from(`# hand edit ${Date.now()}\n`)]);
    handEdit(scheduler, edited);
    const log = path.join(historyDir, 'kube-scheduler.yaml.jsonl');
    await until(
      'the path unit recording the edit',
      () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes(sha256(edited)),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.deepEqual(fs.readFileSync(path.join(historyDir, 'objects', sha256(edited))), edited);
    assert.deepEqual(
      fs.readFileSync(path.join(historyDir, 'objects', sha256(good))),
      good,
      'and the version before it',
    );
  } finally {
    handEdit(scheduler, good);
    const removed = breakglass(['history', '--remove-watch', ...nodeFlags]);
    assert.equal(removed.status, 0, removed.stderr);
  }
  assert.throws(() => systemctl(paths, ['is-enabled', 'breakglass-manifest-history.path']));
  assert.ok(!fs.existsSync(path.join(lab.nodeRoot, 'etc/systemd/system/breakglass-manifest-history.path')));
});
