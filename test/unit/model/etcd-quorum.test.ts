// The quorum verdict before this etcd member restarts: a majority of all members must still answer
// without it. A single member has no quorum to keep; 3 members keep it with both peers up, lose it with
// one; 5 keep it with 3 peers up, not with 2. Silent peers are named in the text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quorumFacts, quorumWithoutThisMember } from '../../../src/model/etcd-quorum.js';

test('a single member: nothing to lose, but the text says etcd is down while it restarts', () => {
  const v = quorumWithoutThisMember({ members: 1, answeringPeers: 0, silentPeers: [] });
  assert.equal(v.ok, true);
  assert.match(v.text, /a single member: etcd, and the API server with it, is unavailable until it is back/);
});

test('3 members, both peers answering: quorum holds', () => {
  const v = quorumWithoutThisMember({ members: 3, answeringPeers: 2, silentPeers: [] });
  assert.equal(v.ok, true);
  assert.equal(v.text, '2 of 2 peers answer: quorum (2 of 3) holds while this member restarts');
});

test('3 members, one peer answering: refused, the silent one named', () => {
  const v = quorumWithoutThisMember({
    members: 3,
    answeringPeers: 1,
    silentPeers: ['m3: connection refused'],
  });
  assert.equal(v.ok, false);
  assert.equal(
    v.text,
    "restarting this member would lose etcd's quorum: 1 of 2 peers answer, 2 of 3 members are needed (not answering: m3: connection refused)",
  );
});

test('3 members, no peer answering: refused', () => {
  const v = quorumWithoutThisMember({ members: 3, answeringPeers: 0, silentPeers: ['m2: x', 'm3: y'] });
  assert.equal(v.ok, false);
  assert.match(v.text, /would lose etcd's quorum: 0 of 2 peers answer, 2 of 3 members are needed/);
  assert.match(v.text, /\(not answering: m2: x; m3: y\)$/);
});

test('5 members: 3 answering peers keep quorum, 2 do not', () => {
  const three = quorumWithoutThisMember({ members: 5, answeringPeers: 3, silentPeers: ['m5: down'] });
  assert.equal(three.ok, true);
  assert.equal(
    three.text,
    '3 of 4 peers answer: quorum (3 of 5) holds while this member restarts (not answering: m5: down)',
  );
  const two = quorumWithoutThisMember({
    members: 5,
    answeringPeers: 2,
    silentPeers: ['m4: down', 'm5: down'],
  });
  assert.equal(two.ok, false);
  assert.match(two.text, /would lose etcd's quorum: 2 of 4 peers answer, 3 of 5 members are needed/);
});

test('learners do not vote: a learner counts neither as a member nor as a peer that answers', () => {
  const member = (id: string, isLearner = false) => ({
    id,
    name: id,
    peerURLs: [],
    clientURLs: [],
    isLearner,
  });
  const facts = quorumFacts({
    self: {} as never,
    members: [member('a'), member('b'), member('c', true)],
    peers: [
      { member: member('b'), how: 'status', status: null, error: 'connection refused' },
      { member: member('c', true), how: 'status', status: null, error: null },
    ],
    alarms: [],
    alarmsError: null,
    quorum: true,
    quorumError: null,
  });
  assert.deepEqual(facts, { members: 2, answeringPeers: 0, silentPeers: ['b: connection refused'] });
  assert.equal(quorumWithoutThisMember(facts).ok, false);
});
