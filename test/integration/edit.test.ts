// `breakglass edit` against the lab, with an editor script in the operator's place: an edit that does not
// parse leaves the manifest untouched and is kept to continue; a good edit is swapped in and gated on a
// new container and its probe; an edit that breaks the API server fails its gate and the version before
// it is one revert away; a kill -9 in the middle of the swap is recovered to exactly one intact manifest.
// Checked on the node: the file's bytes, the directory's entries, the runtime, the API server's /healthz.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { sha256 } from '../../src/util/fsx.js';
import { labOrNull } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { makeTempDir } from '../helpers/node-root.js';
import { type NodeRuntime, runningContainers } from '../helpers/node-runtime.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();

describe('breakglass edit on the lab', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 900_000,
}, () => {
  const l = lab!;
  const flags = ['--root', l?.nodeRoot ?? '', '--dbus', l?.dbusAddress ?? ''];
  const manifests = path.join(l?.nodeRoot ?? '', 'etc/kubernetes/manifests');
  const edits = path.join(l?.nodeRoot ?? '', 'var/lib/breakglass/edits');
  const runtime: NodeRuntime = { kind: 'cri', socket: l?.containerdSocket ?? '', nodeName: NODE_NAME };
  const file = (name: string) => path.join(manifests, `${name}.yaml`);
  const originals = new Map<string, Buffer>();
  const scripts = makeTempDir('bg-editor-');
  /** An editor that does to the file what `sh` says, as a person's editor would, in place. */
  const editor = (name: string, sh: string) => {
    const script = path.join(scripts, name);
    fs.writeFileSync(script, `#!/bin/sh\nset -e\n${sh}\n`, { mode: 0o755 });
    return script;
  };
  const edit = (pod: string, script: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    breakglass(['edit', pod, ...extra, ...flags], {
      env: { ...process.env, EDITOR: script, ...env },
      timeout: 240_000,
    });
  const keep = (pod: string) => {
    if (!originals.has(pod)) originals.set(pod, fs.readFileSync(file(pod)));
    return originals.get(pod)!;
  };
  const entries = () => fs.readdirSync(manifests).sort();
  const healthy = async (pod: string) =>
    (await componentHealth(labPorts(l.portOffset))).find((h) => h.name === pod)?.healthy ?? false;

  after(async () => {
    for (const [pod, data] of originals) {
      if (!fs.readFileSync(file(pod)).equals(data)) fs.writeFileSync(file(pod), data);
    }
    fs.rmSync(scripts, { recursive: true, force: true });
    await labHealthy(l.portOffset);
  });

  test('an edit that does not parse: the manifest untouched, the edit kept and continued next time', async () => {
    const before = keep('kube-scheduler');
    const listing = entries();
    const broken = edit('kube-scheduler', editor('broken', `printf '  broken: [unclosed\\n' >> "$1"`));
    assert.equal(broken.status, 1, broken.stderr);
    assert.match(broken.stderr, /error kube-scheduler\.yaml:\d+:\d+: YAML syntax error/);
    assert.match(broken.stderr, /the edit is not put in place; it is kept in .*edits\/kube-scheduler\.yaml/);
    assert.ok(fs.readFileSync(file('kube-scheduler')).equals(before), 'the manifest is untouched');
    assert.deepEqual(entries(), listing, 'no file appeared in the manifest directory');
    assert.match(fs.readFileSync(path.join(edits, 'kube-scheduler.yaml'), 'utf8'), /broken: \[unclosed/);
    // The next edit opens what was kept; this one takes the broken line out again: no change, nothing done.
    const back = edit('kube-scheduler', editor('unbreak', `sed -i '/broken: \\[unclosed/d' "$1"`));
    assert.equal(back.status, 0, back.stderr);
    assert.match(back.stderr, /continuing the earlier edit kept in/);
    assert.match(back.stdout, /no change; nothing done/);
    assert.ok(!fs.existsSync(path.join(edits, 'kube-scheduler.yaml')));
  });

  test('an edit kept from before the manifest changed is set aside, not continued over the change', async () => {
    const before = keep('kube-scheduler');
    const broken = edit('kube-scheduler', editor('broken2', `printf '  broken: [unclosed\\n' >> "$1"`));
    assert.equal(broken.status, 1);
    // The manifest changes meanwhile (a revert, kubeadm, another operator).
    const changed = Buffer.from(
      before.toString('utf8').replace('tier: control-plane', 'tier: control-plane\n    changed: "meanwhile"'),
    );
    fs.writeFileSync(file('kube-scheduler'), changed);
    const again = edit('kube-scheduler', editor('noop', 'true'));
    assert.equal(again.status, 0, again.stderr);
    assert.match(
      again.stderr,
      /changed since the edit kept for it was started: that edit is set aside in .*\.stale/,
    );
    assert.match(again.stdout, /no change; nothing done/, 'the new copy is the file as it is now');
    assert.ok(fs.readFileSync(file('kube-scheduler')).equals(changed), 'the change is kept');
    const stale = fs.readdirSync(edits).find((f) => f.endsWith('.stale'))!;
    assert.match(
      fs.readFileSync(path.join(edits, stale), 'utf8'),
      /broken: \[unclosed/,
      'the old edit is not lost',
    );
    fs.rmSync(path.join(edits, stale));
    fs.writeFileSync(file('kube-scheduler'), before);
    await labHealthy(l.portOffset);
  });

  test('an edit that renames the pod is refused: kubelet would run a second pod', async () => {
    const before = keep('kube-scheduler');
    const r = edit(
      'kube-scheduler',
      editor('rename', `sed -i 's/^  name: kube-scheduler$/  name: kube-scheduler-2/' "$1"`),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /it defines kube-system\/kube-scheduler-2, not kube-system\/kube-scheduler/);
    assert.ok(fs.readFileSync(file('kube-scheduler')).equals(before));
    fs.rmSync(path.join(edits, 'kube-scheduler.yaml'));
  });

  test('a good edit: its diff shown, swapped in, a new container running and its probe answering', async () => {
    const before = keep('kube-scheduler');
    const old = runningContainers(runtime, 'kube-scheduler');
    const r = edit(
      'kube-scheduler',
      editor(
        'label',
        `sed -i 's/^    tier: control-plane$/    tier: control-plane\\n    edited: "yes"/' "$1"`,
      ),
      ['--yes'],
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^\+ {4}edited: "yes"$/m, 'the diff');
    assert.match(r.stdout, /holds the edit .* kube-scheduler runs and passed its gate/);
    const now = fs.readFileSync(file('kube-scheduler'));
    assert.match(now.toString('utf8'), /edited: "yes"/);
    assert.equal((fs.statSync(file('kube-scheduler')).mode & 0o777).toString(8), '600');
    const renewed = runningContainers(runtime, 'kube-scheduler');
    assert.ok(renewed.length > 0 && renewed.every((id) => !old.includes(id)), 'a new container runs');
    assert.ok(await healthy('kube-scheduler'));
    assert.ok(!fs.existsSync(path.join(edits, 'kube-scheduler.yaml')), 'the applied edit leaves no copy');
    const history = breakglass(['history', 'kube-scheduler', '--json', ...flags]);
    assert.ok(history.stdout.includes(sha256(before)), 'the version before the edit is in the history');
    // Undone the same way.
    const undo = breakglass(['revert', 'kube-scheduler', '--to', sha256(before), '--yes', ...flags], {
      timeout: 240_000,
    });
    assert.equal(undo.status, 0, undo.stderr);
    assert.ok(fs.readFileSync(file('kube-scheduler')).equals(before));
  });

  test('an edit that breaks the API server fails its gate; the revert it names brings it back healthy', async () => {
    const before = keep('kube-apiserver');
    const r = edit(
      'kube-apiserver',
      editor(
        'bogus',
        `sed -i 's/^\\(\\s*\\)- --allow-privileged=true$/\\1- --bogus-flag=true\\n\\1- --allow-privileged=true/' "$1"`,
      ),
      ['--yes', '--gate-timeout', '15'],
    );
    assert.equal(r.status, 1, r.stdout);
    const hint = new RegExp(`breakglass revert kube-apiserver --to ${sha256(before).slice(0, 12)}`);
    assert.match(`${r.stdout}${r.stderr}`, hint);
    assert.match(
      fs.readFileSync(file('kube-apiserver'), 'utf8'),
      /--bogus-flag=true/,
      'the edit is in place',
    );
    const undo = breakglass(
      ['revert', 'kube-apiserver', '--to', sha256(before).slice(0, 12), '--yes', ...flags],
      {
        timeout: 240_000,
      },
    );
    assert.equal(undo.status, 0, undo.stderr);
    assert.ok(fs.readFileSync(file('kube-apiserver')).equals(before));
    assert.ok(await healthy('kube-apiserver'), "the API server's /healthz answers");
  });

  test('a comment added: the same pod to kubelet, which keeps it running; the gate says so and passes', async () => {
    const before = keep('kube-scheduler');
    const old = runningContainers(runtime, 'kube-scheduler');
    const r = edit(
      'kube-scheduler',
      editor('comment', `sed -i '1i # checked by the on-call, 2026-12-01' "$1"`),
      ['--yes', '--gate-timeout', '30'],
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /the pod decodes the same \(kubelet keeps it running, no new container\)/);
    assert.deepEqual(runningContainers(runtime, 'kube-scheduler'), old, 'the same container runs');
    const history = breakglass(['history', 'kube-scheduler', '--json', ...flags]).stdout;
    assert.ok(
      history.includes(sha256(fs.readFileSync(file('kube-scheduler')))),
      'the edit is in the history',
    );
    assert.match(history, /"source":\s*"edit"/);
    fs.writeFileSync(file('kube-scheduler'), before);
  });

  test('a manifest that does not parse is repaired with edit: kubelet runs the pod again', async () => {
    const before = keep('kube-scheduler');
    // The history has the healthy version (the path unit or the TUI records it): kubelet keeps that pod
    // while the file does not parse, and the repair gives its bytes back.
    await until(
      'the healthy scheduler manifest in the history',
      () => {
        assert.equal(breakglass(['history', '--record', ...flags]).status, 0);
        const h = JSON.parse(breakglass(['history', 'kube-scheduler', '--json', ...flags]).stdout);
        return h.lastKnownHealthy === sha256(before);
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    );
    fs.writeFileSync(file('kube-scheduler'), `${before.toString('utf8')}  broken: [unclosed\n`);
    const r = edit('kube-scheduler', editor('repair', `sed -i '/broken: \\[unclosed/d' "$1"`), ['--yes']);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(fs.readFileSync(file('kube-scheduler')).equals(before), 'the repaired bytes');
    assert.ok(await healthy('kube-scheduler'));
  });

  for (const point of ['replace-after-intent', 'replace-after-temp', 'replace-after-rename']) {
    test(`kill -9 of an edit at ${point}: recover leaves the manifest exactly once, old or new, whole`, async () => {
      const before = keep('kube-scheduler');
      const listing = entries();
      const script = editor(
        `crash-${point}`,
        `sed -i 's/^    tier: control-plane$/    tier: control-plane\\n    crash: "${point}"/' "$1"`,
      );
      const r = edit('kube-scheduler', script, ['--yes'], { BREAKGLASS_CRASHPOINT: point });
      assert.equal(r.signal, 'SIGKILL', `${r.stdout}\n${r.stderr}`);
      const recovered = breakglass(['recover', ...flags]);
      assert.equal(recovered.status, 0, recovered.stderr);
      assert.deepEqual(entries(), listing, 'no temp file, no second pod file');
      const now = fs.readFileSync(file('kube-scheduler'));
      const edited = Buffer.from(
        before
          .toString('utf8')
          .replace(/^ {4}tier: control-plane$/m, `    tier: control-plane\n    crash: "${point}"`),
      );
      assert.ok(
        now.equals(before) || now.equals(edited),
        `whole, old or new: ${now.toString('utf8').slice(0, 200)}`,
      );
      if (!now.equals(before)) fs.writeFileSync(file('kube-scheduler'), before);
      fs.rmSync(path.join(edits, 'kube-scheduler.yaml'), { force: true });
      await labHealthy(l.portOffset);
    });
  }
});
