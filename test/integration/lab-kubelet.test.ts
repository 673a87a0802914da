// The lab's kubelet stand-in (scripts/lab/kubelet.ts) as a real process against the lab's containerd and
// Docker: manifests written to a node root become pods the way kubelet runs them, and breakglass sees them.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { podUid } from '../../scripts/lab/pods.js';
import { CriClient, type CriContainer, type CriPodSandbox } from '../../src/clients/cri.js';
import { type LabEnv, labEnv } from '../helpers/lab.js';
import { makeTempDir } from '../helpers/node-root.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { breakglassJson } from '../helpers/run.js';
import { until } from '../helpers/wait.js';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const KUBELET = path.join(REPO_ROOT, 'dist/scripts/lab/kubelet.js');
const FILE_CHECK_MS = 2_000;
const STAND_IN_FLAGS = ['--file-check-frequency', '2s', '--backoff-base', '1s'];
/** The runtime and the stand-in are asked again while they cannot answer yet. */
const KUBELET_WAIT = { timeoutMs: 20_000, intervalMs: 200, retryErrors: true };

// ----- a node root and the stand-in as a child process -----

interface TestNode {
  name: string;
  root: string;
  manifests: string;
  podLogsDir: string;
}

function makeTestNode(name: string): TestNode {
  const root = makeTempDir('lab-kubelet-');
  const manifests = path.join(root, 'etc/kubernetes/manifests');
  fs.mkdirSync(manifests, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(root, 'etc/hostname'), `${name.toUpperCase()}\n`);
  return { name, root, manifests, podLogsDir: path.join(root, 'var/log/pods') };
}

class StandIn {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(node: TestNode, flags: string[]) {
    this.child = spawn(NODE, [KUBELET, '--root', node.root, ...STAND_IN_FLAGS, ...flags], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        this.output += chunk.toString('utf8');
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return until(`log line ${pattern}`, async () => pattern.exec(this.output)?.[0] ?? null, {
      ...KUBELET_WAIT,
      timeoutMs,
      context: () => this.output.slice(-3000),
    });
  }

