// End to end: tmux drives the real bin/breakglass against the lab through a scripted outage, and the
// screen and the node are checked after each step: the apiserver crash-loops (visible, with its exit),
// its logs open, the apiserver is fixed, the scheduler is disabled and enabled again, the controller
// manager restarted, a stray .bak is flagged, kubelet is restarted with the API server down (after the
// warning), and the terminal is restored after q and after SIGTERM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { openSystemd } from '../../src/sources/systemd.js';
import { labOrNull } from '../helpers/lab.js';
import { BIN } from '../helpers/paths.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { Tmux, unwrapped } from '../helpers/tmux.js';
import { until } from '../helpers/wait.js';

const quiet = () => {};
let tmux: Tmux;
const lab = labOrNull();

function command(): string {
  const l = lab!;
  return `${BIN} --root ${l.nodeRoot} --journal-dir ${l.journalDir} --dbus ${l.dbusAddress}`;
}

const manifests = () => path.join(lab!.nodeRoot, 'etc/kubernetes/manifests');
const holding = () => path.join(lab!.nodeRoot, 'etc/kubernetes/breakglass/disabled');

interface StatusPod {
  name: string;
  enabled: boolean;
  containers: { name: string; state: string; id: string }[];
}

function runningContainers(pod: string): number {
  const { json } = breakglassJson<{ staticPods: StatusPod[] }>(['status', '--root', lab!.nodeRoot]);
  const p = json.staticPods.find((x) => x.name === pod && x.enabled);
  return p ? p.containers.filter((c) => c.state === 'running').length : 0;
}

function containerIds(pod: string): string[] {
  const { json } = breakglassJson<{ staticPods: StatusPod[] }>(['status', '--root', lab!.nodeRoot]);
  const p = json.staticPods.find((x) => x.name === pod && x.enabled);
  return p ? p.containers.filter((c) => c.state === 'running').map((c) => c.id) : [];
}

/** esc, and wait for the main screen: keys sent on the heels of an escape would read as Alt+key. */
async function back(): Promise<string> {
  tmux.keys('Escape', false);
  return tmux.waitFor(/POD\s+MANIFEST\s+STATE/, 10_000, 'the main screen');
}

before(async () => {
  if (!lab) return;
  tmux = new Tmux(110, 32);
  tmux.start({ DBUS_SYSTEM_BUS_ADDRESS: lab.dbusAddress });
});

after(async () => {
  tmux?.kill();
  if (!lab) return;
  // Leave the lab as the next tests expect it: nothing left disabled by a step that failed halfway,
  // every fault healed, every component healthy.
  for (const file of fs.existsSync(holding()) ? fs.readdirSync(holding()) : []) {
    breakglass(['enable', file, '--root', lab.nodeRoot]);
  }
  await labHeal(lab.dir, undefined, quiet);
  const ports = labPorts(lab.portOffset);
  await until(
    'every lab component healthy after the e2e test',
    async () => (await componentHealth(ports)).every((h) => h.healthy),
    { timeoutMs: 120_000, intervalMs: 500 },
  );
});

