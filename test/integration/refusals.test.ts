// Every refusal is one clear sentence, exit 1 (2 for usage), and the manifest directory is untouched.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { kubeadmManifest, makeNodeRoot, makeTempDir, type NodeRoot } from '../helpers/node-root.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { breakglass, breakglassAsync, type RunResult } from '../helpers/run.js';

let node: NodeRoot;
let mounts: string[] = [];

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) out[name] = fs.readFileSync(path.join(dir, name), 'utf8');
  return out;
}

function assertRefused(r: RunResult, pattern: RegExp, status = 1): void {
  assert.equal(r.status, status, `exit ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

function mount(args: string[]): void {
  execFileSync('mount', args);
  mounts.push(args[args.length - 1]!);
}

beforeEach(() => {
  node = makeNodeRoot();
  mounts = [];
});
afterEach(() => {
  for (const m of mounts.reverse()) execFileSync('umount', ['-l', m]);
  node.cleanup();
});

describe('refusals leave everything as it was', () => {
  test('--read-only refuses every change', () => {
    const before = snapshot(node.manifests);
    assertRefused(breakglass(['disable', 'etcd', '--read-only', ...node.flags]), /read-only mode/);
    assertRefused(breakglass(['recover', '--read-only', ...node.flags]), /read-only mode/);
    assert.deepEqual(snapshot(node.manifests), before);
  });

  test('not root', () => {
    const before = snapshot(node.manifests);
    const child = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/test/helpers/as-nobody.js'), 'disable', 'etcd', ...node.flags],
      {
        encoding: 'utf8',
      },
    );
    assertRefused(
      { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr },
      /must run as root/,
    );
    assert.deepEqual(snapshot(node.manifests), before);
  });

  test('refusals are audited; a holding directory left open is made private', () => {
    fs.mkdirSync(node.holding, { recursive: true, mode: 0o755 });
    fs.chmodSync(node.holding, 0o755);
    assertRefused(breakglass(['disable', 'kube-proxy', ...node.flags]), /unknown static pod/);
    const audit = fs.readFileSync(path.join(node.stateDir, 'audit.log'), 'utf8').trim().split('\n');
    const last = JSON.parse(audit.at(-1)!);
    assert.equal(last.action, 'disable');
    assert.equal(last.file, 'kube-proxy');
    assert.equal(last.outcome, 'refused');
    assert.match(last.message, /unknown static pod/);
    assert.equal(last.user, 'root');
    assert.ok('sudoUser' in last);
    fs.chmodSync(node.holding, 0o755);
    const r = breakglass(['disable', 'etcd', ...node.flags], { env: { ...process.env, SUDO_USER: 'alice' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /had mode 0755, uid 0: set to mode 0700, owner root/);
    assert.equal(fs.statSync(node.holding).mode & 0o777, 0o700);
    const ok = JSON.parse(
      fs.readFileSync(path.join(node.stateDir, 'audit.log'), 'utf8').trim().split('\n').at(-1)!,
    );
    assert.equal(ok.sudoUser, 'alice');
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.sha256Before, ok.sha256After);
    assert.match(ok.sha256Before, /^[0-9a-f]{64}$/);
  });

  test('an unknown name lists what there is', () => {
    assertRefused(
      breakglass(['disable', 'kube-proxy', ...node.flags]),
      /unknown static pod or manifest "kube-proxy".*etcd\.yaml/,
    );
  });

  test('already disabled, already enabled', () => {
    assert.equal(breakglass(['disable', 'kube-scheduler', ...node.flags]).status, 0);
    assertRefused(
      breakglass(['disable', 'kube-scheduler', ...node.flags]),
      /kube-scheduler is already disabled/,
    );
    assertRefused(breakglass(['enable', 'etcd', ...node.flags]), /etcd is already enabled/);
  });

  test('a file of the same name already in the other directory', () => {
    fs.mkdirSync(node.holding, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(node.holding, 'etcd.yaml'), 'an older etcd.yaml');
    const before = snapshot(node.manifests);
    assertRefused(
      breakglass(['disable', 'etcd.yaml', ...node.flags]),
      /a file named etcd\.yaml already exists in/,
    );
    assert.deepEqual(snapshot(node.manifests), before);
    assert.equal(fs.readFileSync(path.join(node.holding, 'etcd.yaml'), 'utf8'), 'an older etcd.yaml');
  });

  test('a holding directory on another file system', () => {
    const other = makeTempDir();
    mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', other]);
    const before = snapshot(node.manifests);
    assertRefused(
      breakglass(['disable', 'etcd', ...node.flags, '--holding', path.join(other, 'held')]),
      /on another file system/,
    );
    assert.deepEqual(snapshot(node.manifests), before);
  });

  test('a holding directory inside the manifest directory', () => {
    assertRefused(
      breakglass(['disable', 'etcd', ...node.flags, '--holding', path.join(node.manifests, 'off')]),
      /must be outside the manifest directory/,
    );
    assert.ok(!fs.existsSync(path.join(node.manifests, 'off')));
  });

  for (const holdingExists of [false, true]) {
    test(`a read-only file system (EROFS), holding directory ${holdingExists ? 'present' : 'not yet made'}`, () => {
      const kubernetes = path.join(node.root, 'etc/kubernetes');
      if (holdingExists) fs.mkdirSync(node.holding, { recursive: true, mode: 0o700 });
      mount(['--bind', kubernetes, kubernetes]);
      execFileSync('mount', ['-o', 'remount,ro,bind', kubernetes]);
      const before = snapshot(node.manifests);
      assertRefused(
        breakglass(['disable', 'etcd', ...node.flags]),
        /read-only file system \(EROFS\); nothing changed/,
      );
      assert.deepEqual(snapshot(node.manifests), before);
      assert.deepEqual(snapshot(node.holding), {});
    });
  }

  test('no space left (ENOSPC) on a full tmpfs: a clear error, nothing lost, and it works once space is freed', () => {
    const disk = makeTempDir();
    mount(['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]);
    const full = makeNodeRoot({ base: disk });
    const filler = path.join(disk, 'filler');
    assert.throws(() => fs.writeFileSync(filler, Buffer.alloc(1024 * 1024)), /ENOSPC/);
    const before = snapshot(full.manifests);
    assertRefused(breakglass(['disable', 'etcd', ...full.flags]), /no space left on device \(ENOSPC\)/);
    assert.deepEqual(snapshot(full.manifests), before);
    assert.deepEqual(snapshot(full.holding), {});
    assert.ok(!fs.existsSync(path.join(full.stateDir, 'intent.json')));
    fs.rmSync(filler);
    const r = breakglass(['disable', 'etcd', ...full.flags]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(full.holding, 'etcd.yaml'), 'utf8'), kubeadmManifest('etcd.yaml'));
  });

  test('a state directory on a full disk, manifests on a healthy one', () => {
    const disk = makeTempDir();
    mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
    assert.throws(() => fs.writeFileSync(path.join(disk, 'filler'), Buffer.alloc(1024 * 1024)), /ENOSPC/);
    const before = snapshot(node.manifests);
    assertRefused(
      breakglass(['disable', 'etcd', ...node.flags, '--state-dir', path.join(disk, 'state')]),
      /no space left on device \(ENOSPC\)/,
    );
    assert.deepEqual(snapshot(node.manifests), before);
  });

  test('usage errors exit 2', () => {
    assertRefused(breakglass(['disable']), /takes one NAME/, 2);
    assertRefused(breakglass(['frobnicate']), /unknown command "frobnicate"/, 2);
    assertRefused(breakglass(['status', '--no-such-flag']), /Unknown option '--no-such-flag'/, 2);
    assertRefused(
      breakglass(['disable', '../../etc/passwd', ...node.flags]),
      /is not a manifest file name or pod name/,
      2,
    );
  });

  test('a broken manifest can still be disabled by its file name', () => {
    fs.writeFileSync(path.join(node.manifests, 'kube-apiserver.yaml.bak'), 'apiVersion: v1\nkind: [Pod\n', {
      mode: 0o600,
    });
    const r = breakglass(['disable', 'kube-apiserver.yaml.bak', ...node.flags]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(node.holding, 'kube-apiserver.yaml.bak')));
  });
});

describe('one change at a time', () => {
  test('a second process names the holder; a dead holder is taken over, and said so', async () => {
    fs.mkdirSync(node.stateDir, { recursive: true, mode: 0o700 });
    const holder = spawn(process.execPath, [
      path.join(REPO_ROOT, 'dist/test/helpers/hold-lock.js'),
      node.stateDir,
    ]);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const before = snapshot(node.manifests);
    const refused = breakglass(['disable', 'etcd', ...node.flags]);
    assertRefused(
      refused,
      new RegExp(
        `another change is in progress: held by pid ${holder.pid} \\(user root, command ".*hold-lock\\.js`,
      ),
    );
    assert.deepEqual(snapshot(node.manifests), before);
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const r = breakglass(['disable', 'etcd', ...node.flags]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`took over the lock left by a process that died holding it: held by pid ${holder.pid}`),
    );
  });

  test('two processes changing at once: never both inside a change, nothing lost', async () => {
    let refusedCount = 0;
    for (let round = 0; round < 15; round++) {
      const [a, b] = await Promise.all([
        breakglassAsync(['disable', 'kube-scheduler', ...node.flags]),
        breakglassAsync(['disable', 'kube-controller-manager', ...node.flags]),
      ]);
      for (const r of [a, b]) {
        if (r.status !== 0) {
          refusedCount++;
          assert.match(r.stderr, /another change is in progress: held by/);
        }
      }
      for (const file of ['kube-scheduler.yaml', 'kube-controller-manager.yaml']) {
        const places = [node.manifests, node.holding].filter((d) => fs.existsSync(path.join(d, file)));
        assert.equal(places.length, 1);
        if (places[0] === node.holding) assert.equal(breakglass(['enable', file, ...node.flags]).status, 0);
      }
    }
    console.log(`# ${refusedCount} of 30 concurrent changes met the other one's lock`);
  });
});

describe('a machine with no Kubernetes', () => {
  test('status says what it could not find, without a stack trace', () => {
    const empty = makeTempDir();
    try {
      const r = breakglass(['status', '--root', empty]);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /found no kubelet\.service, kubeadm flags or kubelet config/);
      assert.match(r.stdout, /static pod directory: .*etc\/kubernetes\/manifests does not exist/);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
      const json = JSON.parse(breakglass(['status', '--json', '--root', empty]).stdout);
      assert.deepEqual(json.staticPods, []);
      assert.match(json.manifestDir.error, /does not exist/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
