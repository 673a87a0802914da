// The node's vitals read from this machine, with the lab node's file systems.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { vitalsPaths } from '../../../src/node/file-systems.js';
import { readVitals, type VitalsSample, watchVitals } from '../../../src/sources/vitals.js';
import { labEnv } from '../../helpers/lab.js';
import { watchUntil } from '../../helpers/wait.js';

const lab = labEnv();

describe('vitals', () => {
  test("memory, load, processes and the lab's file systems", async () => {
    const paths = [
      ...vitalsPaths(lab.nodeRoot),
      { label: '/missing', path: path.join(lab.nodeRoot, 'missing') },
    ];
    const { sample, procStat } = await readVitals({ paths }, null);
    assert.ok(procStat);
    assert.ok(sample.memory.ok && sample.memory.availableBytes > 0 && sample.memory.totalBytes > 0);
    assert.ok(sample.load.cpus > 0 && sample.load.one >= 0);
    assert.equal(sample.cpu, null, 'CPU shares need two reads');
    assert.ok(sample.procs.ok && sample.procs.blocked !== null);
    const byLabel = new Map(sample.filesystems.map((f) => [f.label, f]));
    for (const label of ['/', '/var/lib/etcd', '/var/lib/kubelet', '/var/log']) {
      const fsv = byLabel.get(label)!;
      assert.ok(fsv.ok, `${label}: ${fsv.ok ? '' : fsv.error}`);
      assert.ok(fsv.totalBytes > 0 && fsv.availableBytes > 0 && fsv.usedPct >= 0);
    }
    const etcdFs = byLabel.get('/var/lib/etcd')!;
    const rootFs = byLabel.get('/')!;
    assert.ok(etcdFs.ok && rootFs.ok);
    assert.notEqual(etcdFs.devNum, rootFs.devNum, "etcd's data dir is on its own disk");
    assert.ok(etcdFs.totalBytes <= 512 * 1024 * 1024);
    const missing = byLabel.get('/missing')!;
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.error, /missing does not exist/);
  });

  test('the watcher gives CPU shares from the second sample on', async () => {
    const samples: VitalsSample[] = [];
    const second = await watchUntil<VitalsSample>(
      'second vitals sample',
      (accept) =>
        watchVitals(
          { paths: vitalsPaths(lab.nodeRoot) },
          200,
          (s) => {
            samples.push(s);
            if (samples.length === 2) accept(s);
          },
          (error) => assert.fail(error.message),
        ),
      { timeoutMs: 5000 },
    );
    assert.ok(second.cpu?.ok);
    if (second.cpu?.ok) {
      const total = second.cpu.busyPct + second.cpu.idlePct + second.cpu.iowaitPct;
      assert.ok(total === 0 || Math.abs(total - 100) < 1e-6, `shares add up: ${total}`);
      assert.ok(second.cpu.iowaitPct >= 0 && second.cpu.iowaitPct <= 100);
    }
  });
});