  /** SIGTERM; resolves with the exit and how long it took. */
  async stop(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const { code } = await this.exited;
    return { code, ms: Date.now() - started };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Written beside and renamed in, as an operator should: kubelet never reads it half-written. */
function writeManifest(node: TestNode, name: string, text: string): void {
  const temp = path.join(node.manifests, `.${name}.tmp`);
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, path.join(node.manifests, name));
}

function podYaml(name: string, containers: { name: string; script: string }[], extra = ''): string {
  const lines = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${name}`,
    '  namespace: kube-system',
    `  labels: {component: ${name}, tier: control-plane}`,
    'spec:',
    '  hostNetwork: true',
    '  containers:',
  ];
  for (const container of containers) {
    lines.push(
      `  - name: ${container.name}`,
      '    image: local/busybox:1',
      `    command: [sh, -c, ${JSON.stringify(container.script)}]`,
    );
  }
  return `${lines.join('\n')}\n${extra}`;
}

function uidOf(node: TestNode, fileName: string, name: string): string {
  const content = fs.readFileSync(path.join(node.manifests, fileName), 'utf8');
  return podUid({
    name,
    namespace: 'kube-system',
    nodeName: node.name,
    file: `/etc/kubernetes/manifests/${fileName}`,
    content,
    containers: [],
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

// ----- what the runtime says (CRI) -----

interface CriView {
  sandboxes: CriPodSandbox[];
  containers: CriContainer[];
}

async function criView(client: CriClient, mirrorName: string): Promise<CriView> {
  const [sandboxes, containers] = await Promise.all([client.listPodSandboxes(), client.listContainers()]);
  return {
    sandboxes: sandboxes.filter((s) => s.labels['io.kubernetes.pod.name'] === mirrorName),
    containers: containers.filter((c) => c.labels['io.kubernetes.pod.name'] === mirrorName),
  };
}

function running(view: CriView, container: string): CriContainer | undefined {
  return view.containers.find((c) => c.metadata?.name === container && c.state === 'CONTAINER_RUNNING');
}

async function waitRunning(client: CriClient, mirrorName: string, container: string): Promise<CriView> {
  return until(
    `${mirrorName}/${container} to run`,
    async () => {
      const view = await criView(client, mirrorName);
      return running(view, container) ? view : null;
    },
    KUBELET_WAIT,
  );
}

async function waitGone(client: CriClient, mirrorName: string, timeoutMs = 20_000): Promise<void> {
  await until(
    `${mirrorName} to be removed`,
    async () => ((await criView(client, mirrorName)).sandboxes.length === 0 ? true : null),
    { ...KUBELET_WAIT, timeoutMs },
  );
}

/** Whatever a failed test left of a node's pods. */
async function removeCriPodsOf(client: CriClient, node: TestNode): Promise<void> {
  for (const sandbox of await client.listPodSandboxes()) {
    if (!sandbox.labels['io.kubernetes.pod.name']?.endsWith(`-${node.name}`)) continue;
    await client.stopPodSandbox(sandbox.id).catch(() => {});
    await client.removePodSandbox(sandbox.id).catch(() => {});
  }
}

interface StatusJson {
  staticPods: {
    name: string;
    running: boolean | null;
    containers: { name: string; state: string; restartCount: number }[];
  }[];
  podsWithoutManifest: { podName: string; containers: { state: string }[] }[];
}

function breakglassStatus(node: TestNode, endpoint: string): StatusJson {
  const flags = ['--root', node.root, '--runtime', endpoint, '--pod-logs', node.podLogsDir];
  return breakglassJson<StatusJson>(['status', ...flags]).json;
}

function nanos(value: string): number {
  return Number(BigInt(value) / 1_000_000n);
}

// ----- containerd over CRI -----

describe('the lab kubelet stand-in over CRI', { timeout: 300_000 }, () => {
  let lab: LabEnv;
  let client: CriClient;
  let endpoint: string;
  const nodes: TestNode[] = [];
  const standIns: StandIn[] = [];

  const newNode = (suffix: string) => {
    const node = makeTestNode(`kubelet-test-${suffix}`);
    nodes.push(node);
    return node;
  };
  const startStandIn = (node: TestNode, flags: string[] = []) => {
    const standIn = new StandIn(node, [
      '--container-runtime-endpoint',
      endpoint,
      '--healthz-port',
      '0',
      ...flags,
    ]);
    standIns.push(standIn);
    return standIn;
  };

  before(() => {
    lab = labEnv();
    endpoint = `unix://${lab.containerdSocket}`;
    client = new CriClient(endpoint, 30_000);
  });

  after(async () => {
    for (const standIn of standIns) await standIn.stop();
    for (const node of nodes) {
      await removeCriPodsOf(client, node);
      fs.rmSync(node.root, { recursive: true, force: true });
    }
    client.close();
  });

