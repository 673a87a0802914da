// The quorum check before a restart of this node's etcd member, against a real cluster of three etcd
// members (Debian's /usr/bin/etcd) on loopback with TLS both ways, client and peer, certificates made here:
// with all three up, readEtcdCluster on member 1 sees the three members and both peers answering, and the
// verdict lets the restart go on; with member 3 killed, member 1 sees member 3 silent and member 2
// answering, and the verdict refuses; with member 1 itself down, readEtcdCluster rejects with an EtcdError
// that says it does not answer. Nothing is mocked; no lab is needed; no traffic leaves loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EtcdError } from '../../src/clients/etcd.js';
import { quorumFacts, quorumWithoutThisMember } from '../../src/model/etcd-quorum.js';
import { type EtcdCluster, readEtcdCluster } from '../../src/sources/etcd/cluster.js';
import { type Member, TestEtcdCluster } from '../helpers/etcd-cluster.js';

describe('the quorum check on a real 3-member etcd cluster', { timeout: 120_000 }, () => {
  const cluster3 = new TestEtcdCluster({ members: 3 });
  const member = (i: number) => cluster3.member(i);
  const access = (m: Member) => cluster3.access(m);
  const kill = (m: Member) => cluster3.kill(m);

  before(() => cluster3.start());
  after(() => cluster3.stop());

  /** The facts the etcd-quorum step (src/procedures/etcd-steps.ts) gives the verdict. */
  const factsOf = quorumFacts;

  const peerNamed = (cluster: EtcdCluster, name: string) => {
    const peer = cluster.peers.find((p) => p.member.name === name);
    assert.ok(peer, `${name} among the peers: ${JSON.stringify(cluster.peers)}`);
    return peer;
  };

  test('all three up: three members, both peers answer, and the restart keeps quorum', async () => {
    const cluster = await readEtcdCluster(access(member(1)));
    assert.deepEqual(cluster.members.map((m) => m.name).sort(), ['m1', 'm2', 'm3']);
    // This member is told apart from its peers by its own id: it is not among them.
    const self = cluster.members.find((m) => m.id === cluster.self.memberId);
    assert.equal(self?.name, 'm1', `the status's member id ${cluster.self.memberId} is m1's`);
    assert.deepEqual(cluster.peers.map((p) => p.member.name).sort(), ['m2', 'm3']);
    for (const peer of cluster.peers) assert.equal(peer.error, null, `${peer.member.name} answers`);
    assert.deepEqual(peerNamed(cluster, 'm2').member.clientURLs, [
      `https://127.0.0.1:${member(2).clientPort}`,
    ]);
    const verdict = quorumWithoutThisMember(factsOf(cluster));
    assert.equal(verdict.ok, true, verdict.text);
    assert.equal(verdict.text, '2 of 2 peers answer: quorum (2 of 3) holds while this member restarts');
  });

  test('member 3 killed: member 1 sees it silent, member 2 answering, and the restart is refused', async () => {
    await kill(member(3));
    const cluster = await readEtcdCluster(access(member(1)));
    // The member list is unchanged: a dead member is still a member, and still counts for the majority.
    assert.equal(cluster.members.length, 3);
    assert.equal(peerNamed(cluster, 'm2').error, null, 'm2 answers');
    const m3 = peerNamed(cluster, 'm3');
    assert.match(m3.error ?? '', new RegExp(`127\\.0\\.0\\.1:${member(3).clientPort}: connection refused`));
    const verdict = quorumWithoutThisMember(factsOf(cluster));
    assert.equal(verdict.ok, false, verdict.text);
    assert.match(verdict.text, /would lose etcd's quorum: 1 of 2 peers answer, 2 of 3 members are needed/);
    assert.match(verdict.text, /\(not answering: m3: 127\.0\.0\.1:\d+: connection refused/);
  });

  test('member 1 itself down: readEtcdCluster rejects with an EtcdError, soon', async () => {
    await kill(member(1));
    const started = Date.now();
    await assert.rejects(readEtcdCluster(access(member(1))), (err: unknown) => {
      assert.ok(err instanceof EtcdError, `an EtcdError: ${String(err)}`);
      assert.ok(
        ['refused', 'unreachable', 'timeout'].includes(err.reason),
        `reason ${err.reason}: ${err.message}`,
      );
      assert.match(err.message, new RegExp(`^127\\.0\\.0\\.1:${member(1).clientPort}: `));
      return true;
    });
    assert.ok(Date.now() - started < 5_000, 'within its 3 s deadline and a margin');
  });
});
