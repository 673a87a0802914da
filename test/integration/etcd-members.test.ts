// `breakglass etcd --json`, the real binary against a real 3-member etcd cluster on loopback (Debian's
// /usr/bin/etcd, TLS both ways) through a node root whose etcd manifest names member 1: every member
// healthy and a leader; member 3 killed: it is unhealthy and quorum holds; members 2 and 3 killed: no
// quorum, and soon no leader (exit 1); a client certificate the cluster does not trust: a plain TLS
// error. Member 3 advertises a client URL on another address (TEST-NET-1, which nothing here routes):
// breakglass never asks it there and judges it by member 1's raft link to it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EtcdView } from '../../src/model/etcd-cluster.js';
import { type Member, selfSignedClient, TestEtcdCluster } from '../helpers/etcd-cluster.js';
import { kubeadmManifest, makeNodeRoot } from '../helpers/node-root.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const ELSEWHERE = 'https://192.0.2.10:2379';

type Output = EtcdView & { problems: { code: string; severity: string; text: string }[] };

describe('breakglass etcd on a real 3-member cluster', { timeout: 180_000 }, () => {
  const cluster = new TestEtcdCluster({ members: 3, advertise: { 3: ELSEWHERE } });
  const node = makeNodeRoot({ manifests: [] });
  const pki = path.join(node.root, 'etc/kubernetes/pki');

  /** The node's etcd manifest: kubeadm's, pointed at member 1's client and metrics URLs. */
  const writeManifest = (m: Member) => {
    const text = kubeadmManifest('etcd.yaml')
      .replaceAll('https://127.0.0.1:2379,https://10.0.0.10:2379', `https://127.0.0.1:${m.clientPort}`)
      .replaceAll('http://127.0.0.1:2381', `http://127.0.0.1:${m.metricsPort}`);
    fs.writeFileSync(path.join(node.manifests, 'etcd.yaml'), text, { mode: 0o600 });
  };
  const installClientCert = (name: string) => {
    fs.mkdirSync(path.join(pki, 'etcd'), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(cluster.pki, 'ca.crt'), path.join(pki, 'etcd/ca.crt'));
    fs.copyFileSync(path.join(cluster.pki, `${name}.crt`), path.join(pki, 'etcd/healthcheck-client.crt'));
    fs.copyFileSync(path.join(cluster.pki, `${name}.key`), path.join(pki, 'etcd/healthcheck-client.key'));
  };
  const etcd = () => breakglassJson<Output>(['etcd', ...node.flags]);
  const byName = (out: Output, name: string) => {
    const m = out.members.find((x) => x.name === name);
    assert.ok(m, `${name} among ${JSON.stringify(out.members)}`);
    return m;
  };

  before(async () => {
    await cluster.start();
    writeManifest(cluster.member(1));
    installClientCert('client');
  });
  after(async () => {
    await cluster.stop();
    node.cleanup();
  });

  test('all three up: each healthy, one leader, quorum; member 3 judged by its raft link, not asked', () => {
    const { result, json } = etcd();
    assert.equal(result.status, 0, result.stderr);
    assert.equal(json.member.name, 'm1');
    assert.equal(json.quorum, true);
    assert.ok(json.leader, 'a leader');
    assert.deepEqual(json.members.map((m) => [m.name, m.healthy]).sort(), [
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
    assert.equal(byName(json, 'm2').how, 'status');
    assert.equal(byName(json, 'm2').version, '3.4.23');
    assert.deepEqual(byName(json, 'm3').clientURLs, [ELSEWHERE]);
    assert.equal(byName(json, 'm3').how, 'peer-link');
    assert.equal(byName(json, 'm3').version, null, 'never asked for its status');
    assert.deepEqual(json.alarms, []);
    assert.equal(json.quota, 2 * 1024 ** 3);
    assert.ok(json.dbSize > 0 && json.dbSizeInUse > 0 && json.dbSizeInUse <= json.dbSize);
    assert.deepEqual(json.problems, []);
    const text = breakglass(['etcd', ...node.flags]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^quorum +yes/m);
    assert.match(
      text.stdout,
      /m3 \d+( \[[a-z, ]+\])?: healthy \(by its raft link: its URLs are on another node\)/,
    );
  });

  test('member 3 killed: unhealthy by its link, quorum holds', async () => {
    await cluster.kill(cluster.member(3));
    const json = await until(
      "m1's raft link to m3 down, and quorum again (m3 may have led: then m1 and m2 elect another)",
      async () => {
        const out = etcd().json;
        return byName(out, 'm3').healthy === false && out.quorum && out.leader ? out : null;
      },
      { timeoutMs: 20_000, intervalMs: 500, context: cluster.logTails },
    );
    assert.notEqual(json.leader?.name, 'm3');
    assert.equal(byName(json, 'm2').healthy, true);
    assert.match(byName(json, 'm3').error ?? '', /raft connection to it is down/);
  });

  test('members 2 and 3 killed: no quorum, then no leader; exit 1 and both said', async () => {
    await cluster.kill(cluster.member(2));
    const out = await until(
      'm1 without quorum and without a leader',
      async () => {
        const r = etcd();
        return !r.json.quorum && r.json.leader === null ? r : null;
      },
      { timeoutMs: 30_000, intervalMs: 500, context: cluster.logTails },
    );
    assert.equal(out.result.status, 1);
    assert.match(byName(out.json, 'm2').error ?? '', /connection refused/);
    assert.deepEqual(out.json.problems.map((p) => p.code).sort(), ['etcd-no-leader', 'etcd-quorum-lost']);
    assert.match(out.json.problems.find((p) => p.code === 'etcd-quorum-lost')!.text, /1 of 3 members answer/);
  });

  test('a client certificate of another CA: a plain TLS error, nothing else', () => {
    // The member certificate is signed by the same CA; a self-signed one is not trusted by etcd.
    const other = path.join(cluster.pki, 'stranger');
    selfSignedClient(other);
    fs.copyFileSync(path.join(other, 'stranger.crt'), path.join(pki, 'etcd/healthcheck-client.crt'));
    fs.copyFileSync(path.join(other, 'stranger.key'), path.join(pki, 'etcd/healthcheck-client.key'));
    const r = breakglass(['etcd', ...node.flags]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TLS|certificate|handshake/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});
