// The lab's control plane, running: Debian's etcd with the manifest's own flags, the stand-ins with theirs
// following etcd and each other over TLS, and the local/node:1 image running Node 24 in the lab's dockerd.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { dockerCli } from '../../scripts/lab/daemons/clients.js';
import { labPaths } from '../../scripts/lab/daemons/paths.js';
import { containerdImageNames, criImageName, ensureLabImages } from '../../scripts/lab/images.js';
import { type LabComponent, labManifestPath } from '../../scripts/lab/manifests.js';
import { writeExpiredCertificate } from '../../scripts/lab/pki/expired.js';
import { labEnv } from '../helpers/lab.js';
import { controlPlaneRoot, PORTS, quiet, run } from '../helpers/lab-controlplane-root.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { until } from '../helpers/wait.js';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const DIST_STANDIN = path.join(REPO_ROOT, 'dist/scripts/lab/standin.js');
const ETCD = '/usr/bin/etcd';

const controlPlane = controlPlaneRoot();
const file = controlPlane.file;
let root: string;
before(() => {
  root = controlPlane.root();
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface Manifest {
  spec: {
    containers: { command: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
    volumes: { name: string; hostPath: { path: string } }[];
  };
}

function readManifest(component: LabComponent): Manifest {
  return parse(fs.readFileSync(labManifestPath(root, component), 'utf8')) as Manifest;
}

/** `/etc/kubernetes/pki/x` or `--flag=/etc/kubernetes/pki/x` under mount path inPod: the path on the host. */
function onHostPath(arg: string, inPod: string, onHost: string): string | null {
  const at = arg.startsWith(inPod) ? 0 : arg.indexOf(`=${inPod}`) + 1;
  const end = at + inPod.length;
  if (!arg.startsWith(inPod, at) || (end < arg.length && arg[end] !== '/')) return null;
  return arg.slice(0, at) + onHost + arg.slice(end);
}

/** The container's command as the lab's kubelet runs it on the host: each mount path becomes <root>/hostPath. */
function hostCommand(component: LabComponent): string[] {
  const { containers, volumes } = readManifest(component).spec;
  const mounts = containers[0]!.volumeMounts
    .map((m) => ({
      inPod: m.mountPath,
      onHost: path.join(root, volumes.find((v) => v.name === m.name)!.hostPath.path),
    }))
    .sort((a, b) => b.inPod.length - a.inPod.length);
  return containers[0]!.command.map((arg) => {
    for (const { inPod, onHost } of mounts) {
      const mapped = onHostPath(arg, inPod, onHost);
      if (mapped !== null) return mapped;
    }
    return arg;
  });
}

interface Answer {
  status: number;
  body: string;
}

/**
 * A GET on a new connection (as a probe makes it), verified against the lab's CA: a certificate that is
 * not valid rejects.
 */
function httpsGet(port: number, urlPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        ca: fs.readFileSync(file('ca', 'crt')),
        rejectUnauthorized: true,
        agent: false,
        timeout: 5_000,
      },
      (response) => collect(response, resolve, reject),
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} on ${port} timed out`)));
    request.on('error', reject);
  });
}

function httpGet(port: number, urlPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 5_000 }, (response) =>
      collect(response, resolve, reject),
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} on ${port} timed out`)));
    request.on('error', reject);
  });
}

function collect(
  response: http.IncomingMessage,
  resolve: (a: Answer) => void,
  reject: (e: Error) => void,
): void {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    body += chunk;
  });
  response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
  response.on('error', reject);
}

