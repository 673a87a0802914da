// The lab's systemd, reached from the host as breakglass reaches a node's: its D-Bus socket (busctl, the
// host's own client), its persistent journal (journalctl --directory), and Debian's containerd.service
// running a real CRI runtime inside it. No mocks: a real systemd as PID 1 of a container in the lab's dockerd.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { controlPlaneUp } from '../../scripts/lab/controlplane.js';
import { type LabPaths, labPaths } from '../../scripts/lab/daemons/paths.js';
import { mountsUnder } from '../../scripts/lab/daemons/proc.js';
import { type PodSpec, runCriPod } from '../../scripts/lab/pods.js';
import { SYSTEMD_CONTAINER } from '../../scripts/lab/systemd/container.js';
import { startContainerdService } from '../../scripts/lab/systemd/containerd-service.js';
import { ensureSystemdImage } from '../../scripts/lab/systemd/image.js';
import { installUnit, systemctl } from '../../scripts/lab/systemd/units.js';
import { type LabSystemd, startLabSystemd, stopLabSystemd } from '../../scripts/lab/systemd.js';
import { CriClient } from '../../src/clients/cri.js';
import { labEnv } from '../helpers/lab.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const TEST_UNIT = 'breakglass-test.service';
const TEST_UNIT_TEXT = `[Unit]
Description=breakglass lab test unit

[Service]
ExecStart=/bin/sh -c 'echo hello from the unit; exec sleep infinity'
`;
const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const WAIT = { timeoutMs: 15_000 };

let paths: LabPaths;
let systemd: LabSystemd;
/** The CRI pod's sandbox and container ids: runc gives each a cgroup /k8s.io/<id> at the hierarchies' root. */
let podIds: string[] = [];

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** systemd's object path escaping: every byte outside [A-Za-z0-9] as _xx. */
function unitObjectPath(unit: string): string {
  const escaped = [...Buffer.from(unit)]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9]/.test(char) ? char : `_${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
  return `${MANAGER_PATH}/unit/${escaped}`;
}

/** busctl's answer `s "active"` or `u 1234`, without its type letter and quotes. */
function busProperty(unit: string, iface: string, property: string): string {
  const answer = run('busctl', [
    `--address=${systemd.dbusAddress}`,
    'get-property',
    SYSTEMD,
    unitObjectPath(unit),
    `${SYSTEMD}.${iface}`,
    property,
  ]);
  return answer
    .trim()
    .replace(/^\w+ /, '')
    .replace(/^"(.*)"$/, '$1');
}

function restartOverDbus(unit: string): void {
  run('busctl', [
    `--address=${systemd.dbusAddress}`,
    'call',
    SYSTEMD,
    MANAGER_PATH,
    `${SYSTEMD}.Manager`,
    'RestartUnit',
    'ss',
    unit,
    'replace',
  ]);
}

function journalMessages(unit: string): string[] {
  const output = run('journalctl', ['--directory', systemd.journalDir, '-u', unit, '-o', 'json']);
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { MESSAGE?: unknown }).MESSAGE)
    .filter((message): message is string => typeof message === 'string');
}

/** Host processes whose cgroup path names one of these ids (a container's, a pod's). */
function processesInCgroups(ids: string[]): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroups = fs.readFileSync(`/proc/${entry}/cgroup`, 'utf8');
      if (ids.some((id) => cgroups.includes(id))) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Cgroup directories (two levels deep in each v1 hierarchy: docker/<id>, k8s.io/<id>) named after the ids. */
function cgroupDirsNamed(ids: string[]): string[] {
  const found: string[] = [];
  for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
    const root = `/sys/fs/cgroup/${hierarchy}`;
    for (const parent of ['docker', 'k8s.io']) {
      for (const id of ids)
        if (fs.existsSync(`${root}/${parent}/${id}`)) found.push(`${root}/${parent}/${id}`);
    }
  }
  return found;
}

/**
 * Mounts that belong to the systemd container and its containerd.service; the shared lab's own (dockerd's
 * data root, the control plane's pods on the lab's containerd, etcd's disk) stay while the lab runs.
 */
function ofLabSystemd(mountPoint: string): boolean {
  return (
    mountPoint.startsWith(`${paths.dir}/systemd-containerd/`) || mountPoint.startsWith(`${paths.dir}/dbus`)
  );
}

function containerId(): string {
  const lab = labEnv();
  return run('/usr/bin/docker', [
    '-H',
    `unix://${lab.dockerSocket}`,
    'inspect',
    '-f',
    '{{.Id}}',
    SYSTEMD_CONTAINER,
  ]).trim();
}

before(async () => {
  paths = labPaths(labEnv().dir);
  const log = (line: string) => process.stderr.write(`lab-systemd: ${line}\n`);
  await ensureSystemdImage(paths, log);
  systemd = await startLabSystemd(paths, {
    mounts: [{ source: paths.dir }, { source: REPO_ROOT, readonly: true }],
    log,
  });
});

after(async () => {
  if (!paths) return;
  await stopLabSystemd(paths);
  // The lab is shared by the whole test run: its control plane (systemd, kubelet.service) comes back.
  await controlPlaneUp(paths.dir, {}, (line) => process.stderr.write(`lab-systemd: ${line}\n`));
});

