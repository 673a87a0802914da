// The quorum check before a restart of this node's etcd member, against a real cluster of three etcd
// members (Debian's /usr/bin/etcd) on loopback with TLS both ways, client and peer, certificates made here:
// with all three up, readEtcdCluster on member 1 sees the three members and both peers answering, and the
// verdict lets the restart go on; with member 3 killed, member 1 sees member 3 silent and member 2
// answering, and the verdict refuses; with member 1 itself down, readEtcdCluster rejects with an EtcdError
// that says it does not answer. Nothing is mocked; no lab is needed; no traffic leaves loopback.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EtcdError } from '../../src/clients/etcd.js';
import { quorumFacts, quorumWithoutThisMember } from '../../src/model/etcd-quorum.js';
import type { EtcdAccess } from '../../src/node/etcd.js';
import { type EtcdCluster, readEtcdCluster } from '../../src/sources/etcd/cluster.js';
import { makeTempDir } from '../helpers/node-root.js';
import { until } from '../helpers/wait.js';

const ETCD = '/usr/bin/etcd';
// setpriv --pdeathsig KILL: an etcd dies with the test process even when after() never runs (the
// process killed on a time-out), so no member is ever left behind.
const SETPRIV = '/usr/bin/setpriv';

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  logFile: string;
  child: ChildProcess | null;
  exited: Promise<NodeJS.Signals | number | null> | null;
}

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA; one certificate for every member, server and peer (127.0.0.1, localhost); a client certificate. */
function makeCertificates(dir: string): void {
  const key = (name: string) =>
    openssl(dir, [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      `${name}.key`,
    ]);
  key('ca');
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=breakglass-test-etcd-ca',
    '-days',
    '2',
    '-out',
    'ca.crt',
  ]);
  const sign = (name: string, serial: string, extensions: string[]) => {
    key(name);
    openssl(dir, [
      'req',
      '-new',
      '-key',
      `${name}.key`,
      '-subj',
      `/CN=breakglass-test-${name}`,
      '-out',
      `${name}.csr`,
    ]);
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      serial,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ]);
  };
  sign('member', '2', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  sign('client', '3', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Six loopback ports in a row that nothing listens on, from a random base between 23000 and 30000:
 * below 32768, where Linux's ephemeral ports (any outgoing connection's) begin.
 */
async function freePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 23_000 + Math.floor(Math.random() * 7_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.map(portIsFree));
    if (free.every(Boolean)) return ports;
  }
  throw new Error(`no ${count} free loopback ports in a row between 23000 and 30000`);
}

/** The environment without ETCD* variables: etcd takes those as flags, and refuses them beside the flags. */
function etcdEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^ETCD/i.test(name)));
}

function isRunning(m: Member): boolean {
  return m.child !== null && m.child.exitCode === null && m.child.signalCode === null;
}

describe('the quorum check on a real 3-member etcd cluster', { timeout: 120_000 }, () => {
  const dir = makeTempDir('bg-etcd-quorum-');
  const pki = path.join(dir, 'pki');
  const members: Member[] = [];
  const killAll = () => {
    for (const m of members) if (isRunning(m)) m.child!.kill('SIGKILL');
  };
  // Also when the test process ends without after() (an uncaught error): SIGKILL is sent synchronously.
  process.on('exit', killAll);

  const access = (m: Member): EtcdAccess => ({
    address: `127.0.0.1:${m.clientPort}`,
    url: `https://127.0.0.1:${m.clientPort}`,
    source: 'the test cluster',
    caFile: path.join(pki, 'ca.crt'),
    certFile: path.join(pki, 'client.crt'),
    keyFile: path.join(pki, 'client.key'),
    metricsFlag: '',
  });

  const logTails = () =>
    members
      .map((m) => {
        const text = fs.existsSync(m.logFile) ? fs.readFileSync(m.logFile, 'utf8') : '';
        return `--- ${m.name} (${isRunning(m) ? 'running' : 'not running'}):\n${text.slice(-1500)}`;
      })
      .join('\n');

  const start = (m: Member) => {
    const cluster = members.map((o) => `${o.name}=https://127.0.0.1:${o.peerPort}`).join(',');
    const flags = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=https://127.0.0.1:${m.clientPort}`,
      `--advertise-client-urls=https://127.0.0.1:${m.clientPort}`,
      `--listen-peer-urls=https://127.0.0.1:${m.peerPort}`,
      `--initial-advertise-peer-urls=https://127.0.0.1:${m.peerPort}`,
      `--initial-cluster=${cluster}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=bgtest',
      `--cert-file=${pki}/member.crt`,
      `--key-file=${pki}/member.key`,
      '--client-cert-auth',
      `--trusted-ca-file=${pki}/ca.crt`,
      `--peer-cert-file=${pki}/member.crt`,
      `--peer-key-file=${pki}/member.key`,
      '--peer-client-cert-auth',
      `--peer-trusted-ca-file=${pki}/ca.crt`,
    ];
    const log = fs.openSync(m.logFile, 'a');
    const [command, args] = fs.existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', ETCD, ...flags]]
      : [ETCD, flags];
    const child = spawn(command, args, { stdio: ['ignore', log, log], env: etcdEnv() });
    fs.closeSync(log);
    m.child = child;
    m.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  };

  /** SIGKILL, as a crash or the OOM killer would: resolves once the process is gone. */
  const kill = async (m: Member) => {
    if (isRunning(m)) m.child!.kill('SIGKILL');
    assert.equal(await m.exited, 'SIGKILL', `${m.name} died of SIGKILL`);
  };

  const member = (i: number): Member => members[i - 1]!;

  before(async () => {
    fs.mkdirSync(pki, { mode: 0o700 });
    makeCertificates(pki);
    const ports = await freePorts(6);
    for (let i = 1; i <= 3; i++) {
      members.push({
        name: `m${i}`,
        clientPort: ports[2 * (i - 1)]!,
        peerPort: ports[2 * (i - 1) + 1]!,
        dataDir: path.join(dir, `m${i}`),
        logFile: path.join(dir, `m${i}.log`),
        child: null,
        exited: null,
      });
    }
    for (const m of members) start(m);
    // Ready once every member has a leader and member 1 lists all three with their client URLs (a
    // member publishes those only through the raft log, so before quorum the list has none).
    await until(
      'three etcd members with a leader, each answering',
      async () => {
        for (const m of members) {
          if (!isRunning(m)) throw new Error(`${m.name} exited`);
        }
        const views = await Promise.all(members.map((m) => readEtcdCluster(access(m), { timeoutMs: 2_000 })));
        return views.every(
          (v) => v.self.leader !== '0' && v.members.length === 3 && v.peers.every((p) => p.error === null),
        );
      },
      { timeoutMs: 60_000, intervalMs: 250, retryErrors: true, context: logTails },
    );
  });

  after(async () => {
    killAll();
    await Promise.all(members.map((m) => m.exited));
    process.off('exit', killAll);
    fs.rmSync(dir, { recursive: true, force: true });
  });

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
