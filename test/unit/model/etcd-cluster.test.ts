import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EtcdMember, EtcdStatus } from '../../../src/clients/etcd.js';
import { nodeAlerts } from '../../../src/model/alerts.js';
import {
  activeAlarms,
  ETCD_DEFAULT_QUOTA,
  etcdMaxRequest,
  etcdProblems,
  etcdQuota,
  etcdView,
  roomUnderQuota,
} from '../../../src/model/etcd-cluster.js';
import type { EtcdCluster, PeerAnswer } from '../../../src/sources/etcd/cluster.js';
import { doctorNode } from '../../helpers/doctor-input.js';

const MIB = 1024 ** 2;

const member = (id: string, name = `m${id}`, isLearner = false): EtcdMember => ({
  id,
  name,
  peerURLs: [`https://127.0.0.1:${id}80`],
  clientURLs: [`https://127.0.0.1:${id}79`],
  isLearner,
});

const status = (over: Partial<EtcdStatus> = {}): EtcdStatus => ({
  clusterId: '99',
  memberId: '1',
  revision: 500,
  raftTerm: '3',
  version: '3.5.15',
  dbSize: 40 * MIB,
  dbSizeInUse: 20 * MIB,
  leader: '1',
  raftIndex: '9000',
  errors: [],
  isLearner: false,
  ...over,
});

function cluster(over: Partial<EtcdCluster> = {}): EtcdCluster {
  return {
    self: status(),
    members: [member('1')],
    peers: [],
    alarms: [],
    alarmsError: null,
    quorum: true,
    quorumError: null,
    ...over,
  };
}

test('a single healthy member: the leader, quorum, healthy, nothing to act on', () => {
  const v = etcdView(cluster(), ETCD_DEFAULT_QUOTA);
  assert.equal(v.member.isLeader, true);
  assert.deepEqual(v.leader, { id: '1', name: 'm1' });
  assert.deepEqual(
    v.members.map((m) => [m.name, m.self, m.healthy, m.how]),
    [['m1', true, true, 'self']],
  );
  assert.deepEqual(etcdProblems(v), []);
});

test('three members: a peer that answered its Status is healthy, one whose raft link is down is not; quorum holds', () => {
  const peers: PeerAnswer[] = [
    { member: member('2'), how: 'status', status: status({ memberId: '2' }), error: null },
    {
      member: member('3'),
      how: 'peer-link',
      status: null,
      error: "this member's raft connection to it is down",
    },
  ];
  const v = etcdView(
    cluster({ self: status({ leader: '2' }), members: [member('1'), member('2'), member('3')], peers }),
    ETCD_DEFAULT_QUOTA,
  );
  assert.equal(v.member.isLeader, false);
  assert.equal(v.leader?.name, 'm2');
  assert.deepEqual(
    v.members.map((m) => [m.name, m.healthy, m.leader]),
    [
      ['m1', true, false],
      ['m2', true, true],
      ['m3', false, false],
    ],
  );
  assert.deepEqual(etcdProblems(v), []);
});

test('quorum lost: two of three members gone, no leader; both said, with how many answer', () => {
  const peers: PeerAnswer[] = [
    { member: member('2'), how: 'status', status: null, error: 'connection refused' },
    { member: member('3'), how: 'status', status: null, error: 'connection refused' },
  ];
  const v = etcdView(
    cluster({
      self: status({ leader: '0', errors: [] }),
      members: [member('1'), member('2'), member('3')],
      peers,
      quorum: false,
      quorumError: 'no answer to Range in time',
      alarms: null,
      alarmsError: 'no answer to Alarm in time',
    }),
    ETCD_DEFAULT_QUOTA,
  );
  assert.equal(v.leader, null);
  assert.equal(v.members[0]!.healthy, false);
  assert.match(v.members[0]!.error!, /no leader/);
  const problems = etcdProblems(v);
  assert.deepEqual(
    problems.map((p) => [p.code, p.severity]),
    [
      ['etcd-quorum-lost', 'error'],
      ['etcd-no-leader', 'error'],
    ],
  );
  assert.match(problems[0]!.text, /1 of 3 members answer, 2 needed/);
});

test('learners do not vote: a learner neither counts toward quorum nor is a peer that answers', () => {
  const peers: PeerAnswer[] = [
    { member: member('2', 'm2', true), how: 'status', status: status({ memberId: '2' }), error: null },
  ];
  const v = etcdView(
    cluster({ members: [member('1'), member('2', 'm2', true)], peers, quorum: false, quorumError: 'x' }),
    ETCD_DEFAULT_QUOTA,
  );
  assert.match(etcdProblems(v)[0]!.text, /1 of 1 members answer/);
});

