import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hexMemberId, isLocalUrl } from '../../../../src/sources/etcd/cluster.js';
import { readEtcdMetrics } from '../../../../src/sources/etcd/metrics.js';

test('a peer is asked only on a client URL of this node: loopback, localhost, or an address of its own', () => {
  const local = new Set(['127.0.0.1', '::1', '10.0.0.5', 'fe80::1']);
  assert.equal(isLocalUrl('https://127.0.0.1:2379', local), true);
  assert.equal(isLocalUrl('https://127.3.4.5:2379', local), true);
  assert.equal(isLocalUrl('https://localhost:2379', local), true);
  assert.equal(isLocalUrl('https://[::1]:2379', local), true);
  assert.equal(isLocalUrl('https://10.0.0.5:2379', local), true);
  assert.equal(isLocalUrl('https://10.0.0.6:2379', local), false);
  // A name is never looked up: it may resolve anywhere.
  assert.equal(isLocalUrl('https://master-2.example:2379', local), false);
  assert.equal(isLocalUrl('not a url', local), false);
});

test("member IDs: the API's decimal, the metrics' hex", () => {
  assert.equal(hexMemberId('2747637177192039505'), '262191747e304451');
  assert.equal(hexMemberId('18446744073709551615'), 'ffffffffffffffff');
});

test("etcd_network_active_peers: the peers this member's raft links are up to", () => {
  const text = [
    '# TYPE etcd_network_active_peers gauge',
    'etcd_network_active_peers{Local="2621bd58b0c8ba51",Remote="8e9e05c52164694d"} 1',
    'etcd_network_active_peers{Local="2621bd58b0c8ba51",Remote="91BC3C398FB3C146"} 1',
    'etcd_network_active_peers{Local="2621bd58b0c8ba51",Remote="fd422379fda50e48"} 0',
    '# TYPE etcd_mvcc_db_total_size_in_bytes gauge',
    'etcd_mvcc_db_total_size_in_bytes 4096',
  ].join('\n');
  const scrape = readEtcdMetrics(text, 'u', new Date(0), 0);
  assert.deepEqual(scrape.activePeers, ['8e9e05c52164694d', '91bc3c398fb3c146']);
});
