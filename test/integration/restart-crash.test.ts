// kill -9 of the guided restart itself, on the lab: at each of its durable points (the record written, a
// step begun, a manifest about to be taken away, mid-move, mid-snapshot, the record being filed) and at
// random instants. After each: `breakglass recover` puts back every manifest the run had taken away,
// exactly once and byte-identical, and `--resume` (or the next run) finishes the rest, with the control
// plane healthy. CI runs the counts below; `npm run soak` many more (RESTART_RANDOM_RUNS).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labEnv } from '../helpers/lab.js';
import { breakglass, startBreakglass } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();
const nodeFlags = ['--root', lab.nodeRoot, '--dbus', lab.dbusAddress];
const kube = path.join(lab.nodeRoot, 'etc/kubernetes');
const manifests = path.join(kube, 'manifests');
const holding = path.join(kube, 'breakglass/disabled');
const stateDir = path.join(lab.nodeRoot, 'var/lib/breakglass');
const RANDOM_RUNS = Number(process.env.RESTART_RANDOM_RUNS ?? 85);

/** Where the whole-control-plane restart (--method move: every pod's manifest goes out and back) dies. */
const CRASHPOINTS = [
  'procedure-after-start',
  'procedure-step-started#1',
  'snapshot-mid-stream',
  'snapshot-before-rename',
  'procedure-step-ended#2',
  'procedure-after-takeaway#1',
  'after-link#1',
  'after-unlink#1',
  'after-clear#1',
  'after-link#2',
  'after-unlink#2',
  'procedure-after-takeaway#2',
  'after-unlink#3',
  'after-sync-source#4',
  'after-unlink#5',
  'after-unlink#8',
  'procedure-step-ended#6',
  'procedure-after-archive',
];

let original: Map<string, Buffer>;

function assertIntact(context: string): void {
  const now = fs.readdirSync(manifests).sort();
  assert.deepEqual(
    now,
    [...original.keys()].sort(),
    `${context}: the manifest directory holds exactly the manifests`,
  );
  for (const [name, bytes] of original) {
    assert.ok(fs.readFileSync(path.join(manifests, name)).equals(bytes), `${context}: ${name} changed`);
  }
  const held = fs.existsSync(holding) ? fs.readdirSync(holding) : [];
  assert.deepEqual(held, [], `${context}: nothing left in the holding directory`);
  assert.ok(!fs.existsSync(path.join(stateDir, 'intent.json')), `${context}: intent log left`);
  assert.ok(
    !fs.existsSync(path.join(stateDir, 'procedure.json')),
    `${context}: procedure record left current`,
  );
}

async function healthy(context: string): Promise<void> {
  await until(
    `${context}: every lab component healthy`,
    async () => (await componentHealth(labPorts(lab.portOffset))).every((h) => h.healthy),
    { timeoutMs: 180_000, intervalMs: 300 },
  );
}

