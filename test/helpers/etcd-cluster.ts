// A real etcd cluster for tests: members of Debian's /usr/bin/etcd on loopback ports, TLS both ways
// (client and peer) with certificates made here by openssl, each member killed with the test process.
// Started, killed (SIGKILL, as a crash would) and started again by the test; no lab needed, no traffic
// leaves loopback.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { EtcdAccess } from '../../src/node/etcd.js';
import { EtcdSession } from '../../src/sources/etcd/session.js';
import { makeTempDir } from './node-root.js';
import { until } from './wait.js';

const ETCD = '/usr/bin/etcd';
// setpriv --pdeathsig KILL: an etcd dies with the test process even when after() never runs (the
// process killed on a time-out), so no member is ever left behind.
const SETPRIV = '/usr/bin/setpriv';

export interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  logFile: string;
  /** Its --listen-metrics-urls port (plain HTTP). */
  metricsPort: number;
  /** What it advertises as its client URL: its own loopback one unless a test says otherwise. */
  advertiseClientUrl: string;
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
 * `count` loopback ports in a row that nothing listens on, from a random base between 23000 and 30000:
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

export function isRunning(m: Member): boolean {
  return m.child !== null && m.child.exitCode === null && m.child.signalCode === null;
}

export interface TestClusterOptions {
  members: number;
  /** Member number (1-based) → the client URL it advertises instead of its own (it still listens on loopback). */
  advertise?: Record<number, string>;
}

export class TestEtcdCluster {
  readonly dir = makeTempDir('bg-etcd-cluster-');
  readonly pki = path.join(this.dir, 'pki');
  readonly members: Member[] = [];
  private readonly killAll = () => {
    for (const m of this.members) if (isRunning(m)) m.child!.kill('SIGKILL');
  };

  constructor(private readonly options: TestClusterOptions) {
    // Also when the test process ends without stop() (an uncaught error): SIGKILL is sent synchronously.
    process.on('exit', this.killAll);
  }

  member(i: number): Member {
    return this.members[i - 1]!;
  }

  /** How breakglass reaches member i: its loopback client URL, the test CA and client certificate. */
  access(m: Member): EtcdAccess {
    return {
      address: `127.0.0.1:${m.clientPort}`,
      url: `https://127.0.0.1:${m.clientPort}`,
      source: 'the test cluster',
      caFile: path.join(this.pki, 'ca.crt'),
      certFile: path.join(this.pki, 'client.crt'),
      keyFile: path.join(this.pki, 'client.key'),
      metricsFlag: `http://127.0.0.1:${m.metricsPort}`,
    };
  }

  logTails = (): string =>
    this.members
      .map((m) => {
        const text = fs.existsSync(m.logFile) ? fs.readFileSync(m.logFile, 'utf8') : '';
        return `--- ${m.name} (${isRunning(m) ? 'running' : 'not running'}):\n${text.slice(-1500)}`;
      })
      .join('\n');

  /** Every member started; resolves once each has a leader and lists every member with its client URL. */
  async start(): Promise<void> {
    fs.mkdirSync(this.pki, { mode: 0o700 });
    makeCertificates(this.pki);
    const n = this.options.members;
    const ports = await freePorts(3 * n);
    for (let i = 1; i <= n; i++) {
      const clientPort = ports[3 * (i - 1)]!;
      this.members.push({
        name: `m${i}`,
        clientPort,
        peerPort: ports[3 * (i - 1) + 1]!,
        metricsPort: ports[3 * (i - 1) + 2]!,
        advertiseClientUrl: this.options.advertise?.[i] ?? `https://127.0.0.1:${clientPort}`,
        dataDir: path.join(this.dir, `m${i}`),
        logFile: path.join(this.dir, `m${i}.log`),
        child: null,
        exited: null,
      });
    }
    for (const m of this.members) this.startMember(m);
    // A member publishes its client URLs only through the raft log, so before quorum the list has none.
    // One kept client per member while they start: clients made and closed per try would leave
    // connections open in this process once etcd answers (sources/etcd/session.ts).
    const sessions = this.members.map(() => new EtcdSession(2_000));
    try {
      await this.waitUntilUp(sessions);
    } finally {
      for (const s of sessions) s.close();
    }
  }

  private async waitUntilUp(sessions: EtcdSession[]): Promise<void> {
    const n = this.members.length;
    await until(
      `${n} etcd members with a leader, each answering`,
      async () => {
        for (const m of this.members) {
          if (!isRunning(m)) throw new Error(`${m.name} exited`);
        }
        const views = await Promise.all(this.members.map((m, i) => sessions[i]!.read(this.access(m))));
        return views.every(
          (v) =>
            v.self.leader !== '0' &&
            v.members.length === n &&
            v.members.every((x) => x.clientURLs.length > 0) &&
            v.peers.every((p) => p.error === null),
        );
      },
      { timeoutMs: 60_000, intervalMs: 250, retryErrors: true, context: this.logTails },
    );
  }

  startMember(m: Member): void {
    const cluster = this.members.map((o) => `${o.name}=https://127.0.0.1:${o.peerPort}`).join(',');
    const pki = this.pki;
    const flags = [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=https://127.0.0.1:${m.clientPort}`,
      `--advertise-client-urls=${m.advertiseClientUrl}`,
      `--listen-peer-urls=https://127.0.0.1:${m.peerPort}`,
      `--initial-advertise-peer-urls=https://127.0.0.1:${m.peerPort}`,
      `--listen-metrics-urls=http://127.0.0.1:${m.metricsPort}`,
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
  }

  /** SIGKILL, as a crash or the OOM killer would: resolves once the process is gone. */
  async kill(m: Member): Promise<void> {
    if (isRunning(m)) m.child!.kill('SIGKILL');
    assert.equal(await m.exited, 'SIGKILL', `${m.name} died of SIGKILL`);
  }

  async stop(): Promise<void> {
    this.killAll();
    await Promise.all(this.members.map((m) => m.exited));
    process.off('exit', this.killAll);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A self-signed client certificate and key, stranger.{crt,key} in dir: no CA of the cluster's signed it. */
export function selfSignedClient(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  args.push('-subj', '/CN=stranger', '-days', '1', '-keyout', 'stranger.key', '-out', 'stranger.crt');
  openssl(dir, args);
}
