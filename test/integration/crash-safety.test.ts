// kill -9 at every step of a disable or enable, and at random instants, then recover: every manifest
// must exist exactly once, byte-identical, and the manifest directory must never hold a stray file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { recover } from '../../src/ops/staticpods.js';
import { KUBEADM_MANIFESTS, kubeadmManifest, makeNodeRoot, type NodeRoot } from '../helpers/node-root.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { breakglass } from '../helpers/run.js';

const CRASHPOINTS = [
  'after-intent',
  'after-link',
  'after-sync-target',
  'after-unlink',
  'after-sync-source',
  'after-audit',
  'after-clear',
];
const RANDOM_RUNS = Number(process.env.CRASH_RANDOM_RUNS ?? 460);
const ORIGINAL = new Map(KUBEADM_MANIFESTS.map((name) => [name, kubeadmManifest(name)]));

function assertIntact(node: NodeRoot, context: string): void {
  const inManifests = fs.readdirSync(node.manifests);
  const inHolding = fs.existsSync(node.holding) ? fs.readdirSync(node.holding) : [];
  for (const name of inManifests) {
    assert.ok(ORIGINAL.has(name), `${context}: stray file ${name} in the manifest directory`);
  }
  for (const [name, content] of ORIGINAL) {
    const places = [node.manifests, node.holding].filter((dir) => fs.existsSync(path.join(dir, name)));
    assert.equal(places.length, 1, `${context}: ${name} exists in ${places.length} places`);
    assert.equal(
      fs.readFileSync(path.join(places[0]!, name), 'utf8'),
      content,
      `${context}: ${name} changed`,
    );
  }
  assert.deepEqual(
    inHolding.filter((n) => !ORIGINAL.has(n)),
    [],
    `${context}: unexpected files in the holding directory`,
  );
  assert.ok(!fs.existsSync(path.join(node.stateDir, 'intent.json')), `${context}: intent log left behind`);
}

function ctxOf(node: NodeRoot) {
  return {
    manifests: node.manifests,
    holding: node.holding,
    stateDir: node.stateDir,
    nodeName: 'master-1',
    readOnly: false,
  };
}

describe('crash safety', () => {
  let node: NodeRoot;
  before(() => {
    node = makeNodeRoot();
  });
  after(() => node.cleanup());

  for (const point of CRASHPOINTS) {
    for (const action of ['disable', 'enable'] as const) {
      test(`kill -9 ${point} of ${action}, then \`breakglass recover\``, () => {
        for (let round = 0; round < 3; round++) {
          const file = KUBEADM_MANIFESTS[round % KUBEADM_MANIFESTS.length]!;
          if (action === 'enable') {
            const r = breakglass(['disable', file, ...node.flags]);
            assert.equal(r.status, 0, r.stderr);
          }
          const crashed = breakglass([action, file, ...node.flags], {
            env: { ...process.env, BREAKGLASS_CRASHPOINT: point },
          });
          assert.equal(
            crashed.signal,
            'SIGKILL',
            `expected the crash point ${point} to be reached: ${crashed.stderr}`,
          );
          const recovered = breakglass(['recover', ...node.flags]);
          assert.equal(recovered.status, 0, recovered.stderr);
          assertIntact(node, `${action} killed ${point}`);
          // The change either completed or was undone; put everything back for the next round.
          if (fs.existsSync(path.join(node.holding, file))) {
            assert.equal(breakglass(['enable', file, ...node.flags]).status, 0);
          }
          assertIntact(node, `${action} killed ${point}, re-enabled`);
        }
      });
    }
  }

  for (const point of ['recover-after-unlink', 'recover-after-audit']) {
    test(`kill -9 ${point} of a recovery, then recover again`, () => {
      const crashed = breakglass(['disable', 'etcd.yaml', ...node.flags], {
        env: { ...process.env, BREAKGLASS_CRASHPOINT: 'after-link' },
      });
      assert.equal(crashed.signal, 'SIGKILL');
      const recoveryCrashed = breakglass(['recover', ...node.flags], {
        env: { ...process.env, BREAKGLASS_CRASHPOINT: point },
      });
      assert.equal(recoveryCrashed.signal, 'SIGKILL');
      const recovered = breakglass(['recover', ...node.flags]);
      assert.equal(recovered.status, 0, recovered.stderr);
      assert.match(recovered.stdout, /disable of etcd\.yaml: completed/);
      assertIntact(node, `recovery killed ${point}`);
      assert.equal(breakglass(['enable', 'etcd', ...node.flags]).status, 0);
    });
  }

  test('the next change finds an interrupted one and finishes it first', () => {
    const crashed = breakglass(['disable', 'kube-scheduler', ...node.flags], {
      env: { ...process.env, BREAKGLASS_CRASHPOINT: 'after-link' },
    });
    assert.equal(crashed.signal, 'SIGKILL');
    assert.ok(fs.existsSync(path.join(node.stateDir, 'intent.json')));
    const status = breakglass(['status', ...node.flags]);
    assert.equal(status.status, 1);
    assert.match(status.stdout, /interrupted disable of kube-scheduler\.yaml/);
    const next = breakglass(['disable', 'kube-controller-manager', ...node.flags]);
    assert.equal(next.status, 0, next.stderr);
    assert.match(next.stdout, /interrupted disable of kube-scheduler\.yaml: completed/);
    assertIntact(node, 'after the next change');
    assert.ok(fs.existsSync(path.join(node.holding, 'kube-scheduler.yaml')));
    const audit = fs
      .readFileSync(path.join(node.stateDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(audit.some((r) => r.action === 'recover-disable' && r.outcome === 'completed'));
    for (const file of ['kube-scheduler.yaml', 'kube-controller-manager.yaml']) {
      assert.equal(breakglass(['enable', file, ...node.flags]).status, 0);
    }
  });

  test(`kill -9 at ${RANDOM_RUNS} random instants of a disable/enable loop`, async () => {
    const driver = path.join(REPO_ROOT, 'dist/test/helpers/move-loop.js');
    const outcomes = { killedMidway: 0 };
    for (let run = 0; run < RANDOM_RUNS; run++) {
      const child = spawn(process.execPath, [
        driver,
        node.manifests,
        node.holding,
        node.stateDir,
        ...KUBEADM_MANIFESTS,
      ]);
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`driver exited early (${code}): ${stderr}`)));
      });
      await new Promise((r) => setTimeout(r, Math.random() * 50));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      assert.equal(stderr, '', `the driver failed before it was killed: ${stderr}`);
      if (fs.existsSync(path.join(node.stateDir, 'intent.json'))) outcomes.killedMidway++;
      recover(ctxOf(node));
      assertIntact(node, `random run ${run}`);
    }
    // Most of a change's time is taking the lock (spawning flock); enough kills must still land
    // between the intent log and its removal, or the test proves little.
    assert.ok(
      outcomes.killedMidway >= RANDOM_RUNS / 50,
      `only ${outcomes.killedMidway} kills landed mid-change`,
    );
    console.log(`# ${outcomes.killedMidway} of ${RANDOM_RUNS} random kills landed mid-change`);
  });
});