function recover(context: string): string {
  const r = breakglass(['recover', ...nodeFlags]);
  assert.equal(r.status, 0, `${context}: recover: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function lastLine(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

describe('kill -9 of the guided restart', { timeout: 3_600_000 }, () => {
  before(async () => {
    await healthy('before');
    original = new Map(fs.readdirSync(manifests).map((n) => [n, fs.readFileSync(path.join(manifests, n))]));
  });
  after(async () => {
    breakglass(['recover', ...nodeFlags]);
    await healthy('after');
  });

  for (const point of CRASHPOINTS) {
    test(`kill -9 at ${point}, then recover and --resume`, async () => {
      const crashed = breakglass(['restart', '--all', '--method', 'move', '--yes', '--json', ...nodeFlags], {
        env: { ...process.env, BREAKGLASS_CRASHPOINT: point },
        timeout: 300_000,
      });
      assert.equal(crashed.status, 1);
      const end = lastLine(crashed.stdout);
      assert.equal(end.died, true, `the run reached ${point} and died: ${crashed.stdout}\n${crashed.stderr}`);
      assert.match(String(end.text), /ended without a result: killed.*`breakglass recover`/);
      const said = recover(point);
      assertIntact(point);
      if (point !== 'procedure-after-archive') assert.match(said, /interrupted restart \(/);
      const resumed = breakglass(['restart', '--resume', '--yes', '--json', ...nodeFlags], {
        timeout: 300_000,
      });
      if (point === 'procedure-after-archive') {
        // It had finished: nothing to resume.
        assert.match(resumed.stderr, /no unfinished restart to resume/);
      } else {
        assert.equal(resumed.status, 0, `${point}: resume: ${resumed.stdout}\n${resumed.stderr}`);
        assert.equal(lastLine(resumed.stdout).ok, true);
      }
      assertIntact(`${point}, resumed`);
      const partials = fs.readdirSync(path.join(stateDir, 'snapshots')).filter((n) => n.endsWith('.part'));
      assert.deepEqual(partials, [], 'a snapshot cut short does not stay');
      await healthy(point);
    });
  }

  test('after a kill -9 the next change recovers first: a disable finds the manifest put back, then moves it', async () => {
    const crashed = breakglass(['restart', '--all', '--method', 'move', '--yes', '--json', ...nodeFlags], {
      env: { ...process.env, BREAKGLASS_CRASHPOINT: 'after-unlink#3' },
      timeout: 300_000,
    });
    assert.equal(lastLine(crashed.stdout).died, true, crashed.stdout);
    assert.ok(fs.existsSync(path.join(holding, 'kube-apiserver.yaml')), 'the apiserver manifest was out');
    // No `recover`: the next change (a disable of the scheduler) runs it first and says so.
    const next = breakglass(['disable', 'kube-scheduler', ...nodeFlags]);
    assert.equal(next.status, 0, next.stderr);
    assert.match(
      next.stdout,
      /interrupted restart \(.*\): steps done: etcd-quorum, etcd-snapshot, restart:etcd; kube-apiserver\.yaml moved back/,
    );
    assert.ok(fs.existsSync(path.join(manifests, 'kube-apiserver.yaml')), 'put back before the disable');
    assert.equal(breakglass(['enable', 'kube-scheduler', ...nodeFlags]).status, 0);
    assertIntact('the next change recovered first');
    await healthy('after the next change');
  });

  test(`kill -9 at ${RANDOM_RUNS} random instants of a restart, then recover`, async () => {
    const pods = ['kube-controller-manager', 'kube-scheduler'];
    const args = ['restart', ...pods, '--method', 'move', '--yes', '--json', ...nodeFlags];
    // How long one run takes from its start, to spread the kills over it.
    const first = startBreakglass(args);
    const firstExit = new Promise<number | null>((resolve) =>
      first.child.on('exit', (code) => resolve(code)),
    );
    await until('the first run started', () => /"event":"started"/.test(first.stdout()), {
      timeoutMs: 60_000,
      intervalMs: 10,
    });
    const startedAt = Date.now();
    assert.equal(await firstExit, 0, first.stderr());
    const spanMs = Date.now() - startedAt;
    let midway = 0;
    let resumed = 0;
    for (let run = 0; run < RANDOM_RUNS; run++) {
      const context = `random run ${run}`;
      const child = startBreakglass(args);
      const exited = new Promise<void>((resolve) => child.child.on('exit', () => resolve()));
      const pid = await until(
        `${context}: the run started`,
        () => /"event":"started".*?"pid":(\d+)/.exec(child.stdout())?.[1],
        {
          timeoutMs: 60_000,
          intervalMs: 10,
        },
      );
      await new Promise((r) => setTimeout(r, Math.random() * spanMs));
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // It had finished.
      }
      await exited;
      if (fs.existsSync(path.join(stateDir, 'procedure.json'))) midway++;
      recover(context);
      assertIntact(context);
      // Every fifth run resumes what was cut short; the others go straight on to the next restart.
      if (run % 5 === 0) {
        const r = breakglass(['restart', '--resume', '--yes', '--json', ...nodeFlags], { timeout: 300_000 });
        if (r.status === 0) resumed++;
        else
          assert.match(r.stderr, /no unfinished restart to resume/, `${context}: ${r.stdout}\n${r.stderr}`);
        assertIntact(`${context}, resumed`);
      }
      await until(
        `${context}: both pods running`,
        async () => (await componentHealth(labPorts(lab.portOffset))).every((h) => h.healthy),
        { timeoutMs: 180_000, intervalMs: 200 },
      );
    }
    console.log(
      `# ${midway} of ${RANDOM_RUNS} random kills landed mid-restart; ${resumed} resumed to the end`,
    );
    assert.ok(midway >= RANDOM_RUNS / 4, `only ${midway} of ${RANDOM_RUNS} kills landed mid-restart`);
  });
});
