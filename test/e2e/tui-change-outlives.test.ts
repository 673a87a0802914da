// The terminal goes away in the middle of a change: a restart started from the TUI, then the tmux
// server killed (the pane's processes get SIGHUP, as when an SSH session drops). The restart runs in a
// session of its own and finishes: the manifest back where kubelet reads it, a new container running.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labEnv } from '../helpers/lab.js';
import { BIN } from '../helpers/paths.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { Tmux } from '../helpers/tmux.js';
import { until } from '../helpers/wait.js';

interface StatusPod {
  name: string;
  enabled: boolean;
  containers: { state: string; id: string }[];
}

const lab = (() => {
  try {
    return labEnv();
  } catch {
    return null;
  }
})();
let tmux: Tmux | null = null;

function runningIds(root: string): string[] {
  const { json } = breakglassJson<{ staticPods: StatusPod[] }>(['status', '--root', root]);
  const pod = json.staticPods.find((p) => p.name === 'kube-scheduler' && p.enabled);
  return pod ? pod.containers.filter((c) => c.state === 'running').map((c) => c.id) : [];
}

after(async () => {
  tmux?.kill();
  if (!lab) return;
  const holding = path.join(lab.nodeRoot, 'etc/kubernetes/breakglass/disabled');
  for (const file of fs.existsSync(holding) ? fs.readdirSync(holding) : []) {
    breakglass(['enable', file, '--root', lab.nodeRoot]);
  }
  await until(
    'the lab healthy again',
    async () => (await componentHealth(labPorts(lab.portOffset))).every((h) => h.healthy),
    {
      timeoutMs: 120_000,
      intervalMs: 500,
    },
  );
});

test('a restart started in the TUI finishes after the terminal is gone', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 300_000,
}, async () => {
  const l = lab!;
  const manifest = path.join(l.nodeRoot, 'etc/kubernetes/manifests/kube-scheduler.yaml');
  const held = path.join(l.nodeRoot, 'etc/kubernetes/breakglass/disabled/kube-scheduler.yaml');
  const oldIds = runningIds(l.nodeRoot);
  assert.ok(oldIds.length > 0, 'the scheduler runs before');
  tmux = new Tmux(110, 32);
  tmux.start({ DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress });
  tmux.run(`${BIN} --root ${l.nodeRoot} --journal-dir ${l.journalDir} --dbus ${l.dbusAddress}`);
  await tmux.waitFor(/kube-scheduler\s+enabled\s+running/, 60_000, 'the scheduler on screen');
  tmux.keys('G');
  tmux.keys('r');
  await tmux.waitFor(/Restart static pod kube-scheduler/, 10_000, 'the plan');
  tmux.keys('y');
  await tmux.waitFor(/waiting until the runtime shows it stopped/, 30_000, 'the restart under way');
  assert.ok(fs.existsSync(held), 'the manifest is out when the terminal goes');
  // The terminal goes: every process of the pane's session gets SIGHUP.
  tmux.kill();
  tmux = null;
  await until(
    'the manifest back and a new scheduler container running',
    () => {
      const ids = runningIds(l.nodeRoot);
      return (
        fs.existsSync(manifest) &&
        !fs.existsSync(held) &&
        ids.length > 0 &&
        ids.every((id) => !oldIds.includes(id))
      );
    },
    { timeoutMs: 180_000, intervalMs: 1_000 },
  );
  const audit = fs
    .readFileSync(path.join(l.nodeRoot, 'var/lib/breakglass/audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { action: string; file: string; outcome: string });
  assert.deepEqual(
    audit
      .filter((a) => a.file === 'kube-scheduler.yaml')
      .slice(-2)
      .map((a) => [a.action, a.outcome]),
    [
      ['disable', 'ok'],
      ['enable', 'ok'],
    ],
  );
});
