// `breakglass etcd restore` on the lab: etcd's data lost (the `etcd-data-lost` fault: its database
// zeroed, etcd crash-looping), put back from a snapshot taken earlier. The node is checked with etcdctl,
// curl and the file system, not breakglass's word: a key written before the snapshot is there, one
// written after is not, the API server is ready, the old data is kept beside, the manifests are back.
// A kill -9 after the data moved aside (recover puts it back) and after the restore (recover keeps the
// restored data). A member of several is refused without --force, nothing touched.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { findRestoreTool, snapshotStatus } from '../../src/ops/etcd-restore.js';
import { pathWithout } from '../helpers/host-path.js';
import { labOrNull } from '../helpers/lab.js';
import { labEtcdctl } from '../helpers/lab-etcdctl.js';
import { kubeadmManifest, makeNodeRoot } from '../helpers/node-root.js';
import { runOnceLeft } from '../helpers/node-runtime.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();
const quiet = () => {};

describe('breakglass etcd restore on the lab', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 1_200_000,
}, () => {
  const l = lab!;
  const flags = () => ['--root', l.nodeRoot, '--journal-dir', l.journalDir, '--dbus', l.dbusAddress];
  const ports = () => labPorts(l.portOffset);
  const dataDir = () => path.join(l.nodeRoot, 'var/lib/etcd');
  const manifests = () => path.join(l.nodeRoot, 'etc/kubernetes/manifests');
  const etcdctl = labEtcdctl(l);
  const value = (key: string) => etcdctl(['get', key, '--print-value-only']).stdout.trim();
  const readyz = () =>
    spawnSync('curl', ['-sk', '--max-time', '3', `https://127.0.0.1:${ports().apiserver}/readyz`], {
      encoding: 'utf8',
    }).stdout.trim();
  const asideDirs = () => fs.readdirSync(dataDir()).filter((n) => n.startsWith('member.'));
  let snapshot = '';
  let clusterId = '';
  const clusterIdNow = () => breakglassJson<{ clusterId: string }>(['etcd', ...flags()]).json.clusterId;

  before(async () => {
    await labHealthy(l.portOffset, 120_000);
    // A run cut short may have left its keys: the snapshot must not hold "after".
    etcdctl(['del', '--prefix', '/breakglass-test/restore/']);
    assert.equal(etcdctl(['put', '/breakglass-test/restore/before', 'kept']).status, 0);
    const snap = breakglassJson<{ ok: boolean; path: string }>(['snapshot', ...flags()]);
    assert.equal(snap.result.status, 0, snap.result.stderr);
    snapshot = snap.json.path;
    clusterId = clusterIdNow();
    assert.equal(etcdctl(['put', '/breakglass-test/restore/after', 'lost']).status, 0);
  });
  after(async () => {
    await labHeal(l.dir, 'etcd-data-lost', quiet).catch(() => {});
    // Only what these tests made beside etcd's data: the lab's own disk is small.
    for (const name of asideDirs()) fs.rmSync(path.join(dataDir(), name), { recursive: true, force: true });
    etcdctl(['del', '--prefix', '/breakglass-test/restore/']);
  });

  /** What a test left beside etcd's data (the lab's disk is small): after its checks. */
  const cleanAside = () => {
    for (const name of asideDirs()) fs.rmSync(path.join(dataDir(), name), { recursive: true, force: true });
  };
  /** etcd's data lost for the test's body; healed after it whatever happened, and what it left beside removed. */
  const withLostData = async (body: () => Promise<void>) => {
    await labFault(l.dir, 'etcd-data-lost', quiet);
    try {
      assert.notEqual(etcdctl(['endpoint', 'health']).status, 0, 'etcd does not answer');
      await body();
    } finally {
      await labHeal(l.dir, 'etcd-data-lost', quiet);
      cleanAside();
    }
  };

  test('data lost: etcd says it does not answer; the restore brings the snapshot back, the old data kept', async () => {
    await withLostData(async () => {
      const seen = breakglass(['etcd', ...flags()]);
      assert.equal(seen.status, 1);
      assert.match(seen.stderr, /etcd does not answer on https:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(seen.stderr, /unexpected error/);

      const before = asideDirs();
      const r = breakglass(['etcd', 'restore', snapshot, '--yes', ...flags()], { timeout: 600_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(value('/breakglass-test/restore/before'), 'kept');
      assert.equal(value('/breakglass-test/restore/after'), '', 'written after the snapshot: gone');
      // Not "a new cluster ID" (shared/reference/recovery.md): etcd derives it from the members' names,
      // peer URLs and --initial-cluster-token, which the restore keeps.
      assert.equal(clusterIdNow(), clusterId);
      await until('the API server ready', () => readyz() === 'ok', { timeoutMs: 60_000, intervalMs: 500 });
      const kept = asideDirs().filter((n) => !before.includes(n));
      assert.equal(kept.length, 1, `one member.breakglass-<time>: ${kept}`);
      assert.match(kept[0]!, /^member\.breakglass-\d{8}T\d{6}Z$/);
      // The lost data itself, as the fault left it (its database zeroed), not a copy.
      const db = fs.readFileSync(path.join(dataDir(), kept[0]!, 'snap/db'));
      assert.ok(db.length > 0 && db.every((b) => b === 0), 'the zeroed database, moved aside whole');
      for (const file of ['etcd.yaml', 'kube-apiserver.yaml'])
        assert.ok(fs.existsSync(path.join(manifests(), file)), `${file} back in the manifest directory`);
    });
  });

  test("no etcd tool on the host: etcd's own, from its image through containerd, restores", async () => {
    await withLostData(async () => {
      const bin = pathWithout(['etcdctl', 'etcdutl']);
      try {
        const r = breakglass(['etcd', 'restore', snapshot, '--yes', '--json', ...flags()], {
          timeout: 600_000,
          env: { ...process.env, PATH: bin },
        });
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(
          r.stdout,
          /etcd's tool: etcdctl in registry\.k8s\.io\/etcd:3\.5\.15-0 \(through the runtime\)/,
        );
      } finally {
        fs.rmSync(bin, { recursive: true, force: true });
      }
      assert.equal(value('/breakglass-test/restore/before'), 'kept');
      assert.equal(value('/breakglass-test/restore/after'), '');
      await until('the API server ready', () => readyz() === 'ok', { timeoutMs: 60_000, intervalMs: 500 });
      // The one-off container and its sandbox are gone from the runtime.
      assert.deepEqual(
        runOnceLeft({ kind: 'cri', socket: l.containerdSocket }),
        [],
        'no run-once container left',
      );
    });
  });

  test("the host's etcdctl reads the snapshot as etcd's tool in the image does", async () => {
    const host = findRestoreTool();
    assert.ok(host && host.where === 'host', 'the lab host has Debian etcdctl');
    const status = await snapshotStatus(host, snapshot);
    const json = breakglassJson<{ revision: number }>(['snapshot', ...flags()]).json;
    assert.ok(
      status.revision > 0 && status.revision <= json.revision,
      `${status.revision} <= ${json.revision}`,
    );
  });

  test("no room on etcd's disk for the restore: refused before anything stops, nothing touched", async () => {
    await withLostData(async () => {
      await labFault(l.dir, 'etcd-disk-full', quiet);
      try {
        const member = fs.readdirSync(path.join(dataDir(), 'member')).sort();
        const r = breakglass(['etcd', 'restore', snapshot, '--yes', ...flags()], { timeout: 300_000 });
        assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
        assert.match(`${r.stdout}${r.stderr}`, /free and the restore writes about .* beside the old data/);
        assert.deepEqual(fs.readdirSync(path.join(dataDir(), 'member')).sort(), member);
        assert.deepEqual(asideDirs(), []);
        for (const file of ['etcd.yaml', 'kube-apiserver.yaml'])
          assert.ok(fs.existsSync(path.join(manifests(), file)), `${file} never moved`);
      } finally {
        await labHeal(l.dir, 'etcd-disk-full', quiet);
      }
    });
  });

  test('kill -9 after the data moved aside: recover puts the old data and the manifests back', async () => {
    await withLostData(async () => {
      const killed = breakglass(['etcd', 'restore', snapshot, '--yes', ...flags()], {
        timeout: 600_000,
        env: { ...process.env, BREAKGLASS_CRASHPOINT: 'restore-after-aside' },
      });
      assert.equal(killed.status, 1, `${killed.stdout}${killed.stderr}`);
      assert.ok(!fs.existsSync(path.join(dataDir(), 'member')), 'killed with the old data aside');
      const recovered = breakglass(['recover', ...flags()]);
      assert.equal(recovered.status, 0, `${recovered.stdout}${recovered.stderr}`);
      assert.match(recovered.stdout, /put back as .*member/);
      const db = fs.readFileSync(path.join(dataDir(), 'member/snap/db'));
      assert.ok(
        db.every((b) => b === 0),
        'the old (lost) data in place again, as before the restore',
      );
      for (const file of ['etcd.yaml', 'kube-apiserver.yaml'])
        assert.ok(fs.existsSync(path.join(manifests(), file)), `${file} back`);
      // The restore can run again to its end.
      const again = breakglass(['etcd', 'restore', snapshot, '--yes', ...flags()], { timeout: 600_000 });
      assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
      assert.equal(value('/breakglass-test/restore/before'), 'kept');
    });
  });

  test('kill -9 between the restore and its record: recover puts the old data back, the restored kept beside', async () => {
    await withLostData(async () => {
      const before = asideDirs();
      const killed = breakglass(['etcd', 'restore', snapshot, '--yes', ...flags()], {
        timeout: 600_000,
        env: { ...process.env, BREAKGLASS_CRASHPOINT: 'restore-after-restore' },
      });
      assert.equal(killed.status, 1, `${killed.stdout}${killed.stderr}`);
      const recovered = breakglass(['recover', ...flags()]);
      assert.equal(recovered.status, 0, `${recovered.stdout}${recovered.stderr}`);
      const db = fs.readFileSync(path.join(dataDir(), 'member/snap/db'));
      assert.ok(
        db.every((b) => b === 0),
        'the record said not restored yet: the old data is back',
      );
      const kept = asideDirs().filter((n) => !before.includes(n));
      assert.ok(
        kept.some((n) => /^member\.restore-failed-breakglass-/.test(n)),
        `the restored data kept: ${kept}`,
      );
    });
  });

  test('kill -9 once the restore is recorded: recover keeps the restored data and puts the manifests back', async () => {
    await withLostData(async () => {
      const killed = breakglass(['etcd', 'restore', snapshot, '--yes', ...flags()], {
        timeout: 600_000,
        env: { ...process.env, BREAKGLASS_CRASHPOINT: 'restore-after-record' },
      });
      assert.equal(killed.status, 1, `${killed.stdout}${killed.stderr}`);
      const recovered = breakglass(['recover', ...flags()]);
      assert.equal(recovered.status, 0, `${recovered.stdout}${recovered.stderr}`);
      await until('etcd on the restored data', () => value('/breakglass-test/restore/before') === 'kept', {
        timeoutMs: 120_000,
        intervalMs: 1_000,
      });
      assert.equal(value('/breakglass-test/restore/after'), '');
      await until('the API server ready', () => readyz() === 'ok', { timeoutMs: 60_000, intervalMs: 500 });
    });
  });
});

test('a member of three: refused without --force, with what a restore of a cluster takes; nothing touched', () => {
  const node = makeNodeRoot({ manifests: [] });
  try {
    const text = kubeadmManifest('etcd.yaml').replace(
      '--initial-cluster=master-1=https://10.0.0.10:2380',
      '--initial-cluster=master-1=https://10.0.0.10:2380,master-2=https://10.0.0.11:2380,master-3=https://10.0.0.12:2380',
    );
    fs.writeFileSync(path.join(node.manifests, 'etcd.yaml'), text, { mode: 0o600 });
    const snap = path.join(node.root, 'snap.db');
    fs.writeFileSync(snap, 'not looked at');
    const before = fs.readdirSync(node.manifests);
    const r = breakglass(['etcd', 'restore', snap, '--yes', ...node.flags]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /names 3 members \(master-1, master-2, master-3\)/);
    assert.match(r.stderr, /the same snapshot on every member/);
    assert.match(r.stderr, /--force restores this member alone/);
    assert.deepEqual(fs.readdirSync(node.manifests), before);
  } finally {
    node.cleanup();
  }
});