test('systemd in the container boots to running or degraded, its bus socket and journal on the host', () => {
  assert.match(systemctl(paths, ['is-system-running']).trim(), /^(running|degraded)$/);
  assert.equal(systemd.container, SYSTEMD_CONTAINER);
  assert.equal(systemd.dbusAddress, `unix:path=${paths.dir}/dbus/system_bus_socket`);
  assert.equal(systemd.journalDir, `${paths.dir}/journal`);
  assert.equal(busProperty('dbus.service', 'Unit', 'ActiveState'), 'active');
});

test("a unit's lines reach the host's journalctl, and D-Bus from the host reads and restarts it", async () => {
  installUnit(paths, TEST_UNIT, TEST_UNIT_TEXT);
  systemctl(paths, ['start', TEST_UNIT]);

  await until(
    'the unit line in the journal',
    () => journalMessages('breakglass-test').includes('hello from the unit'),
    WAIT,
  );
  assert.equal(busProperty(TEST_UNIT, 'Unit', 'ActiveState'), 'active');
  const pidBefore = busProperty(TEST_UNIT, 'Service', 'ExecMainPID');
  const restartsBefore = busProperty(TEST_UNIT, 'Service', 'NRestarts');
  assert.notEqual(pidBefore, '0');

  restartOverDbus(TEST_UNIT);

  await until(
    'a new main PID or restart count',
    () => {
      const pid = busProperty(TEST_UNIT, 'Service', 'ExecMainPID');
      const restarts = busProperty(TEST_UNIT, 'Service', 'NRestarts');
      return (pid !== pidBefore && pid !== '0') || restarts !== restartsBefore;
    },
    WAIT,
  );
  assert.equal(busProperty(TEST_UNIT, 'Unit', 'ActiveState'), 'active');
  await until(
    'the second start in the journal',
    () =>
      journalMessages('breakglass-test').filter((m) => m === 'hello from the unit').length >= 2 ? true : null,
    WAIT,
  );
});

test('containerd.service runs a CRI pod, and restarting the unit over D-Bus keeps the pod running', {
  timeout: 120_000,
}, async () => {
  const service = await startContainerdService(paths);
  assert.equal(busProperty('containerd.service', 'Unit', 'ActiveState'), 'active');
  const client = new CriClient(service.socket, 30_000);
  const spec: PodSpec = {
    name: 'probe',
    namespace: 'kube-system',
    nodeName: 'lab',
    file: '/etc/kubernetes/manifests/probe.yaml',
    content: 'probe',
    containers: [
      {
        name: 'probe',
        image: labEnv().images.busybox,
        command: ['/bin/sh', '-c', 'echo hello from the pod; exec sleep 3600'],
      },
    ],
  };
  const pod = await runCriPod(client, spec, labEnv().podLogsDir);
  podIds = [pod.sandboxId, ...Object.values(pod.containerIds)];
  const containerLog = `${pod.logDirectory}/probe/0.log`;
  await until(
    'the pod log line',
    () => fs.existsSync(containerLog) && /hello from the pod/.test(fs.readFileSync(containerLog, 'utf8')),
    WAIT,
  );
  const pidBefore = busProperty('containerd.service', 'Service', 'ExecMainPID');

  restartOverDbus('containerd.service');

  await until(
    'containerd with a new main PID',
    () => {
      const pid = busProperty('containerd.service', 'Service', 'ExecMainPID');
      return (
        pid !== pidBefore &&
        pid !== '0' &&
        busProperty('containerd.service', 'Unit', 'ActiveState') === 'active'
      );
    },
    WAIT,
  );
  const status = await until(
    'containerd answering again',
    () => {
      const result = spawnSync('/usr/bin/ctr', ['--address', service.socket, '-n', 'k8s.io', 'tasks', 'ls'], {
        encoding: 'utf8',
      });
      return result.status === 0 ? result.stdout : null;
    },
    WAIT,
  );
  const probeId = pod.containerIds.probe!;
  assert.match(status, new RegExp(`^${probeId}\\s+\\d+\\s+RUNNING`, 'm'));
  client.close();
});

test('stopping the lab systemd leaves no container, no process, no cgroup and no mount', async () => {
  const id = containerId();
  const cgroupNames = [id, ...podIds];
  assert.ok(processesInCgroups(cgroupNames).length > 0, 'the container runs processes');
  assert.ok(podIds.length > 0 && processesInCgroups(podIds).length > 0, "the pod's processes run");

  await stopLabSystemd(paths);

  const lab = labEnv();
  const docker = ['-H', `unix://${lab.dockerSocket}`];
  assert.equal(run('/usr/bin/docker', [...docker, 'ps', '-aq', '--filter', `name=${SYSTEMD_CONTAINER}`]), '');
  await until('the processes to go', () => processesInCgroups(cgroupNames).length === 0, WAIT);
  assert.deepEqual(cgroupDirsNamed(cgroupNames), []);
  assert.deepEqual(mountsUnder(paths.dir).filter(ofLabSystemd), []);
  assert.ok(!fs.existsSync(`${paths.dir}/dbus`), 'the D-Bus dir is gone');
  assert.ok(fs.readdirSync(systemd.journalDir).length > 0, 'the journal stays');
});
