// End to end with the single executable: dist/bin/breakglass-linux-x64 copied alone into an empty
// directory, run in tmux against the lab with no Node on its PATH. The screen shows the static pods
// running; the scheduler is disabled and enabled again from the screen (each change a child, the
// executable starting itself), checked on the node; q gives the terminal back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { copiedBinary } from '../helpers/binary.js';
import { labEnv } from '../helpers/lab.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass } from '../helpers/run.js';
import { Tmux } from '../helpers/tmux.js';

const lab = (() => {
  try {
    return labEnv();
  } catch {
    return null;
  }
})();

let tmux: Tmux;
let binary: { file: string; cleanup(): void };
const manifests = () => path.join(lab!.nodeRoot, 'etc/kubernetes/manifests');
const holding = () => path.join(lab!.nodeRoot, 'etc/kubernetes/breakglass/disabled');

before(() => {
  if (!lab) return;
  binary = copiedBinary('x64');
  tmux = new Tmux(110, 32);
  // No node_modules/.bin (nor the pinned Node) on the PATH: only the system's directories.
  tmux.start({ PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DBUS_SYSTEM_BUS_ADDRESS: lab.dbusAddress });
});

after(async () => {
  tmux?.kill();
  binary?.cleanup();
  if (!lab) return;
  for (const file of fs.existsSync(holding()) ? fs.readdirSync(holding()) : []) {
    breakglass(['enable', file, '--wait', '--root', lab.nodeRoot]);
  }
  await labHealthy(lab.portOffset);
});

test('the x64 executable alone drives the lab in tmux', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 300_000,
}, async () => {
  const l = lab!;
  await labHealthy(l.portOffset);
  tmux.run('clear; echo BEFORE-BREAKGLASS');
  await tmux.waitFor(/^BEFORE-BREAKGLASS$/m);
  tmux.run(
    `cd ${path.dirname(binary.file)} && ./breakglass-linux-x64 --root ${l.nodeRoot} --journal-dir ${l.journalDir} --dbus ${l.dbusAddress}`,
  );
  await tmux.waitFor(
    (s) =>
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].every((pod) =>
        new RegExp(`${pod}\\s+enabled\\s+running`).test(s),
      ),
    60_000,
    'the static pods running',
  );
  assert.equal(tmux.modes().alternate, true, 'the TUI runs in the alternate screen');
  // What runs in the pane is the executable itself, not a Node.
  const pid = spawnSync('pgrep', ['-P', String(tmux.panePid())], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')[0];
  assert.equal(fs.readlinkSync(`/proc/${pid}/exe`), binary.file);

  tmux.keys('g');
  tmux.keys('jjj');
  tmux.keys('d');
  await tmux.waitFor(/Disable static pod kube-scheduler/, 10_000);
  tmux.keys('y');
  await tmux.waitFor(
    /kube-scheduler disabled; the runtime shows it stopped/,
    90_000,
    'the disable to finish',
  );
  assert.ok(!fs.existsSync(path.join(manifests(), 'kube-scheduler.yaml')), 'the manifest left the directory');
  assert.ok(fs.existsSync(path.join(holding(), 'kube-scheduler.yaml')), 'it waits in the holding directory');
  tmux.keys('Escape', false);
  await tmux.waitFor(/kube-scheduler\s+disabled\s+disabled/, 10_000, 'the scheduler disabled');
  tmux.keys('G');
  tmux.keys('e');
  await tmux.waitFor(/Enable static pod kube-scheduler/, 10_000);
  tmux.keys('y');
  await tmux.waitFor(/kube-scheduler enabled; a container runs/, 90_000, 'the enable to finish');
  assert.ok(fs.existsSync(path.join(manifests(), 'kube-scheduler.yaml')), 'the manifest is back');
  tmux.keys('Escape', false);
  await tmux.waitFor(/POD\s+MANIFEST\s+STATE/, 10_000, 'the main screen');

  // The audit log names the changes, made by the executable's own children.
  const audit = fs.readFileSync(path.join(l.nodeRoot, 'var/lib/breakglass/audit.log'), 'utf8');
  assert.match(audit, /disable[\s\S]*kube-scheduler\.yaml[\s\S]*enable/);

  tmux.keys('q');
  await tmux.waitFor(/^BEFORE-BREAKGLASS$/m, 10_000, 'the shell screen again');
  await tmux.waitForShell();
  assert.equal(tmux.modes().alternate, false, 'left the alternate screen');
  assert.equal(tmux.modes().cursorVisible, true, 'the cursor is visible again');
});
