// The guided restart from the TUI, in a real terminal (tmux) on the lab: P, the plan, each step as it
// runs; then the terminal goes away mid-restart (the tmux server killed: SIGHUP, as when an SSH session
// drops) and the restart finishes on its own; a new TUI says how it ended. And a TUI opened while a
// restart runs follows it to its end. Checked on the node: the runtime's own tool (ctr), the health
// endpoints, breakglass's records.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labOrNull } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { type NodeRuntime, runningContainers } from '../helpers/node-runtime.js';
import { BIN } from '../helpers/paths.js';
import { breakControllerManager, CONTROL_PLANE } from '../helpers/restart.js';
import { breakglass, startBreakglass } from '../helpers/run.js';
import { Tmux, unwrapped } from '../helpers/tmux.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();
let tmux: Tmux | null = null;

function openTui(l: NonNullable<typeof lab>): Tmux {
  const t = new Tmux(130, 40);
  t.start({ DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress });
  t.run(`${BIN} --root ${l.nodeRoot} --journal-dir ${l.journalDir} --dbus ${l.dbusAddress}`);
  return t;
}

async function healthy(l: NonNullable<typeof lab>): Promise<boolean> {
  return (await componentHealth(labPorts(l.portOffset))).every((h) => h.healthy);
}