test('a scripted outage, driven through the real binary in tmux', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 600_000,
}, async () => {
  await labFault(lab!.dir, 'apiserver-bad-flag', quiet);
  tmux.run('clear; echo BEFORE-BREAKGLASS');
  await tmux.waitFor(/^BEFORE-BREAKGLASS$/m);
  tmux.run(command());

  // 1. The crash loop is on screen, with its exit code and reason, and the API server is down.
  let screen = await tmux.waitFor(
    (s) => /kube-apiserver\s+enabled\s+crash-loop/.test(s) && /API server DOWN/.test(s),
    120_000,
    'the apiserver crash loop',
  );
  assert.equal(tmux.modes().alternate, true, 'the TUI runs in the alternate screen');
  const apiRow = screen.split('\n').find((l) => /kube-apiserver\s+enabled\s+crash-loop/.test(l))!;
  assert.match(apiRow, /\s1 Error\s/, `exit code and reason in the row: ${apiRow}`);

  // The screen follows a resize down to 80x24 and stays inside it.
  tmux.resize(80, 24);
  screen = await tmux.waitFor(
    (s) => /kube-apiserver\s+enabled\s+crash-loop/.test(s) && s.split('\n').every((l) => l.length <= 80),
    10_000,
    'the screen at 80x24',
  );
  tmux.resize(110, 32);
  await tmux.waitFor(/POD\s+MANIFEST\s+STATE\s+RST\s+AGE\s+LAST EXIT\s+HEALTH/, 10_000);

  // 2. Its logs open, and say why.
  tmux.keys('g');
  tmux.keys('j');
  tmux.keys('Enter', false);
  screen = await tmux.waitFor(/unknown flag: --bogus-flag/, 30_000, "the apiserver's own error in its log");
  assert.match(screen, /kube-apiserver container log/);
  await back();

  // 3. The API server fixed (the lab heals its manifest): the screen sees it answer again.
  await labHeal(lab!.dir, 'apiserver-bad-flag', quiet);
  await tmux.waitFor(/API server answers/, 120_000, 'the API server answering again');

  // 4. The scheduler: disabled (manifest moved, containers stopped), then enabled again.
  tmux.keys('g');
  for (let i = 0; i < 3; i++) tmux.keys('j');
  tmux.keys('d');
  screen = await tmux.waitFor(/Disable static pod kube-scheduler/, 10_000);
  assert.match(screen, /y: do it/);
  tmux.keys('y');
  await tmux.waitFor(
    /kube-scheduler disabled; the runtime shows it stopped/,
    90_000,
    'the disable to finish',
  );
  assert.ok(!fs.existsSync(path.join(manifests(), 'kube-scheduler.yaml')), 'the manifest left the directory');
  assert.ok(
    fs.existsSync(path.join(holding(), 'kube-scheduler.yaml')),
    'the manifest waits in the holding directory',
  );
  assert.equal(runningContainers('kube-scheduler'), 0);
  screen = await back();
  assert.match(screen, /kube-scheduler\s+disabled\s+disabled/);
  tmux.keys('G');
  tmux.keys('e');
  await tmux.waitFor(/Enable static pod kube-scheduler/, 10_000);
  tmux.keys('y');
  await tmux.waitFor(/kube-scheduler enabled; a container runs/, 90_000, 'the enable to finish');
  assert.ok(fs.existsSync(path.join(manifests(), 'kube-scheduler.yaml')), 'the manifest is back');
  assert.ok(runningContainers('kube-scheduler') > 0);
  await back();

  // 5. The controller manager restarted as one action, gated on a new container and its probe.
  const oldIds = containerIds('kube-controller-manager');
  tmux.keys('g');
  tmux.keys('jj');
  tmux.keys('r');
  screen = await tmux.waitFor(/Restart static pod kube-controller-manager/, 10_000);
  assert.match(
    unwrapped(screen),
    /gate: a new container running and https:\/\/127\.0\.0\.1:\d+\/healthz answering/,
  );
  tmux.keys('y');
  await tmux.waitFor(
    /kube-controller-manager restarted: a new container runs and its probe answers/,
    180_000,
    'the restart to finish',
  );
  const newIds = containerIds('kube-controller-manager');
  assert.ok(newIds.length > 0 && newIds.every((id) => !oldIds.includes(id)), 'new containers run');
  assert.ok(
    fs.existsSync(path.join(manifests(), 'kube-controller-manager.yaml')),
    'the manifest is in place',
  );
  await back();

  // 6. A stray .bak in the manifest directory is impossible to miss.
  await labFault(lab!.dir, 'apiserver-bak', quiet);
  screen = await tmux.waitFor(
    /kube-apiserver\.yaml\.bak: stray copy, kubelet RUNS it/,
    30_000,
    'the stray .bak alert',
  );
  await labHeal(lab!.dir, 'apiserver-bak', quiet);
  await tmux.waitFor((s) => !/kube-apiserver\.yaml\.bak/.test(s), 60_000, 'the .bak gone from the screen');

  // 7. The drill for a restart with the API server down: the apiserver disabled from the screen, then
  // kubelet restarted over D-Bus after the warning that it will ignore removed manifests, then the
  // apiserver enabled again.
  tmux.keys('g');
  tmux.keys('j');
  tmux.keys('d');
  await tmux.waitFor(/Disable static pod kube-apiserver/, 10_000);
  tmux.keys('y');
  await tmux.waitFor(
    /kube-apiserver disabled; the runtime shows it stopped/,
    90_000,
    'the apiserver disabled',
  );
  await back();
  await tmux.waitFor(/API server DOWN/, 30_000, 'the API server seen down');
  const systemd = openSystemd({ address: lab!.dbusAddress });
  try {
    const before = await systemd.unit('kubelet.service');
    tmux.keys('K');
    screen = await tmux.waitFor(/Restart kubelet\.service/, 10_000);
    assert.match(screen, /IGNORES REMOVED MANIFESTS/, 'the trap is named before the restart');
    tmux.keys('y');
    await tmux.waitFor(/kubelet\.service restarted and active/, 90_000, 'kubelet to restart');
    const afterRestart = await systemd.unit('kubelet.service');
    assert.notEqual(afterRestart.mainPid, before.mainPid, 'a new kubelet process');
    assert.equal(afterRestart.activeState, 'active');
  } finally {
    await systemd.close();
  }
  await back();
  tmux.keys('G');
  tmux.keys('e');
  await tmux.waitFor(/Enable static pod kube-apiserver/, 10_000);
  tmux.keys('y');
  await tmux.waitFor(/kube-apiserver enabled; a container runs/, 90_000, 'the apiserver enabled');
  await back();
  await tmux.waitFor(/API server answers/, 120_000, 'the API server answering again');

  // 8. q gives the terminal back as it was.
  tmux.keys('q');
  screen = await tmux.waitFor(/^BEFORE-BREAKGLASS$/m, 10_000, 'the shell screen again');
  await tmux.waitForShell();
  const modes = tmux.modes();
  assert.equal(modes.alternate, false, 'left the alternate screen');
  assert.equal(modes.cursorVisible, true, 'the cursor is visible again');

  // 9. So does SIGTERM.
  tmux.run('clear; echo BEFORE-SIGTERM');
  await tmux.waitFor(/^BEFORE-SIGTERM$/m);
  tmux.run(command());
  await tmux.waitFor(/STATE/, 60_000, 'the TUI');
  assert.equal(tmux.modes().alternate, true);
  const shell = tmux.panePid();
  const child = spawnSync('pgrep', ['-P', String(shell)], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')[0];
  assert.ok(child, 'breakglass runs under the shell');
  process.kill(Number(child), 'SIGTERM');
  await tmux.waitFor(/^BEFORE-SIGTERM$/m, 10_000, 'the shell screen after SIGTERM');
  await tmux.waitForShell();
  await sleep(200);
  assert.equal(tmux.modes().alternate, false);
  assert.equal(tmux.modes().cursorVisible, true);

  // 10. And a crash: in rendering, and an exception from a timer. The operator gets the terminal back
  // and one line saying what happened.
  for (const fault of ['render', 'timer']) {
    tmux.run(`clear; echo BEFORE-${fault}`);
    await tmux.waitFor(new RegExp(`^BEFORE-${fault}$`, 'm'));
    tmux.run(`BREAKGLASS_TUI_FAULT=${fault} ${command()}; echo "EXIT=$?"`);
    await tmux.waitFor(/STATE/, 60_000, `the TUI before the ${fault} fault`);
    screen = await tmux.waitFor(/EXIT=\d+/, 30_000, `the shell after the ${fault} fault`);
    assert.match(screen, new RegExp(`^BEFORE-${fault}$`, 'm'), 'the screen from before the TUI is back');
    assert.match(screen, /breakglass: the screen crashed: injected/);
    assert.match(screen, /EXIT=70/);
    assert.equal(tmux.modes().alternate, false, `${fault}: left the alternate screen`);
    assert.equal(tmux.modes().cursorVisible, true, `${fault}: the cursor is visible`);
  }
});
