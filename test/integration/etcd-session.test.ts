// The screen's etcd client kept between reads (sources/etcd/session.ts), against a real etcd (Debian's,
// TLS both ways, on loopback): one TCP connection of this process for many reads, as the kernel's own
// socket table says; a certificate replaced on disk is used at the next read (a stranger's: refused, not
// hidden behind the old connection); etcd killed, the read fails; etcd back, the same client answers and
// no other connection is left behind.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EtcdSession } from '../../src/sources/etcd/session.js';
import { selfSignedClient, TestEtcdCluster } from '../helpers/etcd-cluster.js';
import { until } from '../helpers/wait.js';

/**
 * The local ports of this process's established TCP connections to a loopback port, from /proc (the
 * socket inodes of its own fds): one and the same port across reads is one connection kept.
 */
function connectionsTo(port: number): string[] {
  const mine = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) mine.add(m[1]!);
    } catch {
      // gone between the listing and the read
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[2]!.endsWith(`:${hexPort}`) && f[3] === '01' && mine.has(f[9]!))
        out.push(f[1]!.split(':')[1]!);
    }
  }
  return out;
}

/** Waits for exactly one connection (a closed channel's socket goes in its own time); its local port. */
const oneConnection = (port: number) =>
  until(
    'one connection of this process to etcd',
    () => {
      const c = connectionsTo(port);
      return c.length === 1 && c[0]!;
    },
    { timeoutMs: 5_000 },
  );

describe('the etcd client kept between reads, on a real etcd', { timeout: 120_000 }, () => {
  const cluster = new TestEtcdCluster({ members: 1 });
  const session = new EtcdSession();
  before(() => cluster.start());
  after(async () => {
    session.close();
    await cluster.stop();
  });
  const m = () => cluster.member(1);

  test('five reads, one connection of this process to etcd', async () => {
    const ports = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const read = await session.read(cluster.access(m()));
      assert.equal(read.members.length, 1);
      assert.equal(read.quorum, true);
      for (const p of connectionsTo(m().clientPort)) ports.add(p);
    }
    assert.equal(ports.size, 1, `the same connection for every read: local ports ${[...ports]}`);
  });

  test("the client certificate replaced on disk: the next read uses the new one (a stranger's, refused)", async () => {
    const saved = path.join(cluster.dir, 'saved');
    const stranger = path.join(cluster.dir, 'stranger');
    selfSignedClient(stranger);
    fs.mkdirSync(saved);
    const access = cluster.access(m());
    for (const f of [access.certFile, access.keyFile]) fs.copyFileSync(f, path.join(saved, path.basename(f)));
    try {
      fs.copyFileSync(path.join(stranger, 'stranger.crt'), access.certFile);
      fs.copyFileSync(path.join(stranger, 'stranger.key'), access.keyFile);
      await assert.rejects(session.read(access), /TLS|certificate|handshake|does not answer/i);
    } finally {
      for (const f of [access.certFile, access.keyFile])
        fs.copyFileSync(path.join(saved, path.basename(f)), f);
    }
    assert.equal((await session.read(access)).quorum, true, 'its own certificate back: answered');
    // The replaced client's connection closes: one is left.
    await oneConnection(m().clientPort);
  });

  test('etcd killed: the read fails; etcd back: the kept client answers again, and one connection is left', async () => {
    await cluster.kill(m());
    await assert.rejects(
      session.read(cluster.access(m())),
      /does not answer|connection refused|UNAVAILABLE/i,
    );
    assert.deepEqual(connectionsTo(m().clientPort), []);
    cluster.startMember(m());
    await until(
      'etcd answers the kept session again',
      async () => (await session.read(cluster.access(m())).then((r) => r.quorum)) === true,
      { timeoutMs: 30_000, intervalMs: 300, retryErrors: true },
    );
    // Not one per failed read: a client closed while etcd was down would connect once it is back, and stay.
    await oneConnection(m().clientPort);
  });
});
