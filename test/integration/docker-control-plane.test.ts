// A node whose runtime is Docker (the lab's second control plane, cri-dockerd's container names), on its
// own ports, taken down after. The guided restart: every pod of the control plane with a new container
// that docker ps shows, all healthy. The etcd restore with no etcd tool on the host: etcd's own, from
// its image as a one-off Docker container, brings back a snapshot; the node checked with etcdctl, curl,
// docker and the file system.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { type LabEnv, labDown, labFault, labUp } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { pathWithout } from '../helpers/host-path.js';
import { labEnv } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { labEtcdctl } from '../helpers/lab-etcdctl.js';
import { makeTempDir } from '../helpers/node-root.js';
import { type NodeRuntime, runningContainers, runOnceLeft } from '../helpers/node-runtime.js';
import { CONTROL_PLANE, jsonLines } from '../helpers/restart.js';
import { breakglass, breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();

describe('a control plane run by Docker', { timeout: 1_500_000 }, () => {
  const dir = makeTempDir('bg-lab-docker-');
  const offset = lab.portOffset + 3_000;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  let second: LabEnv;
  let docker: NodeRuntime;
  const flags = () => ['--root', second.nodeRoot, '--dbus', second.dbusAddress];
  const healthy = async () => (await componentHealth(labPorts(offset))).every((h) => h.healthy);
  /** The Docker lab's own last lines with a failure: what its kubelet and daemons did. */
  const withLabLog = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (err) {
      throw new Error(
        `the Docker lab: ${err instanceof Error ? err.message : err}\n${lines.slice(-30).join('\n')}`,
      );
    }
  };

  before(async () => {
    second = await labUp(dir, { log, controlPlane: { portOffset: offset, runtime: 'docker' } });
    docker = { kind: 'docker', socket: second.dockerSocket, nodeName: NODE_NAME };
    await until('the Docker lab healthy', healthy, { timeoutMs: 180_000, intervalMs: 500 });
  });
  after(async () => {
    await labDown(dir, { log });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('restart --all: new containers in docker ps, all healthy', async () => {
    await withLabLog(async () => {
      const before = new Map(CONTROL_PLANE.map((p) => [p, runningContainers(docker, p)]));
      assert.ok(
        [...before.values()].every((ids) => ids.length === 1),
        'docker ps shows each pod running',
      );
      const r = breakglass(['restart', '--all', '--yes', '--json', ...flags()], { timeout: 600_000 });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(jsonLines(r.stdout).at(-1)!.ok, true);
      for (const pod of CONTROL_PLANE) {
        const now = runningContainers(docker, pod);
        assert.ok(
          now.length === 1 && !before.get(pod)!.includes(now[0]!),
          `${pod}: a new container in docker ps`,
        );
      }
      assert.ok(await healthy());
    });
  });

  test("etcd's data lost, no etcd tool on the host: restored by etcd's own, a one-off Docker container", async () => {
    await withLabLog(async () => {
      await until('the Docker lab healthy', healthy, { timeoutMs: 180_000, intervalMs: 500 });
      const etcdctl = labEtcdctl(second);
      const value = (key: string) => etcdctl(['get', key, '--print-value-only']).stdout.trim();
      assert.equal(etcdctl(['put', '/breakglass-test/restore/before', 'kept']).status, 0);
      const snap = breakglassJson<{ path: string }>(['snapshot', ...flags()]);
      assert.equal(snap.result.status, 0, snap.result.stderr);
      assert.equal(etcdctl(['put', '/breakglass-test/restore/after', 'lost']).status, 0);

      await labFault(dir, 'etcd-data-lost', log);
      assert.notEqual(etcdctl(['endpoint', 'health']).status, 0, 'etcd does not answer');
      const bin = pathWithout(['etcdctl', 'etcdutl']);
      try {
        const r = breakglass(['etcd', 'restore', snap.json.path, '--yes', ...flags()], {
          timeout: 600_000,
          env: { ...process.env, PATH: bin },
        });
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(
          r.stdout,
          /etcd's tool: etcdctl in registry\.k8s\.io\/etcd:3\.5\.15-0 \(through the runtime\)/,
        );
      } finally {
        fs.rmSync(bin, { recursive: true, force: true });
      }
      assert.equal(value('/breakglass-test/restore/before'), 'kept');
      assert.equal(value('/breakglass-test/restore/after'), '', 'written after the snapshot: gone');
      const readyz = () =>
        spawnSync(
          'curl',
          ['-sk', '--max-time', '3', `https://127.0.0.1:${labPorts(offset).apiserver}/readyz`],
          { encoding: 'utf8' },
        ).stdout.trim();
      await until('the API server ready', () => readyz() === 'ok', { timeoutMs: 60_000, intervalMs: 500 });
      assert.equal(runningContainers(docker, 'etcd').length, 1, 'docker ps: etcd runs');
      assert.deepEqual(runOnceLeft(docker), [], 'no one-off container left in docker ps -a');
      const dataDir = path.join(second.nodeRoot, 'var/lib/etcd');
      const kept = fs.readdirSync(dataDir).filter((n) => /^member\.breakglass-\d{8}T\d{6}Z$/.test(n));
      assert.equal(kept.length, 1, `the lost data moved aside, kept: ${fs.readdirSync(dataDir)}`);
      const manifests = path.join(second.nodeRoot, 'etc/kubernetes/manifests');
      for (const file of ['etcd.yaml', 'kube-apiserver.yaml'])
        assert.ok(fs.existsSync(path.join(manifests, file)), `${file} back in the manifest directory`);
    });
  });
});
