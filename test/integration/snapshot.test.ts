// `breakglass snapshot` against the lab's real etcd: a whole snapshot etcdctl accepts, never written over
// an existing file, old ones pruned to the bound; refused with a clear message and no file left when the
// file system lacks room (a small tmpfs as the state directory), when etcd does not answer, or when the
// certificates are wrong; and a restart of etcd that cannot take its snapshot leaves etcd alone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { labPorts } from '../../scripts/lab/node.js';
import { labEnv } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { makeTempDir } from '../helpers/node-root.js';
import { runningContainers } from '../helpers/node-runtime.js';
import { breakglass, breakglassJson } from '../helpers/run.js';

const lab = labEnv();
const nodeFlags = ['--root', lab.nodeRoot, '--dbus', lab.dbusAddress];
const pki = path.join(lab.nodeRoot, 'etc/kubernetes/pki');
const endpoint = `https://127.0.0.1:${labPorts(lab.portOffset).etcdClient}`;

interface Snapshot {
  ok: boolean;
  path: string;
  size: number;
  sha256: string;
  revision: number;
  dbSize: number;
  removed: string[];
}

function etcdctl(args: string[], input?: string) {
  const r = spawnSync(
    'etcdctl',
    [
      `--endpoints=${endpoint}`,
      `--cacert=${pki}/etcd/ca.crt`,
      `--cert=${pki}/etcd/healthcheck-client.crt`,
      `--key=${pki}/etcd/healthcheck-client.key`,
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' }, ...(input ? { input } : {}) },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function snapshotStatus(file: string): { totalKey: number } {
  const r = spawnSync('etcdctl', ['snapshot', 'status', file, '-w', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function mountTmpfs(bytes: number): { dir: string; unmount(): void } {
  const dir = makeTempDir('bg-snap-tmpfs-');
  const size = Math.ceil(bytes / 4096) * 4096;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return {
    dir,
    unmount: () => {
      spawnSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Everything in a directory, dot files included: nothing may look like a snapshot after a refusal. */
function entries(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** A node root of its own holding only etcd's manifest (its port changed) and a copy of the PKI. */
function etcdOnlyRoot(port: number, caFrom = 'etcd/ca.crt'): { root: string; stateDir: string } {
  const root = makeTempDir('bg-snap-root-');
  const manifests = path.join(root, 'etc/kubernetes/manifests');
  fs.mkdirSync(manifests, { recursive: true, mode: 0o700 });
  const etcd = fs
    .readFileSync(path.join(lab.nodeRoot, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8')
    .replaceAll(`127.0.0.1:${labPorts(lab.portOffset).etcdClient}`, `127.0.0.1:${port}`);
  fs.writeFileSync(path.join(manifests, 'etcd.yaml'), etcd, { mode: 0o600 });
  fs.writeFileSync(path.join(root, 'etc/hostname'), `${NODE_NAME}\n`);
  fs.cpSync(pki, path.join(root, 'etc/kubernetes/pki'), { recursive: true });
  fs.copyFileSync(path.join(pki, caFrom), path.join(root, 'etc/kubernetes/pki/etcd/ca.crt'));
  return { root, stateDir: path.join(root, 'var/lib/breakglass') };
}

describe('etcd snapshots on the lab', { timeout: 600_000 }, () => {
  const outDir = makeTempDir('bg-snap-out-');
  let dbSize = 0;
  before(() => {
    // Some 3 MiB of data, so that the file systems below can be too small for it.
    const value = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 30; i++) etcdctl(['put', `/breakglass-test/snapshot/${i}`], value);
  });
  after(() => {
    etcdctl(['del', '--prefix', '/breakglass-test/']);
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  test('a snapshot: private, whole, accepted by etcdctl; --out never overwrites', () => {
    const { result, json } = breakglassJson<Snapshot>(['snapshot', ...nodeFlags]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(json.path, /\/var\/lib\/breakglass\/snapshots\/etcd-\d{8}T\d{6}Z-rev\d+\.db$/);
    assert.equal(fs.statSync(json.path).mode & 0o777, 0o600);
    assert.ok(json.revision > 30 && json.dbSize > 3_000_000, JSON.stringify(json));
    dbSize = json.dbSize;
    assert.ok(snapshotStatus(json.path).totalKey >= 30);
    const out = path.join(outDir, 'before-upgrade.db');
    const first = breakglassJson<Snapshot>(['snapshot', '--out', out, ...nodeFlags]);
    assert.equal(first.result.status, 0, first.result.stderr);
    const bytes = fs.readFileSync(out);
    const second = breakglass(['snapshot', '--out', out, ...nodeFlags]);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /before-upgrade\.db exists already: not overwritten/);
    assert.ok(fs.readFileSync(out).equals(bytes), 'the existing file is untouched');
    assert.deepEqual(entries(outDir), ['before-upgrade.db'], 'no partial file left');
  });

  test('old snapshots are pruned to --keep-snapshots, the newest kept', () => {
    const dir = path.join(lab.nodeRoot, 'var/lib/breakglass/snapshots');
    let last: Snapshot | null = null;
    for (let i = 0; i < 3; i++) {
      const { result, json } = breakglassJson<Snapshot>(['snapshot', '--keep-snapshots', '2', ...nodeFlags]);
      assert.equal(result.status, 0, result.stderr);
      last = json;
      spawnSync('sleep', ['1.1']);
    }
    const kept = entries(dir).filter((n) => n.endsWith('.db'));
    assert.equal(kept.length, 2);
    assert.ok(kept.includes(path.basename(last!.path)));
  });

  test('refused without twice the database free: a clear message, no file at all', () => {
    const small = mountTmpfs(dbSize * 1.5);
    try {
      const r = breakglass(['snapshot', ...nodeFlags, '--state-dir', small.dir]);
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        /not enough space in .* for an etcd snapshot: .* free, twice the database .* is needed/,
      );
      assert.deepEqual(entries(path.join(small.dir, 'snapshots')), []);
    } finally {
      small.unmount();
    }
  });

  test('refused when it would leave less than 10 % of the file system free', () => {
    const fsBytes = dbSize * 40;
    const fsMount = mountTmpfs(fsBytes);
    try {
      // Fill it so that 2.5 database sizes stay free: room for the snapshot, but not for 10 % after it.
      const filler = Buffer.alloc(1 << 20);
      const fd = fs.openSync(path.join(fsMount.dir, 'filler'), 'w');
      let free = fs.statfsSync(fsMount.dir).bavail * fs.statfsSync(fsMount.dir).bsize;
      while (free > dbSize * 2.5 + filler.length) {
        fs.writeSync(fd, filler);
        free -= filler.length;
      }
      fs.closeSync(fd);
      const r = breakglass(['snapshot', ...nodeFlags, '--state-dir', fsMount.dir]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /would leave .* free in .*, less than 10 % of its/);
      assert.deepEqual(entries(path.join(fsMount.dir, 'snapshots')), []);
    } finally {
      fsMount.unmount();
    }
  });

  test('etcd not answering, or answering with certificates that do not match: a clear message, no file', () => {
    const dead = etcdOnlyRoot(labPorts(lab.portOffset).etcdClient + 7);
    const r = breakglass(['snapshot', '--root', dead.root]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /etcd does not answer at https:\/\/127\.0\.0\.1:\d+: .*connection refused.*; no snapshot taken/,
    );
    assert.deepEqual(entries(path.join(dead.stateDir, 'snapshots')), []);
    const wrong = etcdOnlyRoot(labPorts(lab.portOffset).etcdClient, 'front-proxy-ca.crt');
    const t = breakglass(['snapshot', '--root', wrong.root]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /etcd does not answer at .*: .*TLS refused/);
    assert.deepEqual(entries(path.join(wrong.stateDir, 'snapshots')), []);
    for (const root of [dead.root, wrong.root]) fs.rmSync(root, { recursive: true, force: true });
  });

  test('a restart of etcd whose snapshot is refused stops before etcd is touched', () => {
    const runtime = { kind: 'cri' as const, socket: lab.containerdSocket, nodeName: NODE_NAME };
    const etcdBefore = runningContainers(runtime, 'etcd');
    const small = mountTmpfs(dbSize * 1.5);
    try {
      const r = breakglass(['restart', 'etcd', '--yes', '--json', ...nodeFlags, '--state-dir', small.dir], {
        timeout: 120_000,
      });
      assert.equal(r.status, 1, r.stdout);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.filter((l) => l.event === 'step').map((l) => l.id),
        ['etcd-quorum', 'etcd-snapshot'],
      );
      assert.match(
        lines.at(-1).text,
        /not enough space .*Nothing was restarted; to restart without a snapshot: --skip-snapshot/,
      );
      assert.deepEqual(runningContainers(runtime, 'etcd'), etcdBefore, 'etcd untouched');
    } finally {
      small.unmount();
    }
  });
});
