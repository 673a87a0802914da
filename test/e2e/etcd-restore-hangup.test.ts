// `breakglass etcd restore` typed in a real terminal (tmux) on the lab, the terminal closed mid-restore
// (the tmux server killed: SIGHUP, as when the SSH session drops) once etcd's old data is moved aside:
// the restore goes on by itself to its end. Checked on the node: etcdctl reads the snapshot's key and
// not the later one, the API server is ready, the lost data is kept beside, the manifests are back, and
// breakglass's record of the run says it finished.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labOrNull } from '../helpers/lab.js';
import { labEtcdctl } from '../helpers/lab-etcdctl.js';
import { BIN } from '../helpers/paths.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglassJson } from '../helpers/run.js';
import { Tmux } from '../helpers/tmux.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();
const quiet = () => {};

describe('etcd restore from a terminal that closes mid-way', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 600_000,
}, () => {
  const l = lab!;
  const flags = ['--root', l?.nodeRoot, '--journal-dir', l?.journalDir, '--dbus', l?.dbusAddress];
  const dataDir = path.join(l?.nodeRoot ?? '', 'var/lib/etcd');
  const stateDir = path.join(l?.nodeRoot ?? '', 'var/lib/breakglass');
  const asideDirs = () => fs.readdirSync(dataDir).filter((n) => n.startsWith('member.'));
  const etcdctl = labEtcdctl(l ?? ({} as never));
  const value = (key: string) => etcdctl(['get', key, '--print-value-only']).stdout.trim();
  let tmux: Tmux | null = null;
  let faulted = false;

  after(async () => {
    tmux?.kill();
    if (faulted) await labHeal(l.dir, 'etcd-data-lost', quiet);
    // The lab's etcd disk is small: what this test moved aside goes once it is checked.
    for (const name of asideDirs()) fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
    etcdctl(['del', '--prefix', '/breakglass-test/hangup/']);
    await labHealthy(l.portOffset);
  });

  test('SIGHUP after the old data moved aside: the restore finishes on its own', async () => {
    await labHealthy(l.portOffset);
    assert.deepEqual(asideDirs(), [], 'nothing aside from an earlier run');
    assert.equal(etcdctl(['put', '/breakglass-test/hangup/before', 'kept']).status, 0);
    const snap = breakglassJson<{ path: string }>(['snapshot', ...flags]);
    assert.equal(snap.result.status, 0, snap.result.stderr);
    assert.equal(etcdctl(['put', '/breakglass-test/hangup/after', 'lost']).status, 0);
    await labFault(l.dir, 'etcd-data-lost', quiet);
    faulted = true;

    tmux = new Tmux(160, 48);
    tmux.start({ DBUS_SYSTEM_BUS_ADDRESS: l.dbusAddress });
    tmux.run(`${BIN} etcd restore ${snap.json.path} --yes ${flags.join(' ')}`);
    await until('the old member directory moved aside', () => asideDirs().length > 0, {
      timeoutMs: 120_000,
      intervalMs: 50,
      context: () => tmux?.screen() ?? '',
    });
    // The terminal goes: every process of the pane's session gets SIGHUP.
    tmux.kill();
    tmux = null;
    assert.ok(
      fs.existsSync(path.join(stateDir, 'procedure.json')),
      'the restore was still running when the terminal went',
    );

    await until('the restore filed as ended', () => !fs.existsSync(path.join(stateDir, 'procedure.json')), {
      timeoutMs: 300_000,
      intervalMs: 500,
    });
    const records = fs
      .readdirSync(path.join(stateDir, 'procedures'))
      .filter((n) => n.endsWith('.json'))
      .sort();
    const last = JSON.parse(fs.readFileSync(path.join(stateDir, 'procedures', records.at(-1)!), 'utf8'));
    assert.equal(last.end?.ok, true, JSON.stringify(last.end));
    assert.equal(value('/breakglass-test/hangup/before'), 'kept');
    assert.equal(value('/breakglass-test/hangup/after'), '', 'written after the snapshot: gone');
    const readyz = () =>
      spawnSync(
        'curl',
        ['-sk', '--max-time', '3', `https://127.0.0.1:${labPorts(l.portOffset).apiserver}/readyz`],
        { encoding: 'utf8' },
      ).stdout.trim();
    await until('the API server ready', () => readyz() === 'ok', { timeoutMs: 60_000, intervalMs: 500 });
    const kept = asideDirs();
    assert.equal(kept.length, 1, `the lost data kept beside: ${kept}`);
    assert.match(kept[0]!, /^member\.breakglass-\d{8}T\d{6}Z$/);
    const manifests = path.join(l.nodeRoot, 'etc/kubernetes/manifests');
    for (const file of ['etcd.yaml', 'kube-apiserver.yaml'])
      assert.ok(fs.existsSync(path.join(manifests, file)), `${file} back in the manifest directory`);
  });
});