  test('a manifest that appears runs with kubelet labels, hostPath mounts and logs under the pod log dir', async () => {
    const node = newNode('run');
    const port = await freePort();
    const standIn = startStandIn(node, ['--healthz-port', String(port)]);
    await standIn.waitForLog(/Starting the kubelet stand-in/);
    const healthz = await until('healthz', () => httpGet(`http://127.0.0.1:${port}/healthz`), KUBELET_WAIT);
    assert.deepEqual(healthz, { status: 200, body: 'ok' });

    fs.mkdirSync(path.join(node.root, 'etc/web-config'), { recursive: true });
    fs.writeFileSync(path.join(node.root, 'etc/web-config/setting'), 'from-the-node-root\n');
    const volumes = [
      '    volumeMounts:',
      '    - {name: data, mountPath: /data}',
      '    - {name: config, mountPath: /config, readOnly: true}',
      '    - {name: kubeconfig, mountPath: /etc/kubernetes/web.conf, readOnly: true}',
      '  volumes:',
      '  - {name: data, hostPath: {path: /var/lib/web, type: DirectoryOrCreate}}',
      '  - {name: config, hostPath: {path: /etc/web-config}}',
      '  - {name: kubeconfig, hostPath: {path: /etc/kubernetes/web.conf, type: FileOrCreate}}',
      '',
    ].join('\n');
    const script =
      'echo hello from web; cat /config/setting; echo written > /data/out; ' +
      '(echo no > /config/out) 2>/dev/null || echo config is read-only; exec sleep 3600';
    const started = Date.now();
    writeManifest(node, 'web.yaml', podYaml('web', [{ name: 'web', script }], volumes));
    const view = await waitRunning(client, 'web-kubelet-test-run', 'web');
    const startMs = Date.now() - started;

    const uid = uidOf(node, 'web.yaml', 'web');
    const sandbox = view.sandboxes[0]!;
    assert.equal(view.sandboxes.length, 1);
    assert.deepEqual(
      [sandbox.metadata?.name, sandbox.metadata?.namespace, sandbox.metadata?.uid],
      ['web-kubelet-test-run', 'kube-system', uid],
    );
    assert.equal(sandbox.labels['io.kubernetes.pod.uid'], uid);
    assert.equal(sandbox.labels.component, 'web');
    assert.equal(sandbox.annotations['kubernetes.io/config.source'], 'file');
    assert.equal(sandbox.annotations['kubernetes.io/config.hash'], uid);
    const container = running(view, 'web')!;
    assert.equal(container.labels['io.kubernetes.container.name'], 'web');
    assert.equal(container.image?.image, 'docker.io/local/busybox:1');

    const logFile = path.join(node.podLogsDir, `kube-system_web-kubelet-test-run_${uid}`, 'web', '0.log');
    const log = await until(
      'the container log',
      async () => {
        const text = fs.readFileSync(logFile, 'utf8');
        return text.includes('config is read-only') ? text : null;
      },
      KUBELET_WAIT,
    );
    assert.match(log, /stdout F hello from web/);
    assert.match(log, /stdout F from-the-node-root/);
    assert.equal(fs.readFileSync(path.join(node.root, 'var/lib/web/out'), 'utf8'), 'written\n');
    assert.ok(
      fs.statSync(path.join(node.root, 'etc/kubernetes/web.conf')).isFile(),
      'FileOrCreate makes a file',
    );

    const status = breakglassStatus(node, endpoint);
    const web = status.staticPods.find((p) => p.name === 'web')!;
    assert.equal(web.running, true);
    assert.equal(web.containers[0]?.state, 'running');
    process.stderr.write(`# manifest written -> container running: ${startMs} ms\n`);
  });

  test('a hostPath of type Directory that is missing holds the pod back until it exists', async () => {
    const node = newNode('hostpath');
    const standIn = startStandIn(node);
    const volumes = [
      '    volumeMounts: [{name: certs, mountPath: /certs, readOnly: true}]',
      '  volumes: [{name: certs, hostPath: {path: /etc/missing-certs, type: Directory}}]',
      '',
    ].join('\n');
    writeManifest(
      node,
      'certs.yaml',
      podYaml('certs', [{ name: 'certs', script: 'exec sleep 3600' }], volumes),
    );
    await standIn.waitForLog(/hostPath type check failed: \/etc\/missing-certs is not a directory/);
    assert.equal((await criView(client, 'certs-kubelet-test-hostpath')).sandboxes.length, 0);
    fs.mkdirSync(path.join(node.root, 'etc/missing-certs'));
    await waitRunning(client, 'certs-kubelet-test-hostpath', 'certs');
  });

