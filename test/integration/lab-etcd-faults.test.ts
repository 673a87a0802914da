// etcd's own outages on the lab (etcd-nospace, etcd-data-lost), seen on the node with the node's own
// tools: etcdctl with kubeadm's healthcheck-client certificate, curl on etcd's /health, ctr and the CRI
// for etcd's containers, the container's log; then healed, also after someone else worked on them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ctr, outputLines } from '../../scripts/lab/daemons/clients.js';
import { labFault, labHeal } from '../../scripts/lab/lab.js';
import { LAB_NODE_NAME, labPorts } from '../../scripts/lab/node.js';
import { CriClient } from '../../src/clients/cri.js';
import { labOrNull } from '../helpers/lab.js';
import { makeTempDir } from '../helpers/node-root.js';
import { until } from '../helpers/wait.js';

const lab = labOrNull();
const quiet = () => {};
const WAIT = { timeoutMs: 120_000, intervalMs: 500 };

function run(command: string, args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...(input ? { input } : {}) });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

describe("etcd's outages on the lab", {
  skip: lab ? false : 'needs the lab (npm test)',
  timeout: 900_000,
}, () => {
  const l = lab!;
  const ports = labPorts(l.portOffset);
  const etcdManifest = path.join(l.nodeRoot, 'etc/kubernetes/manifests/etcd.yaml');
  const dataDir = path.join(l.nodeRoot, 'var/lib/etcd');
  const pki = path.join(l.nodeRoot, 'etc/kubernetes/pki/etcd');
  const etcdctl = (args: string[], input?: string) =>
    run(
      'etcdctl',
      [
        `--endpoints=https://127.0.0.1:${ports.etcdClient}`,
        `--cacert=${pki}/ca.crt`,
        `--cert=${pki}/healthcheck-client.crt`,
        `--key=${pki}/healthcheck-client.key`,
        '--command-timeout=5s',
        ...args,
      ],
      input,
    );
  const get = (key: string) => etcdctl(['get', key, '--print-value-only']).out.trim();
  const etcdHealth = () =>
    run('curl', ['-s', '--max-time', '3', `http://127.0.0.1:${ports.etcdMetrics}/health`]);
  const healthy = () =>
    (etcdctl(['endpoint', 'health']).status === 0 &&
      /"health":"true"/.test(etcdHealth().out) &&
      run('curl', ['-sk', '--max-time', '3', `https://127.0.0.1:${ports.apiserver}/readyz`]).out === 'ok') ||
    null;
  /** etcd's containers as ctr lists them, by the labels kubelet gives them. */
  const etcdContainerIds = () =>
    outputLines(
      ctr(l.containerdSocket, [
        '-n',
        'k8s.io',
        'containers',
        'ls',
        '-q',
        `labels."io.kubernetes.pod.name"==etcd-${LAB_NODE_NAME},labels."io.kubernetes.container.name"==etcd`,
      ]),
    );

  test('etcd out of space: the NOSPACE alarm is up and a put fails; healed, twice, also after an operator reclaimed the space', async () => {
    await until('etcd and the API server healthy', healthy, WAIT);
    const before = fs.readFileSync(etcdManifest);
    for (const round of [1, 2]) {
      const started = Date.now();
      await labFault(l.dir, 'etcd-nospace', quiet);
      const injected = Date.now();
      let healing = injected;
      try {
        assert.match(fs.readFileSync(etcdManifest, 'utf8'), /--quota-backend-bytes=16777216/);
        assert.match(etcdctl(['alarm', 'list']).out, /alarm:NOSPACE/);
        const put = etcdctl(['put', '/breakglass-lab/test/nospace', 'x']);
        assert.notEqual(put.status, 0);
        assert.match(put.out, /database space exceeded/);
        // etcd 3.4's /health says false while an alarm is up.
        assert.match(etcdHealth().out, /"health":"false"/);
        if (round === 2) {
          // What an operator (or breakglass) does about it; heal must still finish the job.
          assert.equal(etcdctl(['del', '--prefix', '/breakglass-lab/nospace/']).status, 0);
          const revision = /"revision":(\d+)/.exec(etcdctl(['endpoint', 'status', '-w', 'json']).out)![1]!;
          assert.equal(etcdctl(['compact', revision]).status, 0);
          assert.equal(etcdctl(['defrag']).status, 0);
          assert.equal(etcdctl(['alarm', 'disarm']).status, 0);
        }
      } finally {
        healing = Date.now();
        await labHeal(l.dir, 'etcd-nospace', quiet);
      }
      process.stderr.write(
        `# etcd-nospace round ${round}: inject ${injected - started} ms, heal ${Date.now() - healing} ms\n`,
      );
      assert.equal(etcdctl(['alarm', 'list']).out.trim(), '');
      assert.equal(etcdctl(['put', '/breakglass-lab/test/nospace', 'x']).status, 0);
      assert.equal(get('/breakglass-lab/test/nospace'), 'x');
      assert.equal(etcdctl(['del', '/breakglass-lab/test/nospace']).status, 0);
      assert.equal(etcdctl(['get', '--prefix', '--keys-only', '/breakglass-lab/nospace/']).out.trim(), '');
      assert.ok(fs.readFileSync(etcdManifest).equals(before), 'etcd.yaml byte for byte as before');
      await until('etcd and the API server healthy', healthy, WAIT);
    }
  });

  test("etcd's data lost: its container exits again and again and etcd does not answer; healed, twice", async () => {
    await until('etcd and the API server healthy', healthy, WAIT);
    const before = fs.readFileSync(etcdManifest);
    for (const round of [1, 2]) {
      const value = `written before round ${round}`;
      assert.equal(etcdctl(['put', '/breakglass-lab/test/before-data-lost', value]).status, 0);
      const started = Date.now();
      await labFault(l.dir, 'etcd-data-lost', quiet);
      const injected = Date.now();
      let healing = injected;
      try {
        const exits = await etcdExits(3);
        for (const [id, exit] of exits) assert.notEqual(exit.exitCode, 0, id);
        const logs = [...exits.values()].map((e) => e.log).filter((log) => log !== null);
        assert.ok(logs.length > 0, 'a log of an exited etcd read before kubelet removed it');
        for (const log of logs) assert.match(log, /failed to open database/);
        assert.notEqual(etcdctl(['endpoint', 'health']).status, 0);
        assert.notEqual(etcdHealth().status, 0, 'nothing listens on etcd /health');
      } finally {
        healing = Date.now();
        await labHeal(l.dir, 'etcd-data-lost', quiet);
      }
      process.stderr.write(
        `# etcd-data-lost round ${round}: inject ${injected - started} ms, heal ${Date.now() - healing} ms\n`,
      );
      assert.ok(healthy(), 'etcd and the API server healthy');
      assert.equal(get('/breakglass-lab/test/before-data-lost'), value);
      assert.ok(fs.readFileSync(etcdManifest).equals(before), 'etcd.yaml byte for byte as before');
    }
    assert.equal(etcdctl(['del', '/breakglass-lab/test/before-data-lost']).status, 0);
  });

  test("etcd's data lost, then restored from an older snapshot beside the lost member: heal brings the original back and leaves the moved-aside member", async () => {
    await until('etcd and the API server healthy', healthy, WAIT);
    const temp = makeTempDir('etcd-restore-');
    const aside = path.join(dataDir, `member.breakglass-${Date.now()}`);
    try {
      assert.equal(etcdctl(['put', '/breakglass-lab/test/in-snapshot', 'a']).status, 0);
      const snapshot = path.join(temp, 'snapshot.db');
      assert.equal(etcdctl(['snapshot', 'save', snapshot]).status, 0);
      assert.equal(etcdctl(['put', '/breakglass-lab/test/after-snapshot', 'b']).status, 0);
      await labFault(l.dir, 'etcd-data-lost', quiet);
      try {
        await etcdExits(1);
        // The restore as an operator does it: etcd stopped, the lost member moved aside, the snapshot
        // restored into a new member directory, etcd started again.
        const held = path.join(temp, 'etcd.yaml');
        fs.renameSync(etcdManifest, held);
        await until("etcd's pod removed", () => etcdContainerIds().length === 0, WAIT);
        fs.renameSync(path.join(dataDir, 'member'), aside);
        const restored = path.join(dataDir, 'restore.tmp');
        const peer = `https://127.0.0.1:${ports.etcdPeer}`;
        const restore = run('etcdctl', [
          'snapshot',
          'restore',
          snapshot,
          `--data-dir=${restored}`,
          `--name=${LAB_NODE_NAME}`,
          `--initial-cluster=${LAB_NODE_NAME}=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
        ]);
        assert.equal(restore.status, 0, restore.out);
        fs.renameSync(path.join(restored, 'member'), path.join(dataDir, 'member'));
        fs.rmdirSync(restored);
        fs.renameSync(held, etcdManifest);
        await until('etcd healthy on the snapshot', healthy, WAIT);
        assert.equal(get('/breakglass-lab/test/in-snapshot'), 'a');
        assert.equal(get('/breakglass-lab/test/after-snapshot'), '');
      } finally {
        await labHeal(l.dir, 'etcd-data-lost', quiet);
      }
      assert.ok(healthy(), 'etcd and the API server healthy');
      assert.equal(get('/breakglass-lab/test/in-snapshot'), 'a');
      assert.equal(get('/breakglass-lab/test/after-snapshot'), 'b');
      assert.ok(fs.existsSync(path.join(aside, 'wal')), 'the moved-aside member is left where it was');
      assert.ok(!fs.existsSync(path.join(l.dir, 'faults/etcd-data-lost')));
    } finally {
      fs.rmSync(aside, { recursive: true, force: true });
      fs.rmSync(temp, { recursive: true, force: true });
      etcdctl(['del', '--prefix', '/breakglass-lab/test/']);
    }
  });

  /**
   * Waits until the runtime has seen `count` of etcd's containers exit, as `crictl ps -a` and
   * `crictl inspect` would tell: their ids, exit codes and logs.
   */
  async function etcdExits(count: number): Promise<Map<string, { exitCode: number; log: string | null }>> {
    const exits = new Map<string, { exitCode: number; log: string | null }>();
    const cri = new CriClient(`unix://${l.containerdSocket}`);
    try {
      await until(
        `${count} exits of etcd's container`,
        async () => {
          for (const c of await cri.listContainers()) {
            if (c.labels['io.kubernetes.container.name'] !== 'etcd' || c.state !== 'CONTAINER_EXITED')
              continue;
            if (exits.has(c.id)) continue;
            const { exitCode, logPath } = await cri.containerStatus(c.id);
            // Read at once: kubelet removes a dead container, and its log, when the next one dies.
            exits.set(c.id, { exitCode, log: readOrNull(logPath) });
          }
          return exits.size >= count;
        },
        { ...WAIT, context: () => JSON.stringify([...exits]) },
      );
    } finally {
      cri.close();
    }
    return exits;
  }
});
