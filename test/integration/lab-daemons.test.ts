// The lab the tests run against (scripts/test.ts starts it): real dockerd and containerd, each on its own
// socket, with the local images; and a second lab that labDown takes down without a trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { dockerGet } from '../../scripts/lab/daemons/clients.js';
import { labPaths } from '../../scripts/lab/daemons/paths.js';
import { criImageName } from '../../scripts/lab/images.js';
import { labDown, labUp } from '../../scripts/lab/lab.js';
import { type LabEnv, labEnv } from '../helpers/lab.js';

const HOST_DEFAULTS = [
  '/var/run/docker.sock',
  '/run/containerd/containerd.sock',
  '/var/lib/docker',
  '/var/lib/containerd',
];

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function ctr(socket: string, args: string[]): string {
  return run('/usr/bin/ctr', ['--address', socket, ...args]);
}

function docker(socket: string, args: string[]): string {
  return run('/usr/bin/docker', ['-H', `unix://${socket}`, ...args]);
}

/** Processes other than this one with the dir in their command line, read straight from /proc. */
function processesNaming(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (cmdline.includes(`${dir}/`) || cmdline.trimEnd().endsWith(dir)) found.push(`${entry}: ${cmdline}`);
  }
  return found;
}

function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
}

/** Alive and not a zombie (PID 1 reaps orphans here in its own time). */
function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A host-network pause container in the lab's dockerd; returns its process id. */
function runDockerContainer(lab: LabEnv): number {
  const id = docker(lab.dockerSocket, ['run', '-d', '--network', 'host', lab.images.pause]).trim();
  return Number(docker(lab.dockerSocket, ['inspect', '-f', '{{.State.Pid}}', id]).trim());
}

/** A pause task in containerd's k8s.io namespace (runc state in the lab, no stdio fifos); returns its pid. */
function runContainerdTask(lab: LabEnv): number {
  const image = criImageName(lab.images.pause);
  const runcRoot = ['--runc-root', labPaths(lab.dir).runcRoot];
  ctr(lab.containerdSocket, [
    '-n',
    'k8s.io',
    'run',
    '-d',
    '--null-io',
    '--net-host',
    ...runcRoot,
    image,
    'probe',
  ]);
  const task = ctr(lab.containerdSocket, ['-n', 'k8s.io', 'tasks', 'ls'])
    .split('\n')
    .find((line) => line.startsWith('probe '));
  return Number(task?.split(/\s+/)[1]);
}

test('the lab dockerd answers on its own socket and holds the three images', async () => {
  const lab = labEnv();
  const ping = await dockerGet(lab.dockerSocket, '/_ping');
  assert.deepEqual(ping, { status: 200, body: 'OK' });
  const images = JSON.parse((await dockerGet(lab.dockerSocket, '/images/json')).body) as {
    RepoTags: string[] | null;
  }[];
  const tags = images.flatMap((image) => image.RepoTags ?? []);
  for (const name of Object.values(lab.images))
    assert.ok(tags.includes(name), `${name} not in ${tags.join(', ')}`);
});

test('the lab containerd answers on its own socket and holds the three images in k8s.io, as CRI names them', () => {
  const lab = labEnv();
  assert.match(ctr(lab.containerdSocket, ['version']), /Server:\s+Version:/);
  const names = ctr(lab.containerdSocket, ['-n', 'k8s.io', 'images', 'ls', '-q']).split('\n');
  for (const name of Object.values(lab.images))
    assert.ok(names.includes(criImageName(name)), `${name}: ${names}`);
});

test("the lab created none of the host's default sockets or state directories", () => {
  const lab = labEnv();
  const labBorn = fs.statSync(lab.dir).birthtimeMs;
  for (const hostPath of HOST_DEFAULTS) {
    const stat = fs.statSync(hostPath, { throwIfNoEntry: false });
    if (!stat) continue;
    // Present on a host with its own runtime: then it must predate the lab.
    assert.ok(labBorn > 0 && stat.birthtimeMs < labBorn, `${hostPath} appeared with the lab`);
  }
});

test('a second lab comes up in its own dir, and labDown leaves no process, mount, container or socket', {
  timeout: 90_000,
}, async (t) => {
  const dir = fs.mkdtempSync('/tmp/bg-lab2-');
  const log = (line: string) => t.diagnostic(line);
  try {
    // Its own ports too: beside the test run's lab, and beside any other lab on this machine.
    const lab = await labUp(dir, { log, controlPlane: { portOffset: labEnv().portOffset + 2_000 } });
    assert.notEqual(lab.dockerSocket, labEnv().dockerSocket);
    // Something for labDown to clean up in each runtime.
    const dockerPid = runDockerContainer(lab);
    const taskPid = runContainerdTask(lab);
    assert.ok(isRunning(dockerPid) && isRunning(taskPid), 'both containers run before labDown');
    assert.ok(
      processesNaming(dir).length > 0 && mountsUnder(dir).length > 0,
      'the lab runs and mounts under its dir',
    );

    await labDown(dir, { log });

    assert.deepEqual(processesNaming(dir), []);
    assert.deepEqual(mountsUnder(dir), []);
    assert.ok(!isRunning(dockerPid) && !isRunning(taskPid), 'the containers are gone');
    assert.ok(
      !fs.existsSync(lab.dockerSocket) && !fs.existsSync(lab.containerdSocket),
      'the sockets are gone',
    );
  } finally {
    await labDown(dir, { log }).catch(() => {});
    // Never recursive-delete through a mount that survived.
    if (mountsUnder(dir).length === 0) fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('labEnv() explains how to start the lab when its variables are missing', () => {
  const saved = process.env.BREAKGLASS_LAB_DIR;
  delete process.env.BREAKGLASS_LAB_DIR;
  try {
    assert.throws(labEnv, /the lab is not up: run the tests with `npm test`/);
  } finally {
    if (saved !== undefined) process.env.BREAKGLASS_LAB_DIR = saved;
  }
});

test('a lab started on the ports of another one says so, instead of passing the other one off as its own', {
  timeout: 90_000,
}, async () => {
  const dir = fs.mkdtempSync('/tmp/bg-lab3-');
  try {
    await assert.rejects(
      labUp(dir, { log: () => {}, controlPlane: { portOffset: labEnv().portOffset } }),
      /ports in use on 127\.0\.0\.1: \d+ \(etcdClient\).*choose another --port-offset/,
    );
  } finally {
    await labDown(dir, { log: () => {} });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