  test('a container that exits is restarted with a growing back-off, a new attempt each time', async () => {
    const node = newNode('crash');
    const standIn = startStandIn(node);
    writeManifest(node, 'crash.yaml', podYaml('crash', [{ name: 'crash', script: 'echo crashing; exit 3' }]));
    const mirror = 'crash-kubelet-test-crash';
    const created = new Map<number, number>();
    await until(
      'attempt 4',
      async () => {
        for (const c of (await criView(client, mirror)).containers)
          created.set(c.metadata!.attempt, nanos(c.createdAt));
        return created.has(4) ? true : null;
      },
      { ...KUBELET_WAIT, timeoutMs: 40_000 },
    );
    const gap = (n: number) => (created.get(n)! - created.get(n - 1)!) / 1000;
    const gaps = [2, 3, 4].map(gap);
    process.stderr.write(`# restart gaps (s) for attempts 2..4 with a 1s base: ${gaps.join(', ')}\n`);
    // Back-off 1s, 2s, 4s (plus up to a second until the exit is seen): each gap is at least its back-off.
    assert.ok(gaps[0]! >= 0.9 && gaps[1]! >= 1.9 && gaps[2]! >= 3.9, `gaps ${gaps}`);
    assert.ok(gaps[2]! > gaps[0]! + 1.5, `gaps ${gaps}`);
    await standIn.waitForLog(
      /"Back-off restarting failed container" err="back-off 4s restarting failed container=crash/,
    );

    // Right after a restart, the container GC keeps only the newest dead container beside the new one.
    const view = await until(
      'dead containers collected',
      async () => {
        const current = await criView(client, mirror);
        return current.containers.length <= 2 ? current : null;
      },
      { ...KUBELET_WAIT, timeoutMs: 5_000 },
    );
    const newest = view.containers.reduce((a, b) => (a.metadata!.attempt > b.metadata!.attempt ? a : b));
    assert.equal(
      newest.annotations['io.kubernetes.container.restartCount'],
      String(newest.metadata!.attempt),
    );
    const status = breakglassStatus(node, endpoint);
    const crash = status.staticPods.find((p) => p.name === 'crash')!;
    assert.ok(crash.containers[0]!.restartCount >= 4, JSON.stringify(crash.containers));
  });

