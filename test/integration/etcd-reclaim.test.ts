// etcd out of space on the lab (the `etcd-nospace` fault: a small quota, filled until etcd raises
// NOSPACE), seen by `breakglass etcd` and the doctor, and put right by `breakglass etcd reclaim`; the node
// checked with etcdctl, not breakglass's word: no alarm left, a write goes through. A kill -9 at each
// point of the reclaim, then `recover`: the record ends and the reclaim runs again to its end.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import type { DoctorReport } from '../../src/cli/render/doctor.js';
import type { EtcdView } from '../../src/model/etcd-cluster.js';
import { labOrNull } from '../helpers/lab.js';
import { labEtcdctl } from '../helpers/lab-etcdctl.js';
import { labHealthy } from '../helpers/restart.js';
import { breakglass, breakglassJson } from '../helpers/run.js';

const lab = labOrNull();
const quiet = () => {};

describe('breakglass etcd reclaim on the lab', {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 1_200_000,
}, () => {
  const l = lab!;
  const flags = () => ['--root', l.nodeRoot, '--journal-dir', l.journalDir, '--dbus', l.dbusAddress];
  const etcdctl = labEtcdctl(l);
  const alarms = () => etcdctl(['alarm', 'list']).stdout.trim();
  const writeWorks = () => {
    const r = etcdctl(['put', '/breakglass-test/reclaim', 'ok']);
    if (r.status === 0) etcdctl(['del', '/breakglass-test/reclaim']);
    return r;
  };
  const auditActions = () =>
    fs
      .readFileSync(path.join(l.nodeRoot, 'var/lib/breakglass/audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; outcome: string });

  before(async () => {
    await labHealthy(l.portOffset, 120_000);
  });
  after(async () => {
    await labHeal(l.dir, 'etcd-nospace', quiet).catch(() => {});
  });

  test('NOSPACE: seen by etcd and the doctor, cleared by reclaim; etcdctl shows no alarm and a write works', async () => {
    await labFault(l.dir, 'etcd-nospace', quiet);
    assert.match(alarms(), /alarm:NOSPACE/, 'the fault raised the alarm');
    assert.match(writeWorks().stderr, /database space exceeded/);

    const seen = breakglassJson<EtcdView & { problems: { code: string }[] }>(['etcd', ...flags()]);
    assert.equal(seen.result.status, 1, seen.result.stderr);
    assert.deepEqual(
      seen.json.alarms?.map((a) => a.alarm),
      ['NOSPACE'],
    );
    assert.ok(seen.json.problems.some((p) => p.code === 'etcd-alarm'));
    assert.ok(seen.json.quota < 2 * 1024 ** 3, `the fault's small quota: ${seen.json.quota}`);

    const doctor = breakglass(['doctor', '--json', ...flags()], { timeout: 60_000 });
    const report = JSON.parse(doctor.stdout) as DoctorReport;
    // The root cause, first: not the disk (it has room; the quota is what is full).
    const nospace = report.findings[0];
    assert.equal(nospace?.code, 'etcd-nospace', JSON.stringify(report.findings.map((f) => f.code)));
    assert.equal(nospace!.severity, 'error');

    const before = auditActions().length;
    const r = breakglass(['etcd', 'reclaim', '--yes', ...flags()], { timeout: 300_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /has its space back and takes writes/);
    assert.equal(alarms(), '', 'etcdctl alarm list: none');
    assert.equal(writeWorks().status, 0, 'etcdctl put works');
    const done = auditActions()
      .slice(before)
      .map((a) => `${a.action}:${a.outcome}`);
    for (const action of ['etcd-compact:ok', 'etcd-defragment:ok', 'etcd-disarm:ok'])
      assert.ok(done.includes(action), `${action} in ${done.join(', ')}`);
    const snapshots = fs.readdirSync(path.join(l.nodeRoot, 'var/lib/breakglass/snapshots'));
    assert.ok(snapshots.length > 0, 'a snapshot first');
    await labHeal(l.dir, 'etcd-nospace', quiet);
  });

  test('defrag and disarm alone: refused while the history fills the quota; after a compaction they do it', async () => {
    await labFault(l.dir, 'etcd-nospace', quiet);
    try {
      const disarm = breakglass(['etcd', 'disarm', '--yes', ...flags()], { timeout: 120_000 });
      assert.equal(disarm.status, 1, disarm.stdout);
      assert.match(
        disarm.stdout,
        /the database is still .* at or near its .* quota .*: disarmed now, NOSPACE would be raised again at once/,
      );
      assert.match(alarms(), /alarm:NOSPACE/, 'not disarmed');
      // Defragmenting alone frees nothing the history holds: etcd still refuses the write check.
      const defrag = breakglass(['etcd', 'defrag', '--yes', ...flags()], { timeout: 300_000 });
      assert.equal(defrag.status, 1, defrag.stdout);
      assert.match(defrag.stdout, /etcd still refuses a write: .*(database space exceeded|no space)/);
      // By hand, the step these two do not take: then each does its part.
      const status = JSON.parse(etcdctl(['endpoint', 'status', '-w', 'json']).stdout) as {
        Status: { header: { revision: number } };
      }[];
      assert.equal(etcdctl(['compact', String(status[0]!.Status.header.revision)]).status, 0);
      const defragged = breakglass(['etcd', 'defrag', '--yes', ...flags()], { timeout: 300_000 });
      assert.equal(defragged.status, 1, 'still armed: the write check fails');
      const disarmed = breakglass(['etcd', 'disarm', '--yes', ...flags()], { timeout: 120_000 });
      assert.equal(disarmed.status, 0, `${disarmed.stdout}${disarmed.stderr}`);
      assert.equal(alarms(), '');
      assert.equal(writeWorks().status, 0);
    } finally {
      await labHeal(l.dir, 'etcd-nospace', quiet);
    }
  });

  for (const point of ['etcd-after-compact', 'etcd-after-defrag']) {
    test(`kill -9 ${point}: recover ends the record, the reclaim runs again to the end`, async () => {
      await labFault(l.dir, 'etcd-nospace', quiet);
      const killed = breakglass(['etcd', 'reclaim', '--yes', ...flags()], {
        timeout: 300_000,
        env: { ...process.env, BREAKGLASS_CRASHPOINT: point },
      });
      assert.equal(killed.status, 1, `${killed.stdout}${killed.stderr}`);
      assert.match(killed.stderr, /the etcd reclaim run \(pid \d+\) ended without a result: killed/);
      const recovered = breakglass(['recover', ...flags()]);
      assert.equal(recovered.status, 0, `${recovered.stdout}${recovered.stderr}`);
      const again = breakglass(['etcd', 'reclaim', '--yes', ...flags()], { timeout: 300_000 });
      assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
      assert.equal(alarms(), '');
      assert.equal(writeWorks().status, 0);
      await labHeal(l.dir, 'etcd-nospace', quiet);
    });
  }
});
