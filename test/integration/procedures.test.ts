// The procedures from the command line against the lab (real kubelet stand-in, containerd, etcd,
// systemd): a restart that ends with a new healthy container and the manifest in place, disable and
// enable that wait for the runtime, kubelet's unit restarted over D-Bus, and a restart under the trap
// (kubelet ignores the removal) that still puts the manifest back. Checked on the node: the files, the
// runtime (status), systemd, the audit log, not breakglass's word alone.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { openSystemd } from '../../src/sources/systemd.js';
import { labEnv } from '../helpers/lab.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

interface StatusPod {
  name: string | null;
  file: string;
  enabled: boolean;
  phase: string;
  alerts: { code: string; message: string; fix: string | null }[];
  containers: { name: string; state: string; id: string }[];
}

interface Status {
  staticPods: StatusPod[];
  podsWithoutManifest: { podName: string; phase: string; alerts: { code: string; fix: string | null }[] }[];
  alerts: { code: string }[];
}

const quiet = () => {};
const lab = labEnv();
const nodeFlags = ['--root', lab.nodeRoot, '--dbus', lab.dbusAddress];
const manifests = path.join(lab.nodeRoot, 'etc/kubernetes/manifests');
const holding = path.join(lab.nodeRoot, 'etc/kubernetes/breakglass/disabled');
const auditLog = path.join(lab.nodeRoot, 'var/lib/breakglass/audit.log');

const status = () => breakglassJson<Status>(['status', ...nodeFlags]).json;
const pod = (name: string) => status().staticPods.find((p) => p.name === name && p.enabled);
const running = (name: string) => pod(name)?.containers.filter((c) => c.state === 'running') ?? [];

