// The lab's kubelet stand-in (scripts/lab/kubelet.ts) as a real process on a node root of its own, the
// manifests written to it, what the lab's containerd says of the pods it runs, and an API server for it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { after } from 'node:test';
import { podUid } from '../../scripts/lab/pods.js';
import { CriClient, type CriContainer, type CriPodSandbox } from '../../src/clients/cri.js';
import { labEnv } from './lab.js';
import { makeTempDir } from './node-root.js';
import { REPO_ROOT } from './paths.js';
import { breakglassJson } from './run.js';
import { until } from './wait.js';

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const KUBELET = path.join(REPO_ROOT, 'dist/scripts/lab/kubelet.js');
export const FILE_CHECK_MS = 2_000;
const STAND_IN_FLAGS = ['--file-check-frequency', '2s', '--backoff-base', '1s'];
/** The runtime and the stand-in are asked again while they cannot answer yet. */
export const KUBELET_WAIT = { timeoutMs: 20_000, intervalMs: 200, retryErrors: true };

// ----- a node root and the stand-in as a child process -----

export interface TestNode {
  name: string;
  root: string;
  manifests: string;
  podLogsDir: string;
}

export function makeTestNode(name: string): TestNode {
  const root = makeTempDir('lab-kubelet-');
  const manifests = path.join(root, 'etc/kubernetes/manifests');
  fs.mkdirSync(manifests, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(root, 'etc/hostname'), `${name.toUpperCase()}\n`);
  return { name, root, manifests, podLogsDir: path.join(root, 'var/log/pods') };
}

export class StandIn {
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

/** Written beside and renamed in, as an operator should: kubelet never reads it half-written. */
export function writeManifest(node: TestNode, name: string, text: string): void {
  const temp = path.join(node.manifests, `.${name}.tmp`);
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, path.join(node.manifests, name));
}

export function podYaml(name: string, containers: { name: string; script: string }[], extra = ''): string {
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

export function uidOf(node: TestNode, fileName: string, name: string): string {
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

export function freePort(): Promise<number> {
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

export interface CriView {
  sandboxes: CriPodSandbox[];
  containers: CriContainer[];
}

export async function criView(client: CriClient, mirrorName: string): Promise<CriView> {
  const [sandboxes, containers] = await Promise.all([client.listPodSandboxes(), client.listContainers()]);
  return {
    sandboxes: sandboxes.filter((s) => s.labels['io.kubernetes.pod.name'] === mirrorName),
    containers: containers.filter((c) => c.labels['io.kubernetes.pod.name'] === mirrorName),
  };
}

export function running(view: CriView, container: string): CriContainer | undefined {
  return view.containers.find((c) => c.metadata?.name === container && c.state === 'CONTAINER_RUNNING');
}

export async function waitRunning(
  client: CriClient,
  mirrorName: string,
  container: string,
): Promise<CriView> {
  return until(
    `${mirrorName}/${container} to run`,
    async () => {
      const view = await criView(client, mirrorName);
      return running(view, container) ? view : null;
    },
    KUBELET_WAIT,
  );
}

export async function waitGone(client: CriClient, mirrorName: string, timeoutMs = 20_000): Promise<void> {
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

export interface StatusJson {
  staticPods: {
    name: string;
    running: boolean | null;
    containers: { name: string; state: string; restartCount: number }[];
  }[];
  podsWithoutManifest: { podName: string; containers: { state: string }[] }[];
}

export function breakglassStatus(node: TestNode, endpoint: string): StatusJson {
  const flags = ['--root', node.root, '--runtime', endpoint, '--pod-logs', node.podLogsDir];
  return breakglassJson<StatusJson>(['status', ...flags]).json;
}

export function nanos(value: string): number {
  return Number(BigInt(value) / 1_000_000n);
}

export interface CriStandIns {
  client: CriClient;
  endpoint: string;
  newNode(suffix: string): TestNode;
  startStandIn(node: TestNode, flags?: string[]): StandIn;
}

/**
 * Called inside a describe: stand-ins on the lab's containerd, on nodes of their own; after its tests, the
 * stand-ins stopped and whatever pods their nodes left removed.
 */
export function criStandIns(): CriStandIns {
  const endpoint = `unix://${labEnv().containerdSocket}`;
  const client = new CriClient(endpoint, 30_000);
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

  after(async () => {
    for (const standIn of standIns) await standIn.stop();
    for (const node of nodes) {
      await removeCriPodsOf(client, node);
      fs.rmSync(node.root, { recursive: true, force: true });
    }
    client.close();
  });
  return { client, endpoint, newNode, startStandIn };
}

export class TestApiServer {
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
