// From a broken screen to a healthy one using only what breakglass shows, in a real terminal (tmux) on
// the lab: the apiserver crash-loops on a flag a hand edit added; the top of the screen names it and the
// fix; the manifest view marks the line and shows the diff from the last healthy version; R puts that
// version back and the API server answers again. Then E hands the terminal to an editor (a script in the
// operator's place) and the edit is confirmed, swapped in and gated. Checked on the node: the file's
// bytes, the API server's /healthz, the runtime.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { sha256 } from '../../src/util/fsx.js';
import { labOrNull } from '../helpers/lab.js';
import { makeTempDir } from '../helpers/node-root.js';
import { BIN } from '../helpers/paths.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass } from '../helpers/run.js';
import { Tmux, unwrapped } from '../helpers/tmux.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();
const quiet = () => {};

describe('the doctor and the manifest history in the TUI', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 900_000,
}, () => {
  const l = lab!;
  const flags = [
    '--root',
    l?.nodeRoot ?? '',
    '--journal-dir',
    l?.journalDir ?? '',
    '--dbus',
    l?.dbusAddress ?? '',
  ];
  const manifest = (pod: string) => path.join(l.nodeRoot, 'etc/kubernetes/manifests', `${pod}.yaml`);
  const healthy = async (pod: string) =>
    (await componentHealth(labPorts(l.portOffset))).find((h) => h.name === pod)?.healthy ?? false;
  let tmux: Tmux | null = null;
  const scripts = makeTempDir('bg-tui-editor-');
  after(async () => {
    tmux?.kill();
    await labHeal(l.dir, undefined, quiet);
    fs.rmSync(scripts, { recursive: true, force: true });
    await labHealthy(l.portOffset);
  });

  test('the root cause on top, its line marked, the diff to the last healthy version, R reverts it, E edits', async () => {
    await labHealthy(l.portOffset);
    const good = fs.readFileSync(manifest('kube-apiserver'));
    const scheduler = fs.readFileSync(manifest('kube-scheduler'));
    // What the path unit does on every change: the healthy versions are in the history before the edit.
    // Its pods count as healthy once their containers have run a while (10 s): recorded until they do.
    await until(
      'the healthy apiserver manifest in the history',
      () => {
        assert.equal(breakglass(['history', '--record', ...flags]).status, 0);
        const h = JSON.parse(breakglass(['history', 'kube-apiserver', '--json', ...flags]).stdout);
        return h.lastKnownHealthy === sha256(good);
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    await labFault(l.dir, 'apiserver-bad-flag', quiet);
    const editor = path.join(scripts, 'label.sh');
    fs.writeFileSync(
      editor,
      `#!/bin/sh\nsed -i 's/^    tier: control-plane$/    tier: control-plane\\n    edited: "tui"/' "$1"\n`,
      {
        mode: 0o755,
      },
    );
    tmux = new Tmux(150, 45);
    tmux.start({ DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress, EDITOR: editor });
    tmux.run(`${BIN} ${flags.join(' ')}`);

    // 1. The top of the screen: the cause, and the fix.
    let screen = await tmux.waitFor(
      (s) => /» kube-apiserver exits at start: it does not know the flag --bogus-flag/.test(unwrapped(s)),
      120_000,
      "the doctor's root cause on top",
    );
    assert.match(screen, /fix: `breakglass revert kube-apiserver/);

    // 2. Its manifest: the line marked, then the diff to the last healthy version.
    tmux.keys('g');
    tmux.keys('j');
    tmux.keys('m');
    await tmux.waitFor(/manifest kube-apiserver\.yaml .*1 from the doctor/, 30_000, 'the manifest view');
    // Down to the line the doctor points at, as the operator scrolls.
    const marked = /- --bogus-flag=true\n\s+» kube-apiserver exits at start/;
    for (let i = 0; i < 120 && !marked.test(tmux.screen()); i++) tmux.keys('j');
    screen = await tmux.waitFor(marked, 10_000, 'the marked line');
    assert.match(screen, /R revert {2}E edit {2}D diff to last healthy/);
    tmux.keys('D');
    screen = await tmux.waitFor(
      /^\+\s+- --bogus-flag=true/m,
      30_000,
      'the diff from the last healthy version',
    );
    assert.match(screen, /from the last version its pod ran healthy on/);

    // 3. R: the confirmation, then the revert runs and passes its gate.
    tmux.keys('R');
    await tmux.waitFor(/Revert kube-apiserver\.yaml to [0-9a-f]{12}/, 30_000, 'the revert planned');
    tmux.keys('y');
    await tmux.waitFor(/kube-apiserver\.yaml holds [0-9a-f]{12} again/, 180_000, 'the revert done');
    assert.ok(fs.readFileSync(manifest('kube-apiserver')).equals(good), 'the healthy bytes are back');
    await until('the API server healthy', () => healthy('kube-apiserver'), { timeoutMs: 120_000 });
    tmux.keys('q'); // closes the progress overlay
    tmux.keys('Escape', false);
    await tmux.waitFor(
      (s) =>
        !/» kube-apiserver exits at start/.test(unwrapped(s)) && /kube-apiserver\s+enabled\s+running/.test(s),
      120_000,
      'the screen healthy again',
    );

    // 4. E on the scheduler: the editor gets the terminal, the edit is confirmed, and the screen comes back.
    tmux.keys('G');
    tmux.keys('m');
    await tmux.waitFor(/manifest kube-scheduler\.yaml/, 30_000);
    tmux.keys('E');
    await tmux.waitFor(/Go ahead\? \[y\/N\]/, 60_000, 'the edit linted, its diff and plan');
    assert.match(tmux.screen(), /\+ {4}edited: "tui"/);
    tmux.keys('y');
    tmux.keys('Enter', false);
    await tmux.waitFor(
      /\[breakglass edit done\] Enter: back to the screen/,
      180_000,
      'the edit applied and gated',
    );
    tmux.keys('Enter', false);
    await tmux.waitFor(/manifest kube-scheduler\.yaml/, 30_000, 'the screen back');
    assert.match(fs.readFileSync(manifest('kube-scheduler'), 'utf8'), /edited: "tui"/);
    assert.ok(await healthy('kube-scheduler'));
    tmux.keys('Escape', false);
    tmux.keys('q');
    await tmux.waitForShell();
    const undo = breakglass(['revert', 'kube-scheduler', '--to', sha256(scheduler), '--yes', ...flags], {
      timeout: 240_000,
    });
    assert.equal(undo.status, 0, undo.stderr);
  });
});