describe('the guided restart in the TUI', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 600_000,
}, () => {
  const l = lab!;
  const runtime: NodeRuntime = { kind: 'cri', socket: l?.containerdSocket ?? '', nodeName: NODE_NAME };
  const stateDir = path.join(l?.nodeRoot ?? '', 'var/lib/breakglass');
  after(async () => {
    tmux?.kill();
    if (fs.existsSync(path.join(stateDir, 'procedure.json'))) breakglass(['recover', '--root', l.nodeRoot]);
    await until('the lab healthy again', () => healthy(l), { timeoutMs: 180_000, intervalMs: 500 });
  });

  test('P: the plan, each step as it runs; the terminal closes mid-way, the restart finishes, a new TUI says so', async () => {
    await until('the lab healthy', () => healthy(l), { timeoutMs: 180_000, intervalMs: 500 });
    const before = new Map(CONTROL_PLANE.map((p) => [p, runningContainers(runtime, p)]));
    tmux = openTui(l);
    await tmux.waitFor(/kube-scheduler\s+enabled\s+running/, 60_000, 'the static pods on screen');
    tmux.keys('P');
    // A restart of an earlier test that did not finish is shown first: n asks for a new one.
    let screen = await tmux.waitFor(
      /Restart 4 static pods, one at a time|n: a new restart/,
      20_000,
      'the plan',
    );
    if (/n: a new restart/.test(screen)) {
      tmux.keys('n');
      screen = await tmux.waitFor(/Restart 4 static pods, one at a time/, 20_000, 'the plan');
    }
    assert.match(unwrapped(screen), /etcd snapshot: through its Maintenance API/);
    // The method depends on what the node shows (a pod restarted minutes ago gets a new pod instead).
    assert.match(
      unwrapped(screen),
      /etcd: (stop its containers through the runtime|move its manifest out and back); gate: a new container running and http/,
    );
    tmux.keys('y');
    screen = await tmux.waitFor(/✓ 2\.\s+\d+s\s+etcd snapshot/, 60_000, 'the snapshot step done');
    await tmux.waitFor(/✓ 3\.\s+\d+s\s+etcd: /, 120_000, 'etcd restarted and passing its gate');
    // The terminal goes: every process of the pane's session gets SIGHUP.
    tmux.kill();
    tmux = null;
    await until(
      'every control-plane pod with a new container, all healthy, the restart filed as finished',
      async () => {
        const renewed = CONTROL_PLANE.every((p) => {
          const now = runningContainers(runtime, p);
          return now.length > 0 && now.every((id) => !before.get(p)!.includes(id));
        });
        return renewed && !fs.existsSync(path.join(stateDir, 'procedure.json')) && (await healthy(l));
      },
      { timeoutMs: 300_000, intervalMs: 1_000 },
    );
    const records = fs
      .readdirSync(path.join(stateDir, 'procedures'))
      .filter((n) => n.endsWith('.json'))
      .sort();
    const last = JSON.parse(fs.readFileSync(path.join(stateDir, 'procedures', records.at(-1)!), 'utf8'));
    assert.equal(last.end.ok, true, JSON.stringify(last.end));
    tmux = openTui(l);
    await tmux.waitFor(
      /the last restart finished at [\d:]+: 4 static pods restarted/,
      60_000,
      'the new TUI says how the restart ended',
    );
    tmux.kill();
    tmux = null;
  });

  test('a TUI opened while a restart runs follows it, step and log, to its end', async () => {
    await until('the lab healthy', () => healthy(l), { timeoutMs: 180_000, intervalMs: 500 });
    // The controller manager cannot start (a broken kubeconfig) until it is fixed: the gate waits.
    const fix = breakControllerManager(l.nodeRoot);
    try {
      const run = startBreakglass([
        'restart',
        'kube-controller-manager',
        'kube-scheduler',
        '--gate-timeout',
        '120',
        '--yes',
        '--root',
        l.nodeRoot,
      ]);
      const exited = new Promise<number | null>((resolve) => run.child.on('exit', (code) => resolve(code)));
      await until('the restart under way', () => fs.existsSync(path.join(stateDir, 'procedure.json')), {
        timeoutMs: 60_000,
      });
      tmux = openTui(l);
      const screen = await tmux.waitFor(
        /Restart 2 static pods, one at a time: kube-controller-manager, kube-scheduler/,
        60_000,
        'the TUI following the restart',
      );
      assert.match(screen, /kube-controller-manager container log/);
      fix();
      await tmux.waitFor(/✓ 2 static pods restarted/, 180_000, 'the outcome on screen');
      assert.equal(await exited, 0);
    } finally {
      fix();
      tmux?.kill();
      tmux = null;
    }
  });

  test('on a terminal, a restart whose gate fails asks: retry, roll back or leave; b rolls back', async () => {
    await until('the lab healthy', () => healthy(l), { timeoutMs: 180_000, intervalMs: 500 });
    const fix = breakControllerManager(l.nodeRoot);
    try {
      tmux = new Tmux(130, 40);
      tmux.start({});
      tmux.run(`${BIN} restart kube-controller-manager --gate-timeout 10 --root ${l.nodeRoot}`);
      await tmux.waitFor(/Go ahead\? \[y\/N\]/, 60_000, 'the plan and its question');
      tmux.keys('y');
      tmux.keys('Enter', false);
      await tmux.waitFor(
        /\[r\]etry from the step that failed, roll \[b\]ack what ran, or \[l\]eave it as it is\?/,
        120_000,
        'the way out offered',
      );
      fix();
      tmux.keys('b');
      tmux.keys('Enter', false);
      await tmux.waitFor(
        /Roll back: Restart static pod kube-controller-manager[\s\S]*Go ahead\?/,
        60_000,
        'the roll back planned',
      );
      tmux.keys('y');
      tmux.keys('Enter', false);
      await tmux.waitFor(
        /✓ rolled back: every manifest is in place and its pod runs/,
        180_000,
        'rolled back',
      );
      await tmux.waitForShell();
      assert.ok(
        fs.existsSync(path.join(l.nodeRoot, 'etc/kubernetes/manifests/kube-controller-manager.yaml')),
        'the manifest is in its place',
      );
      assert.ok(runningContainers(runtime, 'kube-controller-manager').length > 0, 'its pod runs');
      assert.ok(!fs.existsSync(path.join(stateDir, 'procedure.json')), 'nothing left in flight');
    } finally {
      fix();
      tmux?.kill();
      tmux = null;
    }
  });
});
