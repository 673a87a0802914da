// The guided restart on the lab (real etcd, containerd, the kubelet stand-in, systemd): the whole control
// plane in kubeadm's order with a snapshot first; a gate that fails stops there and leaves the later
// pods alone; a run followed from another terminal, cancelled, resumed and rolled back; a second change
// refused while one runs. Checked on the node: the runtime's own tools (ctr), the health endpoints,
// etcdctl on the snapshot, the files and the audit log.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { KubeApi, readKubeconfig } from '../../src/clients/kube-api.js';
import { labEnv } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { makeTempDir } from '../helpers/node-root.js';
import { type NodeRuntime, runningContainers } from '../helpers/node-runtime.js';
import {
  breakControllerManager as breakCm,
  CONTROL_PLANE,
  labHealthy as healthyLab,
  type JsonLine,
  jsonLines,
} from '../helpers/restart.js';
import { breakglass, breakglassAsync, breakglassJson, startBreakglass } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();
const nodeFlags = ['--root', lab.nodeRoot, '--dbus', lab.dbusAddress];
const kube = path.join(lab.nodeRoot, 'etc/kubernetes');
const manifests = path.join(kube, 'manifests');
const holding = path.join(kube, 'breakglass/disabled');
const stateDir = path.join(lab.nodeRoot, 'var/lib/breakglass');
const runtime: NodeRuntime = { kind: 'cri', socket: lab.containerdSocket, nodeName: NODE_NAME };

/** The manifests as they are: every file, its bytes. */
function manifestFiles(): Map<string, string> {
  return new Map(fs.readdirSync(manifests).map((n) => [n, fs.readFileSync(path.join(manifests, n), 'utf8')]));
}