  test('every non-dot file is a pod (a .bak too), a dot file is not; of two same-named pods the last file wins', async () => {
    const node = newNode('files');
    const standIn = startStandIn(node);
    writeManifest(node, 'api.yaml', podYaml('api', [{ name: 'api', script: 'exec sleep 3600' }]));
    writeManifest(node, 'api.yaml.bak', podYaml('api-old', [{ name: 'api', script: 'exec sleep 3600' }]));
    writeManifest(node, '.api.yaml.swp', podYaml('api-dot', [{ name: 'api', script: 'exec sleep 3600' }]));
    writeManifest(node, 'dup-a.yaml', podYaml('dup', [{ name: 'dup', script: 'echo A; exec sleep 3600' }]));
    writeManifest(node, 'dup-b.yaml', podYaml('dup', [{ name: 'dup', script: 'echo B; exec sleep 3600' }]));
    await waitRunning(client, 'api-kubelet-test-files', 'api');
    await waitRunning(client, 'api-old-kubelet-test-files', 'api');
    await sleep(FILE_CHECK_MS + 500); // a full re-list has happened since
    const dup = await waitRunning(client, 'dup-kubelet-test-files', 'dup');
    assert.equal((await criView(client, 'api-dot-kubelet-test-files')).sandboxes.length, 0);
    assert.equal(dup.sandboxes.length, 1);
    assert.equal(dup.sandboxes[0]!.metadata?.uid, uidOf(node, 'dup-b.yaml', 'dup'));
    await standIn.waitForLog(/"Several manifest files define the same pod.*using="dup-b.yaml"/);
  });

  test('a YAML error stops the pod at the next re-list; the fixed file brings it back', async () => {
    const node = newNode('yaml');
    const standIn = startStandIn(node);
    const good = podYaml('etcd', [{ name: 'etcd', script: 'exec sleep 3600' }]);
    writeManifest(node, 'etcd.yaml', good);
    const mirror = 'etcd-kubelet-test-yaml';
    const first = await waitRunning(client, mirror, 'etcd');

    const broken = good.replace('  containers:', '  containers:\n\t- broken: [');
    const brokenAt = Date.now();
    writeManifest(node, 'etcd.yaml', broken);
    await waitGone(client, mirror, FILE_CHECK_MS * 3 + 5_000);
    const goneMs = Date.now() - brokenAt;
    await standIn.waitForLog(
      /E\d{4} [\d:.]+ +\d+ file\.go:\d+\] "Could not process manifest file" err="[^"]*" path="\/etc\/kubernetes\/manifests\/etcd\.yaml"/,
    );

    writeManifest(node, 'etcd.yaml', good);
    const back = await waitRunning(client, mirror, 'etcd');
    assert.equal(
      back.sandboxes[0]!.metadata?.uid,
      first.sandboxes[0]!.metadata?.uid,
      'same file, same content',
    );
    assert.notEqual(back.sandboxes[0]!.id, first.sandboxes[0]!.id, 'a new sandbox');
    process.stderr.write(`# broken manifest written -> pod removed: ${goneMs} ms (re-list every 2 s)\n`);
  });

  test('a changed manifest is a new pod that replaces the old one; a removed manifest removes its pod', async () => {
    const node = newNode('change');
    startStandIn(node);
    const mirror = 'sched-kubelet-test-change';
    writeManifest(
      node,
      'sched.yaml',
      podYaml('sched', [{ name: 'sched', script: 'echo v1; exec sleep 3600' }]),
    );
    const v1 = await waitRunning(client, mirror, 'sched');
    const uid1 = uidOf(node, 'sched.yaml', 'sched');
    writeManifest(
      node,
      'sched.yaml',
      podYaml('sched', [{ name: 'sched', script: 'echo v2; exec sleep 3600' }]),
    );
    const uid2 = uidOf(node, 'sched.yaml', 'sched');
    const v2 = await until(
      'the new pod alone',
      async () => {
        const view = await criView(client, mirror);
        const uids = view.sandboxes.map((s) => s.metadata?.uid);
        return running(view, 'sched') && uids.length === 1 && uids[0] === uid2 ? view : null;
      },
      KUBELET_WAIT,
    );
    assert.equal(v1.sandboxes[0]!.metadata?.uid, uid1);
    assert.ok(
      !fs.existsSync(path.join(node.podLogsDir, `kube-system_${mirror}_${uid1}`)),
      'old logs removed',
    );

    const removedAt = Date.now();
    fs.rmSync(path.join(node.manifests, 'sched.yaml'));
    await waitGone(client, mirror);
    process.stderr.write(`# manifest removed -> pod removed: ${Date.now() - removedAt} ms\n`);
    assert.equal(v2.containers.length, 1);
  });

  test('the trap: restarted with the API server down, a removed manifest keeps its pod; adoption, no duplicates', async () => {
    const node = newNode('trap');
    const mirror = 'apiserver-kubelet-test-trap';
    const first = startStandIn(node);
    writeManifest(
      node,
      'apiserver.yaml',
      podYaml('apiserver', [
        { name: 'apiserver', script: 'echo serving; exec sleep 3600' },
        { name: 'crasher', script: 'exit 1' },
      ]),
    );
    const before = await waitRunning(client, mirror, 'apiserver');
    await until(
      'crasher attempt 1',
      async () =>
        (await criView(client, mirror)).containers.some(
          (c) => c.metadata?.name === 'crasher' && c.metadata.attempt >= 1,
        )
          ? true
          : null,
      KUBELET_WAIT,
    );
    const stopped = await first.stop();
    assert.equal(stopped.code, 0);
    assert.ok(stopped.ms < 2_000, `SIGTERM took ${stopped.ms} ms`);
    const afterStop = await criView(client, mirror);
    assert.equal(
      running(afterStop, 'apiserver')?.id,
      running(before, 'apiserver')!.id,
      'pods outlive kubelet',
    );
    const crasherAttempts = afterStop.containers
      .filter((c) => c.metadata?.name === 'crasher')
      .map((c) => c.metadata!.attempt);

    const apiserver = await TestApiServer.create(node);
    const second = startStandIn(node);
    await second.waitForLog(
      /"Unable to reach the API server; sources aren't ready" err="connect ECONNREFUSED/,
    );
    await second.waitForLog(
      /"Found the pod running already: adopting it" pod="kube-system\/apiserver-kubelet-test-trap"/,
    );
    await second.waitForLog(
      /"Restarted container" pod="kube-system\/apiserver-kubelet-test-trap" containerName="crasher"/,
    );
    const adopted = await criView(client, mirror);
    assert.equal(adopted.sandboxes.length, 1, 'no second sandbox');
    assert.equal(adopted.sandboxes[0]!.id, before.sandboxes[0]!.id);
    assert.equal(running(adopted, 'apiserver')?.id, running(before, 'apiserver')!.id, 'not restarted');
    const restartedAttempt = Math.max(
      ...adopted.containers.filter((c) => c.metadata?.name === 'crasher').map((c) => c.metadata!.attempt),
    );
    assert.ok(restartedAttempt > Math.max(...crasherAttempts), 'attempts go on from the runtime');

    fs.rmSync(path.join(node.manifests, 'apiserver.yaml'));
    await second.waitForLog(
      /"Skipping delete because sources aren't ready yet" pod="kube-system\/apiserver-kubelet-test-trap" podUID="[0-9a-f]{32}"/,
    );
    await sleep(2 * FILE_CHECK_MS + 1_000);
    const kept = await criView(client, mirror);
    assert.equal(running(kept, 'apiserver')?.id, running(before, 'apiserver')!.id, 'the pod keeps running');
    const orphan = breakglassStatus(node, endpoint).podsWithoutManifest.find((p) => p.podName === mirror);
    assert.ok(orphan, 'breakglass shows it running with no manifest');

    // A fixed manifest is a new UID with the same pod name: it waits for the old pod, which never goes.
    writeManifest(
      node,
      'apiserver.yaml',
      podYaml('apiserver', [{ name: 'apiserver', script: 'exec sleep 3600' }]),
    );
    const fixedUid = uidOf(node, 'apiserver.yaml', 'apiserver');
    await second.waitForLog(
      new RegExp(
        `"Pod cannot start yet: a pod with the same full name is still running" .*podUID="${fixedUid}"`,
      ),
    );
    await sleep(FILE_CHECK_MS);
    assert.deepEqual(
      (await criView(client, mirror)).sandboxes.map((s) => s.id),
      [before.sandboxes[0]!.id],
      'still only the old pod',
    );

    const readyAt = Date.now();
    await apiserver.listen();
    try {
      await second.waitForLog(/"API server answered: all sources ready"/);
      const replaced = await until(
        'the old pod removed and the fixed one running',
        async () => {
          const view = await criView(client, mirror);
          const uids = view.sandboxes.map((s) => s.metadata?.uid);
          return running(view, 'apiserver') && uids.length === 1 && uids[0] === fixedUid ? view : null;
        },
        KUBELET_WAIT,
      );
      assert.notEqual(running(replaced, 'apiserver')!.id, running(before, 'apiserver')!.id);
      process.stderr.write(
        `# API server up -> old pod removed, fixed pod running: ${Date.now() - readyAt} ms\n`,
      );
    } finally {
      await apiserver.close();
    }
  });
});