/** The JSON lines a procedure printed: its events, and the result last. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function audited(): { action: string; file: string; outcome: string }[] {
  return fs
    .readFileSync(auditLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

async function labHealthy(): Promise<void> {
  await until(
    'every lab component healthy',
    async () => (await componentHealth(labPorts(lab.portOffset))).every((h) => h.healthy),
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
}

describe('procedures on the lab', { timeout: 900_000 }, () => {
  after(async () => {
    // Whatever failed half-way: every manifest back in place, every fault healed, the lab healthy.
    for (const file of fs.existsSync(holding) ? fs.readdirSync(holding) : []) {
      breakglass(['enable', file, ...nodeFlags]);
    }
    await labHeal(lab.dir, undefined, quiet);
    await labHealthy();
  });

  test('restart without --yes and without a terminal asks for it, and changes nothing', () => {
    const before = audited().length;
    const r = breakglass(['restart', 'kube-scheduler', ...nodeFlags]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Restart static pod kube-scheduler needs confirmation: pass --yes/);
    assert.ok(fs.existsSync(path.join(manifests, 'kube-scheduler.yaml')));
    assert.equal(audited().length, before, 'nothing was changed, so nothing was audited');
  });

  test('restart: the plan, the step as it runs, a new container that answers its probe, the manifest untouched', async () => {
    await labHealthy();
    const oldIds = running('kube-scheduler').map((c) => c.id);
    assert.ok(oldIds.length > 0);
    const manifest = path.join(manifests, 'kube-scheduler.yaml');
    const inode = fs.statSync(manifest).ino;
    const r = breakglass(['restart', 'kube-scheduler', '--yes', '--json', ...nodeFlags], {
      timeout: 240_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const lines = jsonLines(r.stdout);
    const plan = lines.find((l) => l.event === 'plan') as { plan: { title: string; steps: string[] } };
    assert.equal(plan.plan.title, 'Restart static pod kube-scheduler');
    assert.match(plan.plan.steps[0]!, /stop its containers through the runtime/);
    const steps = lines.filter((l) => l.event === 'step').map((l) => l.id);
    assert.deepEqual(steps, ['restart:kube-scheduler']);
    const result = lines.at(-1)!;
    assert.deepEqual(
      [result.ok, result.text],
      [true, 'kube-scheduler restarted: a new container runs and its probe answers'],
    );
    // The node: the manifest never moved, a new container running, the stop and the step audited.
    assert.equal(fs.statSync(manifest).ino, inode);
    assert.ok(!fs.existsSync(path.join(holding, 'kube-scheduler.yaml')));
    const newIds = running('kube-scheduler').map((c) => c.id);
    assert.ok(newIds.length > 0 && newIds.every((id) => !oldIds.includes(id)), 'new containers run');
    const recent = audited().slice(-3);
    assert.deepEqual(
      recent.map((a) => [a.action, a.outcome]),
      [
        ['restart-containers', 'ok'],
        ['restart restart:kube-scheduler', 'ok'],
        ['restart', 'ok'],
      ],
    );
  });

  test('disable --wait and enable --wait return once the runtime shows kubelet followed', async () => {
    const disabled = breakglass(['disable', 'kube-scheduler', '--wait', '--json', ...nodeFlags], {
      timeout: 120_000,
    });
    assert.equal(disabled.status, 0, disabled.stderr);
    assert.equal(
      jsonLines(disabled.stdout).at(-1)!.text,
      'kube-scheduler disabled; the runtime shows it stopped',
    );
    assert.equal(running('kube-scheduler').length, 0);
    assert.ok(fs.existsSync(path.join(holding, 'kube-scheduler.yaml')));
    const enabled = breakglass(['enable', 'kube-scheduler', '--wait', '--json', ...nodeFlags], {
      timeout: 180_000,
    });
    assert.equal(enabled.status, 0, enabled.stderr);
    assert.equal(jsonLines(enabled.stdout).at(-1)!.text, 'kube-scheduler enabled; a container runs');
    assert.ok(running('kube-scheduler').length > 0);
  });

  test("restart-unit restarts kubelet's unit over D-Bus and waits until it is active; other units are refused", async () => {
    const refused = breakglass(['restart-unit', 'dbus.service', '--yes', ...nodeFlags]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /dbus\.service is neither kubelet's unit nor the runtime's/);
    const systemd = openSystemd({ address: lab.dbusAddress });
    try {
      const before = await systemd.unit('kubelet.service');
      const r = breakglass(['restart-unit', 'kubelet', '--yes', '--json', ...nodeFlags], {
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(jsonLines(r.stdout).at(-1)!.text, 'kubelet.service restarted and active');
      const afterRestart = await systemd.unit('kubelet.service');
      assert.notEqual(afterRestart.mainPid, before.mainPid, 'a new kubelet process');
      assert.equal(afterRestart.activeState, 'active');
      assert.ok(
        audited().some(
          (a) => a.action === 'restart-unit' && a.file === 'kubelet.service' && a.outcome === 'ok',
        ),
      );
    } finally {
      await systemd.close();
    }
    await labHealthy();
  });

  test('under the trap: a restart through the runtime works; one by moving the manifest cannot, says so, and puts it back', async () => {
    // The trap as the lab makes it: the API server down, kubelet restarted, then kube-scheduler's
    // manifest taken away (the lab keeps it): kubelet keeps the pod running.
    await labFault(lab.dir, 'manifest-removed-pod-running', quiet);
    try {
      const orphan = await until(
        'kube-scheduler running with no manifest',
        () => status().podsWithoutManifest.find((p) => p.podName.startsWith('kube-scheduler-')),
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      assert.equal(orphan.phase, 'orphan');
      assert.deepEqual(
        orphan.alerts.map((a) => [a.code, a.fix]),
        [['no-manifest', `stop it with \`breakglass stop ${orphan.podName}\``]],
      );
      assert.equal(
        await until(
          'the API server crash-looping',
          () => pod('kube-apiserver')?.phase === 'crash-loop' || null,
          {
            timeoutMs: 120_000,
            intervalMs: 1_000,
          },
        ),
        true,
      );
      // The operator puts the manifest back, and restarts the pod.
      fs.copyFileSync(
        path.join(lab.dir, 'faults/manifest-removed-pod-running/kube-scheduler.yaml'),
        path.join(manifests, 'kube-scheduler.yaml'),
      );
      fs.chmodSync(path.join(manifests, 'kube-scheduler.yaml'), 0o600);
      const moved = breakglass(
        ['restart', 'kube-scheduler', '--method', 'move', '--yes', '--json', ...nodeFlags],
        { timeout: 240_000 },
      );
      assert.equal(moved.status, 1);
      const result = jsonLines(moved.stdout).at(-1)!;
      assert.equal(result.ok, false);
      assert.match(
        String(result.text),
        /did not stop within 60 s of its manifest being moved out, so kubelet ignores removals .*the manifest is back\. --method runtime restarts it/,
      );
      assert.ok(fs.existsSync(path.join(manifests, 'kube-scheduler.yaml')), 'the manifest is back');
      assert.ok(!fs.existsSync(path.join(holding, 'kube-scheduler.yaml')));
      const before = running('kube-scheduler').map((c) => c.id);
      assert.ok(before.length > 0, 'the pod never stopped');
      // The default (auto) picks the runtime with the API server down: kubelet restarts the containers.
      const r = breakglass(
        ['restart', 'kube-scheduler', '--yes', '--json', '--gate-timeout', '60', ...nodeFlags],
        {
          timeout: 240_000,
        },
      );
      const lines = jsonLines(r.stdout);
      const plan = lines.find((l) => l.event === 'plan') as { plan: { steps: string[] } };
      assert.match(plan.plan.steps[0]!, /stop its containers through the runtime/);
      const stopped = await until(
        'a new kube-scheduler container',
        () => running('kube-scheduler').some((c) => !before.includes(c.id)) || null,
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      assert.equal(stopped, true, `${r.stdout}\n${r.stderr}`);
    } finally {
      await labHeal(lab.dir, 'manifest-removed-pod-running', quiet);
    }
    await labHealthy();
  });
});
