// etcd's own troubles as the doctor names them: the NOSPACE and CORRUPT alarms, its peers gone, no leader
// or quorum, a slow disk, its file system full. Pure: kubeadm's manifests and what etcd says, as a test
// tells them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../../../src/model/diagnosis/diagnose.js';
import { fsyncSeverity } from '../../../../src/model/diagnosis/etcd-causes.js';
import type { EtcdView } from '../../../../src/model/etcd-cluster.js';
import { doctorNode, NOW } from '../../../helpers/doctor-input.js';

test('WAL fsync: since etcd started only a hint; a few slow fsyncs a warning; many slow ones an error', () => {
  assert.equal(fsyncSeverity('since-start', 5_000, 500), 'info');
  assert.equal(fsyncSeverity('interval', 2, 500), 'info');
  assert.equal(fsyncSeverity('interval', 5, 150), 'warning');
  assert.equal(fsyncSeverity('interval', 50, 150), 'error');
  assert.equal(fsyncSeverity('interval', 5, 30), 'info');
  assert.equal(fsyncSeverity('interval', 50, 30), 'warning');
});

const healthyView = (): EtcdView => ({
  clusterId: '999',
  member: {
    id: '111',
    name: 'm1',
    version: '3.5.15',
    isLeader: true,
    isLearner: false,
    raftTerm: '2',
    raftIndex: '100',
    revision: 50,
    errors: [],
  },
  members: [],
  leader: { id: '111', name: 'm1' },
  quorum: true,
  quorumError: null,
  dbSize: 100 * 1024 ** 2,
  dbSizeInUse: 50 * 1024 ** 2,
  quota: 2 * 1024 ** 3,
  alarms: [],
  alarmsError: null,
});

const etcdWord = (
  over: Partial<NonNullable<NonNullable<ReturnType<typeof doctorNode>['etcd']>['word']>>,
) => ({
  at: new Date(NOW).toISOString(),
  error: null,
  word: {
    view: healthyView(),
    errors: [],
    dbSizeBytes: 100 * 1024 ** 2,
    quotaBytes: 2 * 1024 ** 3,
    peersDown: [],
    members: 3,
    memberId: '111',
    memberNames: { '111': 'm1', '222': 'm2', '333': 'm3' },
    access: {
      url: 'https://127.0.0.1:2379',
      caFile: '/pki/etcd/ca.crt',
      certFile: '/pki/c.crt',
      keyFile: '/pki/c.key',
    },
    ...over,
  },
});

test("etcd's NOSPACE alarm: writes refused; the fix is breakglass etcd reclaim (compact, defragment, disarm)", () => {
  const input = {
    ...doctorNode(),
    etcd: etcdWord({ errors: ['memberID:111 alarm:NOSPACE '], dbSizeBytes: 2 * 1024 ** 3 }),
  };
  const [f] = diagnose(input);
  assert.equal(f!.code, 'etcd-nospace');
  assert.match(f!.title, /refuses every write \(database 2\.0 GiB of its 2\.0 GiB quota\)/);
  assert.equal(f!.fix.command, 'breakglass etcd reclaim');
  assert.match(
    f!.fix.text,
    /--endpoints https:\/\/127\.0\.0\.1:2379 --cacert \/pki\/etcd\/ca\.crt .* compact <revision>; defrag; alarm disarm$/,
  );
  assert.match(f!.fix.text, /then each other member on its own node/);
  const near = diagnose({ ...doctorNode(), etcd: etcdWord({ dbSizeBytes: 1.8 * 1024 ** 3 }) });
  assert.deepEqual(
    near.map((x) => [x.code, x.severity]),
    [['etcd-nospace', 'warning']],
  );
});

test("etcd's CORRUPT alarm names whose data differs: this member, or a peer to fix on its own node", () => {
  const mine = diagnose({ ...doctorNode(), etcd: etcdWord({ errors: ['memberID:111 alarm:CORRUPT '] }) })[0]!;
  assert.match(mine.title, /the data of this member differs/);
  assert.match(mine.fix.text, /remove this member and add it back with an empty data directory/);
  const peer = diagnose({ ...doctorNode(), etcd: etcdWord({ errors: ['memberID:222 alarm:CORRUPT '] }) })[0]!;
  assert.match(peer.title, /the data of m2 differs/);
  assert.match(peer.fix.text, /fix it on that member's node/);
  const alone = diagnose({
    ...doctorNode(),
    etcd: etcdWord({ errors: ['memberID:111 alarm:CORRUPT '], members: 1 }),
  })[0]!;
  assert.match(alone.fix.text, /restore it from the newest snapshot/);
});

test('etcd peers gone: quorum lost is an error, one missing of three a warning', () => {
  const lost = diagnose({
    ...doctorNode(),
    etcd: etcdWord({
      peersDown: [
        { name: 'm2', error: 'refused' },
        { name: 'm3', error: 'refused' },
      ],
    }),
  });
  assert.deepEqual([lost[0]!.code, lost[0]!.severity], ['etcd-peers-down', 'error']);
  assert.match(lost[0]!.title, /quorum is lost/);
  const one = diagnose({
    ...doctorNode(),
    etcd: etcdWord({ peersDown: [{ name: 'm2', error: 'refused' }] }),
  });
  assert.deepEqual([one[0]!.code, one[0]!.severity], ['etcd-peers-down', 'warning']);
});

test('etcd without a leader or quorum: the cause, with the linearizable read that failed as evidence', () => {
  const view = { ...healthyView(), leader: null, quorum: false, quorumError: 'no answer to Range in time' };
  const [f] = diagnose({ ...doctorNode(), etcd: etcdWord({ view, members: 1 }) });
  assert.equal(f!.code, 'etcd-no-quorum');
  assert.equal(f!.severity, 'error');
  assert.match(f!.title, /it has no leader, so the API server fails/);
  assert.ok(f!.evidence.some((e) => /a linearizable read: no answer to Range in time/.test(e.text)));
  assert.match(f!.fix.text, /a single member without a leader/);
});

test("etcd's file system: full under two WAL files' room or 5 %; 217 MiB of 487 free is neither (etcd's quota is not its disk)", () => {
  const MIB = 1024 ** 2;
  const withEtcdFs = (availableBytes: number, totalBytes: number) => {
    const input = doctorNode();
    const usedPct = (100 * (totalBytes - availableBytes)) / totalBytes;
    const fs = {
      label: '/var/lib/etcd',
      ok: true as const,
      devNum: '7:0',
      totalBytes,
      availableBytes,
      usedPct,
      inodesTotal: 1000,
      inodesFree: 900,
      inodesUsedPct: 10,
    };
    const vitals = { at: new Date(NOW), filesystems: [fs] } as unknown as NonNullable<
      typeof input.facts.vitals.value
    >;
    return diagnose({
      ...input,
      facts: { ...input.facts, vitals: { value: vitals, error: null, at: NOW } },
    }).filter((f) => f.code.includes('disk'));
  };
  assert.deepEqual(withEtcdFs(217 * MIB, 487 * MIB), []);
  assert.deepEqual(
    withEtcdFs(100 * MIB, 487 * MIB).map((f) => [f.code, f.severity]),
    [['etcd-disk-full', 'error']],
  );
  assert.deepEqual(
    withEtcdFs(400 * MIB, 10 * 1024 * MIB).map((f) => [f.code, f.severity]),
    [['etcd-disk-full', 'error']],
  );
});