function audited(): { action: string; file: string; outcome: string; message?: string }[] {
  return fs
    .readFileSync(path.join(stateDir, 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

const labHealthy = () => healthyLab(lab.portOffset);
const breakControllerManager = () => breakCm(lab.nodeRoot);

describe('the guided restart on the lab', { timeout: 1_200_000 }, () => {
  after(async () => {
    const record = path.join(stateDir, 'procedure.json');
    if (fs.existsSync(record)) breakglass(['recover', ...nodeFlags]);
    for (const file of fs.existsSync(holding) ? fs.readdirSync(holding) : []) {
      breakglass(['enable', file, ...nodeFlags]);
    }
    await labHealthy();
  });

  test('restart --all: a snapshot etcdctl accepts, then each pod in order with a new container, all healthy', async () => {
    await labHealthy();
    const before = new Map(CONTROL_PLANE.map((p) => [p, runningContainers(runtime, p)]));
    const files = manifestFiles();
    const r = breakglass(['restart', '--all', '--yes', '--json', ...nodeFlags], { timeout: 600_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const lines = jsonLines(r.stdout);
    const started = lines.find((l) => l.event === 'started') as { pid: number; id: string } | undefined;
    assert.ok(started && started.pid > 0, 'the run says where it runs');
    assert.deepEqual(
      lines.filter((l) => l.event === 'step').map((l) => l.id),
      ['etcd-quorum', 'etcd-snapshot', ...CONTROL_PLANE.map((p) => `restart:${p}`)],
    );
    const result = lines.at(-1)!;
    assert.equal(result.ok, true);
    assert.equal(result.text, '4 static pods restarted, each with a new container that passed its gate');
    // The node: new containers for every pod, every endpoint healthy, the manifests as they were.
    for (const pod of CONTROL_PLANE) {
      const now = runningContainers(runtime, pod);
      assert.ok(
        now.length > 0 && now.every((id) => !before.get(pod)!.includes(id)),
        `${pod}: a new container`,
      );
    }
    assert.ok((await componentHealth(labPorts(lab.portOffset))).every((h) => h.healthy));
    assert.deepEqual(manifestFiles(), files, 'no manifest changed, none left behind');
    // In kubeadm's order, each stop only after the one before passed its gate.
    const order = audited()
      .filter((a) => a.action === 'restart-containers' || a.action === 'disable')
      .slice(-4)
      .map((a) =>
        a.file
          .replace(/^kube-system\//, '')
          .replace(`-${NODE_NAME}`, '')
          .replace(/\.yaml$/, ''),
      );
    assert.deepEqual(order, CONTROL_PLANE);
    // The snapshot: private, whole, accepted and restorable by etcd's own tool.
    const snapshot = audited()
      .filter((a) => a.action === 'snapshot')
      .at(-1)!;
    assert.equal(snapshot.outcome, 'ok');
    assert.equal(fs.statSync(snapshot.file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(snapshot.file)).mode & 0o777, 0o700);
    const status = spawnSync('etcdctl', ['snapshot', 'status', snapshot.file, '-w', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    assert.equal(status.status, 0, status.stderr);
    assert.ok(JSON.parse(status.stdout).totalKey > 0);
    const restoreDir = path.join(makeTempDir(), 'restored');
    const restore = spawnSync('etcdctl', ['snapshot', 'restore', snapshot.file, '--data-dir', restoreDir], {
      encoding: 'utf8',
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    assert.equal(restore.status, 0, `etcdctl checks the trailing hash on restore: ${restore.stderr}`);
    fs.rmSync(path.dirname(restoreDir), { recursive: true, force: true });
    // The record: archived with its outcome, none current.
    assert.ok(!fs.existsSync(path.join(stateDir, 'procedure.json')));
    const record = JSON.parse(
      fs.readFileSync(path.join(stateDir, 'procedures', `${started.id}.json`), 'utf8'),
    );
    assert.equal(record.end.ok, true);
    assert.ok(record.steps.every((s: { status: string }) => s.status === 'done'));
  });

  test('a gate that fails stops there; followed from another terminal, cancelled, then resumed once fixed', async () => {
    await labHealthy();
    const schedulerBefore = runningContainers(runtime, 'kube-scheduler');
    const fix = breakControllerManager();
    try {
      const run = startBreakglass([
        'restart',
        'kube-controller-manager',
        'kube-scheduler',
        '--gate-timeout',
        '90',
        '--yes',
        '--json',
        ...nodeFlags,
      ]);
      const exited = new Promise<number | null>((resolve) => run.child.on('exit', (code) => resolve(code)));
      await until(
        'the controller manager restarting',
        () => /"id":"restart:kube-controller-manager"/.test(run.stdout()),
        {
          timeoutMs: 60_000,
        },
      );
      // A second change is refused while it runs, naming it.
      const refused = breakglass(['disable', 'kube-scheduler', ...nodeFlags]);
      assert.equal(refused.status, 1);
      assert.match(
        refused.stderr,
        /another change is in progress: held by pid \d+ .*restart kube-controller-manager/,
      );
      // Another terminal follows it: every event so far, then what comes.
      const attached = breakglassAsync(['restart', '--attach', '--json', ...nodeFlags], {
        timeoutMs: 120_000,
      });
      await new Promise((r) => setTimeout(r, 2_000));
      const cancel = breakglass(['restart', '--cancel', ...nodeFlags]);
      assert.equal(cancel.status, 0, cancel.stderr);
      assert.equal(await exited, 1);
      const result = jsonLines(run.stdout()).at(-1)!;
      assert.equal(result.ok, false);
      assert.match(String(result.text), /stopped waiting \(cancelled\)/);
      const followed = await attached;
      assert.equal(followed.status, 1);
      assert.deepEqual(jsonLines(followed.stdout).at(-1), result, 'the follower saw the same end');
      assert.ok(
        jsonLines(followed.stdout).some(
          (l) => l.event === 'step' && l.id === 'restart:kube-controller-manager',
        ),
      );
      assert.deepEqual(
        runningContainers(runtime, 'kube-scheduler'),
        schedulerBefore,
        'the later pod untouched',
      );
      const alerts = breakglassJson<{ alerts: { code: string }[] }>(['status', ...nodeFlags]).json.alerts;
      assert.ok(alerts.some((a) => a.code === 'procedure-failed'));
    } finally {
      fix();
    }
    const resumed = breakglass(['restart', '--resume', '--yes', '--json', ...nodeFlags], {
      timeout: 300_000,
    });
    assert.equal(resumed.status, 0, `${resumed.stdout}\n${resumed.stderr}`);
    const lines = jsonLines(resumed.stdout);
    assert.deepEqual(
      lines.filter((l) => l.event === 'step').map((l) => l.id),
      ['restart:kube-controller-manager', 'restart:kube-scheduler'],
    );
    assert.ok(runningContainers(runtime, 'kube-scheduler').every((id) => !schedulerBefore.includes(id)));
    await labHealthy();
  });

  test('a gate that fails says why (the exit, the last log lines); roll back puts every manifest in place and its pod runs', async () => {
    await labHealthy();
    const schedulerBefore = runningContainers(runtime, 'kube-scheduler');
    const fix = breakControllerManager();
    let lines: JsonLine[];
    try {
      const r = breakglass(
        [
          'restart',
          'kube-controller-manager',
          'kube-scheduler',
          '--method',
          'move',
          '--gate-timeout',
          '20',
          '--yes',
          '--json',
          ...nodeFlags,
        ],
        { timeout: 300_000 },
      );
      assert.equal(r.status, 1, r.stdout);
      lines = jsonLines(r.stdout);
    } finally {
      fix();
    }
    const failed = lines.find((l) => l.event === 'step-done' && l.ok === false) as {
      id: string;
      evidence: string[];
    };
    assert.equal(failed.id, 'restart:kube-controller-manager');
    assert.ok(
      failed.evidence.some((e) => /exit 1/.test(e)),
      failed.evidence.join('\n'),
    );
    assert.ok(
      failed.evidence.some((e) => /controller-manager\.conf/.test(e)),
      failed.evidence.join('\n'),
    );
    assert.ok(!lines.some((l) => l.event === 'step' && l.id === 'restart:kube-scheduler'));
    assert.deepEqual(
      runningContainers(runtime, 'kube-scheduler'),
      schedulerBefore,
      'the later pod untouched',
    );
    assert.ok(
      fs.existsSync(path.join(manifests, 'kube-controller-manager.yaml')),
      'the move method put it back',
    );
    const rolled = breakglass(['restart', '--rollback', '--yes', '--json', ...nodeFlags], {
      timeout: 300_000,
    });
    assert.equal(rolled.status, 0, `${rolled.stdout}\n${rolled.stderr}`);
    assert.deepEqual(
      jsonLines(rolled.stdout)
        .filter((l) => l.event === 'step')
        .map((l) => l.id),
      ['undo:restart:kube-controller-manager'],
    );
    await until(
      'the controller manager running',
      () => runningContainers(runtime, 'kube-controller-manager').length > 0,
      {
        timeoutMs: 120_000,
      },
    );
    const again = breakglass(['restart', '--resume', ...nodeFlags]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no unfinished restart to resume/);
    await labHealthy();
  });

  test('--cordon: the node unschedulable while a pod restarts, schedulable after; skipped, and said, while the API server is down', async () => {
    await labHealthy();
    const api = new KubeApi(await readKubeconfig(path.join(kube, 'admin.conf'), { root: lab.nodeRoot }));
    assert.equal((await api.getNode(NODE_NAME)).unschedulable, false);
    let seenCordoned = false;
    let running = true;
    const watching = (async () => {
      while (running) {
        if ((await api.getNode(NODE_NAME).catch(() => null))?.unschedulable) seenCordoned = true;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await breakglassAsync(
      ['restart', 'kube-scheduler', '--cordon', '--yes', '--json', ...nodeFlags],
      {
        timeoutMs: 300_000,
      },
    );
    running = false;
    await watching;
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.deepEqual(
      jsonLines(r.stdout)
        .filter((l) => l.event === 'step')
        .map((l) => l.id),
      ['cordon', 'restart:kube-scheduler', 'uncordon'],
    );
    assert.ok(seenCordoned, 'the API server showed the node unschedulable during the restart');
    assert.equal((await api.getNode(NODE_NAME)).unschedulable, false, 'schedulable again after it');
    const order = audited()
      .slice(-10)
      .map((a) => (a.action === 'restart-containers' || a.action === 'disable' ? 'stop' : a.action))
      .filter((a) => a === 'cordon' || a === 'stop' || a === 'uncordon');
    assert.deepEqual(order, ['cordon', 'stop', 'uncordon']);
    // With the API server down there is nobody to tell: the plan says the cordon is skipped, and it is.
    assert.equal(breakglass(['disable', 'kube-apiserver', ...nodeFlags]).status, 0);
    try {
      await until(
        'the API server gone',
        async () => (await api.getNode(NODE_NAME).catch(() => null)) === null,
        {
          timeoutMs: 60_000,
          intervalMs: 300,
        },
      );
      const down = breakglass(['restart', 'etcd', '--cordon', '--yes', '--json', ...nodeFlags], {
        timeout: 300_000,
      });
      assert.equal(down.status, 0, `${down.stdout}\n${down.stderr}`);
      const lines = jsonLines(down.stdout);
      const plan = lines.find((l) => l.event === 'plan') as { plan: { steps: string[] } };
      assert.match(
        plan.plan.steps[0]!,
        /cordon lab-master: skipped unless the API server answers by then \(it does not now\)/,
      );
      const cordon = lines.find((l) => l.event === 'step-done' && l.id === 'cordon') as {
        ok: boolean;
        detail: string;
      };
      assert.equal(cordon.ok, true);
      assert.match(cordon.detail, /cordon skipped: .*refused the connection/);
    } finally {
      assert.equal(breakglass(['enable', 'kube-apiserver', ...nodeFlags]).status, 0);
    }
    await labHealthy();
    assert.equal((await api.getNode(NODE_NAME)).unschedulable, false);
  });
});
