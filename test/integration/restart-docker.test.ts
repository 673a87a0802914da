// The guided restart on a node whose runtime is Docker (the lab's second control plane, cri-dockerd's
// container names): every pod of the control plane with a new container that docker ps shows, all
// healthy. Its own lab, on its own ports; taken down after.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labDown, labUp } from '../../scripts/lab/lab.js';
import { labPorts } from '../../scripts/lab/node.js';
import { labEnv } from '../helpers/lab.js';
import { NODE_NAME } from '../helpers/lab-controlplane-root.js';
import { makeTempDir } from '../helpers/node-root.js';
import { type NodeRuntime, runningContainers } from '../helpers/node-runtime.js';
import { CONTROL_PLANE, jsonLines } from '../helpers/restart.js';
import { breakglass } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const lab = labEnv();

test('restart --all on a node whose runtime is Docker (cri-dockerd names): new containers, all healthy', {
  timeout: 900_000,
}, async () => {
  const dir = makeTempDir('bg-lab-docker-');
  const offset = lab.portOffset + 3_000;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  try {
    const second = await labUp(dir, { log, controlPlane: { portOffset: offset, runtime: 'docker' } });
    const docker: NodeRuntime = { kind: 'docker', socket: second.dockerSocket, nodeName: NODE_NAME };
    await until(
      'the Docker lab healthy',
      async () => (await componentHealth(labPorts(offset))).every((h) => h.healthy),
      {
        timeoutMs: 180_000,
        intervalMs: 500,
      },
    );
    const before = new Map(CONTROL_PLANE.map((p) => [p, runningContainers(docker, p)]));
    assert.ok(
      [...before.values()].every((ids) => ids.length === 1),
      'docker ps shows each pod running',
    );
    const r = breakglass(
      ['restart', '--all', '--yes', '--json', '--root', second.nodeRoot, '--dbus', second.dbusAddress],
      {
        timeout: 600_000,
      },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(jsonLines(r.stdout).at(-1)!.ok, true);
    for (const pod of CONTROL_PLANE) {
      const now = runningContainers(docker, pod);
      assert.ok(
        now.length === 1 && !before.get(pod)!.includes(now[0]!),
        `${pod}: a new container in docker ps`,
      );
    }
    assert.ok((await componentHealth(labPorts(offset))).every((h) => h.healthy));
  } catch (err) {
    throw new Error(
      `the Docker lab: ${err instanceof Error ? err.message : err}\n${lines.slice(-30).join('\n')}`,
    );
  } finally {
    await labDown(dir, { log });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