async function statusOf(get: () => Promise<Answer>): Promise<number | string> {
  try {
    return (await get()).status;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** Polls until get's status (or error code) is `expected`; fails with the last one seen. */
async function waitForStatus(
  what: string,
  get: () => Promise<Answer>,
  expected: number | string,
  timeoutMs = 10_000,
) {
  let last: number | string = 'never asked';
  await until(
    `${what} to be ${expected}`,
    async () => {
      last = await statusOf(get);
      return last === expected;
    },
    { timeoutMs, context: () => `last ${last}` },
  );
}

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Started[] = [];

function start(command: string, args: string[]): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc = { child, stderr: () => stderr, exited };
  started.push(proc);
  return proc;
}

async function stop(proc: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  proc.child.kill('SIGTERM');
  return proc.exited;
}

// ---------------------------------------------------------------------------------------------
// The stand-ins against a real etcd

describe('the stand-ins against a real etcd', { timeout: 120_000 }, () => {
  let etcd: Started;
  let apiserver: Started;
  let scheduler: Started;
  let controllerManager: Started;

  const startEtcd = (): Started => {
    fs.mkdirSync(path.join(root, 'var/lib/etcd'), { recursive: true, mode: 0o700 });
    const [, ...flags] = hostCommand('etcd');
    return start(ETCD, flags);
  };
  const apiserverGet = (urlPath: string) => () => httpsGet(PORTS.apiserver, urlPath);
  const schedulerHealth = () => httpsGet(PORTS.scheduler, '/healthz');
  const controllerManagerHealth = () => httpsGet(PORTS.controllerManager, '/healthz');

  before(async () => {
    etcd = startEtcd();
    await waitForStatus('etcd /health', () => httpGet(PORTS.etcdMetrics, '/health'), 200, 30_000);
    const [, , ...apiserverArgs] = hostCommand('kube-apiserver');
    apiserver = start(NODE, [DIST_STANDIN, ...apiserverArgs]);
    // The other two run the copy in the node root, as their pods do: that single file must be enough.
    const [, ...schedulerArgs] = hostCommand('kube-scheduler');
    scheduler = start(NODE, schedulerArgs);
    const [, ...controllerManagerArgs] = hostCommand('kube-controller-manager');
    controllerManager = start(NODE, controllerManagerArgs);
  });

  after(async () => {
    for (const proc of started) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    }
    await Promise.all(started.map((p) => p.exited));
  });

  test('the apiserver is ready while etcd answers, and serves /version like the real one', async () => {
    await waitForStatus('apiserver /readyz', apiserverGet('/readyz'), 200);
    assert.deepEqual(await apiserverGet('/livez')(), { status: 200, body: 'ok' });
    const version = await apiserverGet('/version')();
    assert.equal(version.status, 200);
    const parsed = JSON.parse(version.body) as Record<string, string>;
    assert.equal(parsed.major, '1');
    assert.equal(parsed.minor, '31');
    assert.equal(parsed.gitVersion, 'v1.31.2-lab');
    assert.equal(parsed.platform, 'linux/amd64');
    const forbidden = await apiserverGet('/api')();
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body, /system:anonymous/);
  });

  test('the scheduler and the controller manager are healthy while the apiserver is ready', async () => {
    await waitForStatus('scheduler /healthz', schedulerHealth, 200);
    await waitForStatus('controller-manager /healthz', controllerManagerHealth, 200);
    assert.equal((await httpsGet(PORTS.scheduler, '/livez')).body, 'ok');
  });

  test('etcd killed: the apiserver turns unready, then the scheduler and controller manager unhealthy', async () => {
    await stop(etcd);
    await waitForStatus('apiserver /readyz', apiserverGet('/readyz'), 500, 5_000);
    const readyz = await apiserverGet('/readyz')();
    assert.match(readyz.body, /^\[-\]etcd failed: /m);
    assert.match(readyz.body, /readyz check failed/);
    assert.equal((await apiserverGet('/livez')()).status, 500);
    assert.match((await apiserverGet('/livez/etcd')()).body, /connection refused/);
    assert.equal((await apiserverGet('/version')()).status, 200);
    await waitForStatus('scheduler /healthz', schedulerHealth, 500, 5_000);
    await waitForStatus('controller-manager /healthz', controllerManagerHealth, 500, 5_000);
    assert.match((await schedulerHealth()).body, /\[-\]leaderElection failed/);
    assert.match(
      apiserver.stderr(),
      /^E\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] etcd check failed: .*connection refused/m,
    );
    assert.match(
      scheduler.stderr(),
      /^E\d{4} .* error retrieving resource lock kube-system\/kube-scheduler/m,
    );
  });

  test('etcd back: everything recovers, and the logs say so', async () => {
    etcd = startEtcd();
    await waitForStatus('apiserver /readyz', apiserverGet('/readyz'), 200, 30_000);
    await waitForStatus('scheduler /healthz', schedulerHealth, 200, 5_000);
    await waitForStatus('controller-manager /healthz', controllerManagerHealth, 200, 5_000);
    assert.match(apiserver.stderr(), /^I\d{4} .*\] etcd check passed again$/m);
    assert.match(
      scheduler.stderr(),
      /successfully acquired lease kube-system\/kube-scheduler\n[\s\S]*E\d{4}[\s\S]*successfully acquired lease/,
    );
  });

  test('an expired serving certificate is picked up from disk, and healed by restoring the backup', async () => {
    const certFile = file('apiserver', 'crt');
    const backup = fs.readFileSync(certFile);
    // The scheduler and controller manager serve this certificate too: stop them first.
    assert.deepEqual(await stop(scheduler), { code: 0, signal: null });
    assert.deepEqual(await stop(controllerManager), { code: 0, signal: null });
    try {
      writeExpiredCertificate(root, 'apiserver');
      await waitForStatus('apiserver /livez', apiserverGet('/livez'), 'CERT_HAS_EXPIRED', 5_000);
    } finally {
      fs.writeFileSync(certFile, backup);
    }
    await waitForStatus('apiserver /livez', apiserverGet('/livez'), 200, 5_000);
    assert.match(apiserver.stderr(), /Loaded a new cert\/key pair/);
  });

  test('SIGTERM: exit 0', async () => {
    assert.deepEqual(await stop(apiserver), { code: 0, signal: null });
    assert.ok(apiserver.stderr().includes(`Serving securely on 127.0.0.1:${PORTS.apiserver}`));
  });

  test("an unknown flag: the real binaries' message and exit 1", () => {
    const [, , ...args] = hostCommand('kube-apiserver');
    const result = run(NODE, [DIST_STANDIN, ...args, '--bogus-flag=true']);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, 'Error: unknown flag: --bogus-flag\n');
    const scheduler = run(NODE, [DIST_STANDIN, 'kube-scheduler', '--secure-port=none']);
    assert.equal(scheduler.status, 1);
    assert.match(scheduler.stderr, /invalid argument "none" for "--secure-port" flag/);
  });
});