// ----- an API server that answers /readyz over TLS, on a port that is closed until listen() -----

class TestApiServer {
  private server: https.Server | null = null;

  private constructor(
    private readonly port: number,
    private readonly key: string,
    private readonly cert: string,
  ) {}

  /** Writes <root>/etc/kubernetes/kubelet.conf with the server URL and its CA. */
  static async create(node: TestNode): Promise<TestApiServer> {
    const dir = path.join(node.root, 'etc/kubernetes/pki');
    fs.mkdirSync(dir, { recursive: true });
    const key = path.join(dir, 'apiserver.key');
    const cert = path.join(dir, 'apiserver.crt');
    const openssl = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=kube-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    assert.equal(openssl.status, 0, String(openssl.stderr));
    const port = await freePort();
    const caData = fs.readFileSync(cert).toString('base64');
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kubernetes',
      `  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${caData}}`,
      'contexts:',
      '- name: system:node',
      '  context: {cluster: kubernetes, user: system:node}',
      'current-context: system:node',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(node.root, 'etc/kubernetes/kubelet.conf'), kubeconfig, { mode: 0o600 });
    return new TestApiServer(port, fs.readFileSync(key, 'utf8'), fs.readFileSync(cert, 'utf8'));
  }

  listen(): Promise<void> {
    this.server = https.createServer({ key: this.key, cert: this.cert }, (request, response) => {
      response.writeHead(request.url === '/readyz' ? 200 : 404);
      response.end(request.url === '/readyz' ? 'ok' : '');
    });
    return new Promise((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

// ----- Docker with cri-dockerd's names -----

describe('the lab kubelet stand-in over Docker', { timeout: 120_000 }, () => {
  let lab: LabEnv;
  let docker: Docker;
  let node: TestNode;
  let standIn: StandIn | null = null;

  const podContainers = async () =>
    (await docker.listContainers({ all: true, filters: { label: ['io.kubernetes.pod.uid'] } })).filter((c) =>
      c.Labels['io.kubernetes.pod.name']?.endsWith(`-${node.name}`),
    );

  before(() => {
    lab = labEnv();
    docker = new Docker({ socketPath: lab.dockerSocket });
    node = makeTestNode('kubelet-test-docker');
  });

  after(async () => {
    await standIn?.stop();
    for (const c of await podContainers()) await docker.getContainer(c.Id).remove({ force: true });
    fs.rmSync(node.root, { recursive: true, force: true });
  });

  test('pods run with cri-dockerd names, restart with the next attempt, and go with their manifest', async () => {
    standIn = new StandIn(node, [
      '--runtime',
      'docker',
      '--container-runtime-endpoint',
      `unix://${lab.dockerSocket}`,
      '--healthz-port',
      '0',
    ]);
    writeManifest(
      node,
      'ctl.yaml',
      podYaml('ctl', [
        { name: 'ctl', script: 'echo controller up; exec sleep 3600' },
        { name: 'crasher', script: 'echo down; exit 2' },
      ]),
    );
    const uid = uidOf(node, 'ctl.yaml', 'ctl');
    const pod = `ctl-${node.name}_kube-system_${uid}`;
    const names = await until(
      'the restarted crasher',
      async () => {
        const all = (await podContainers()).map((c) => c.Names[0]!.replace(/^\//, ''));
        return all.includes(`k8s_crasher_${pod}_1`) ? all : null;
      },
      KUBELET_WAIT,
    );
    assert.ok(names.includes(`k8s_POD_${pod}_0`), names.join(' '));
    assert.ok(names.includes(`k8s_ctl_${pod}_0`), names.join(' '));
    const ctl = (await podContainers()).find((c) => c.Names[0] === `/k8s_ctl_${pod}_0`)!;
    assert.equal(ctl.State, 'running');
    assert.equal(ctl.Labels['io.kubernetes.docker.type'], 'container');
    assert.equal(ctl.Labels['annotation.io.kubernetes.container.restartCount'], '0');
    const log = path.join(node.podLogsDir, `kube-system_ctl-${node.name}_${uid}`, 'ctl', '0.log');
    await until(
      'the log link',
      async () => (fs.readFileSync(log, 'utf8').includes('controller up') ? true : null),
      KUBELET_WAIT,
    );

    fs.rmSync(path.join(node.manifests, 'ctl.yaml'));
    await until(
      'every container removed',
      async () => ((await podContainers()).length === 0 ? true : null),
      KUBELET_WAIT,
    );
    assert.ok(!fs.existsSync(path.dirname(path.dirname(log))), 'the pod log directory goes too');
    const stopped = await standIn.stop();
    assert.equal(stopped.code, 0);
  });
});