test('a peer on another node with its raft link unreadable: its health is unknown, not false', () => {
  const peers: PeerAnswer[] = [
    {
      member: member('2'),
      how: 'unknown',
      status: null,
      error: 'not asked (its client URLs are on another node)',
    },
  ];
  const v = etcdView(cluster({ members: [member('1'), member('2')], peers }), ETCD_DEFAULT_QUOTA);
  assert.equal(v.members[1]!.healthy, null);
  assert.equal(v.members[1]!.how, 'unknown');
});

test('the NOSPACE alarm is an error with the size; a database at 85 % of its quota a warning; not both', () => {
  const nospace = etcdView(
    cluster({
      self: status({ dbSize: 16 * MIB, errors: ['memberID:1 alarm:NOSPACE '] }),
      alarms: [{ memberId: '1', alarm: 'NOSPACE' }],
    }),
    16 * MIB,
  );
  assert.deepEqual(activeAlarms(nospace), ['NOSPACE']);
  assert.deepEqual(nospace.alarms, [{ memberId: '1', member: 'm1', alarm: 'NOSPACE' }]);
  assert.deepEqual(
    etcdProblems(nospace).map((p) => [p.code, p.severity]),
    [['etcd-alarm', 'error']],
  );
  assert.match(
    etcdProblems(nospace)[0]!.text,
    /refuses every write \(database 16\.0 MiB of its 16\.0 MiB quota, 100 %\)/,
  );
  assert.equal(nospace.members[0]!.healthy, false);

  const near = etcdView(cluster({ self: status({ dbSize: 1.7 * 1024 ** 3 }) }), ETCD_DEFAULT_QUOTA);
  assert.deepEqual(
    etcdProblems(near).map((p) => [p.code, p.severity]),
    [['etcd-quota', 'warning']],
  );
});

test("an alarm is seen in the member's own errors when the list could not be read (it needs quorum)", () => {
  const v = etcdView(
    cluster({
      self: status({ errors: ['memberID:1 alarm:CORRUPT '] }),
      alarms: null,
      alarmsError: 'timeout',
    }),
    ETCD_DEFAULT_QUOTA,
  );
  assert.deepEqual(activeAlarms(v), ['CORRUPT']);
  assert.equal(v.alarms, null);
});

test('--quota-backend-bytes: unset, 0, negative or junk is the 2 GiB default', () => {
  assert.equal(etcdQuota(undefined), 2 * 1024 ** 3);
  assert.equal(etcdQuota('0'), 2 * 1024 ** 3);
  assert.equal(etcdQuota('-1'), 2 * 1024 ** 3);
  assert.equal(etcdQuota('lots'), 2 * 1024 ** 3);
  assert.equal(etcdQuota('8589934592'), 8 * 1024 ** 3);
});

test('disarming NOSPACE needs room for two of the largest writes: a database just under its quota has not', () => {
  const MiB = 1024 ** 2;
  const max = etcdMaxRequest(undefined);
  assert.equal(max, 1.5 * MiB);
  assert.equal(etcdMaxRequest('10485760'), 10 * MiB);
  // Seen in CI: NOSPACE raised with the file under its 16 MiB quota (its size plus a 1 MiB write over it).
  assert.equal(roomUnderQuota(15.2 * MiB, 16 * MiB, max), false);
  assert.equal(roomUnderQuota(16 * MiB, 16 * MiB, max), false);
  assert.equal(roomUnderQuota(13 * MiB, 16 * MiB, max), true);
  assert.equal(
    roomUnderQuota(4 * MiB, 16 * MiB, 10 * MiB),
    false,
    'a larger --max-request-bytes asks more room',
  );
  assert.equal(roomUnderQuota(300 * MiB, 2 * 1024 ** 3, max), true);
});

test('the alerts: NOSPACE says its fix (etcd reclaim); no quorum and no leader have none', () => {
  const alertsWith = (view: ReturnType<typeof etcdView>) => {
    const { facts } = doctorNode();
    return nodeAlerts({ ...facts, etcdCluster: { value: view, error: null, at: 0 } }, [], 0).filter(
      (a) => a.code === 'etcd',
    );
  };
  const nospace = etcdView(
    cluster({ self: status({ dbSize: 16 * MIB }), alarms: [{ memberId: '1', alarm: 'NOSPACE' }] }),
    16 * MIB,
  );
  assert.deepEqual(
    alertsWith(nospace).map((a) => [a.severity, a.fix?.action ?? null]),
    [['error', 'etcd-reclaim']],
  );
  const lost = etcdView(
    cluster({ self: status({ leader: '0' }), quorum: false, quorumError: 'timeout' }),
    ETCD_DEFAULT_QUOTA,
  );
  assert.deepEqual(
    alertsWith(lost).map((a) => [a.severity, a.fix]),
    [
      ['error', null],
      ['error', null],
    ],
  );
});