// ---------------------------------------------------------------------------------------------
// The image

describe('the local/node:1 image', { timeout: 300_000 }, () => {
  test('runs the pinned Node 24 in the lab docker, and the stand-in copied to the node root', async () => {
    const lab = labEnv();
    await ensureLabImages(labPaths(lab.dir), quiet);
    assert.ok(containerdImageNames(labPaths(lab.dir)).includes(criImageName(lab.images.node)));
    const version = dockerCli(lab.dockerSocket, [
      'run',
      '--rm',
      '--network',
      'host',
      lab.images.node,
      'node',
      '-e',
      'console.log(process.version)',
    ]);
    assert.match(version, /^v24\.\d+\.\d+\n$/);
    const mount = `${path.join(root, 'opt/breakglass')}:/opt/breakglass:ro`;
    assert.throws(
      () =>
        dockerCli(lab.dockerSocket, [
          'run',
          '--rm',
          '--network',
          'host',
          '-v',
          mount,
          lab.images.node,
          'node',
          '/opt/breakglass/standin.js',
          'kube-scheduler',
          '--bogus-flag',
        ]),
      /exited with 1: Error: unknown flag: --bogus-flag$/,
    );
  });

  test("the apiserver's pod command, as is, in the image: TLS on the offset port, exit 0 on docker stop", async () => {
    const lab = labEnv();
    const { containers, volumes } = readManifest('kube-apiserver').spec;
    const binds = ['k8s-certs', 'breakglass-standin'].flatMap((name) => {
      const hostPath = volumes.find((v) => v.name === name)!.hostPath.path;
      return ['-v', `${path.join(root, hostPath)}:${hostPath}:ro`];
    });
    const id = dockerCli(lab.dockerSocket, [
      'run',
      '-d',
      '--network',
      'host',
      ...binds,
      lab.images.node,
      ...containers[0]!.command,
    ]).trim();
    try {
      await waitForStatus(
        'apiserver /version in a container',
        () => httpsGet(PORTS.apiserver, '/version'),
        200,
      );
      // No etcd runs now.
      assert.equal((await httpsGet(PORTS.apiserver, '/readyz')).status, 500);
      dockerCli(lab.dockerSocket, ['stop', '-t', '10', id]);
      assert.equal(dockerCli(lab.dockerSocket, ['inspect', '-f', '{{.State.ExitCode}}', id]).trim(), '0');
      const logs = spawnSync('/usr/bin/docker', ['-H', `unix://${lab.dockerSocket}`, 'logs', id], {
        encoding: 'utf8',
      });
      assert.match(
        logs.stderr,
        /^I\d{4} [\d:.]+ {7}1 secure_serving\.go:\d+\] Serving securely on 127\.0\.0\.1:/m,
      );
      assert.match(logs.stderr, /^E\d{4} .*etcd check failed: .*connection refused/m);
    } finally {
      dockerCli(lab.dockerSocket, ['rm', '-f', id]);
    }
  });
});
