// The lab's control plane on top of its daemons: a node root laid out like a kubeadm master, a PKI,
// kubeadm-style static pod manifests, and kubelet.service (the stand-in) in the lab's own systemd,
// which runs those manifests in the lab's runtime.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { type LabPaths, labPaths } from './daemons/paths.js';
import { writeLabManifests } from './manifests.js';
import { ensureLabNode, LAB_NODE_NAME, type LabNode, type LabPorts, labNodePaths, labPorts } from './node.js';
import type { Log } from './packages.js';
import { ensureLabPki } from './pki.js';
import { ensureSystemdImage } from './systemd/image.js';
import { installUnit, systemctl } from './systemd/units.js';
import { type BindMount, type LabSystemd, startLabSystemd } from './systemd.js';

export type LabRuntime = 'cri' | 'docker';

export interface ControlPlaneSettings {
  portOffset: number;
  runtime: LabRuntime;
  nodeName: string;
}

export interface ControlPlane {
  node: LabNode;
  ports: LabPorts;
  systemd: LabSystemd;
  settings: ControlPlaneSettings;
}

const HEALTH_TIMEOUT_MS = 180_000;
const NODE_BINARY = path.join(REPO_ROOT, 'node_modules/node/bin/node');
const KUBELET_SCRIPT = path.join(REPO_ROOT, 'dist/scripts/lab/kubelet.js');

/**
 * The checkout, read-only, for kubelet.service's node and script; and node_modules' target when it is a
 * link out of the checkout (a git worktree sharing another checkout's), or neither resolves in systemd.
 */
function checkoutMounts(): BindMount[] {
  const mounts: BindMount[] = [{ source: REPO_ROOT, readonly: true }];
  const modules = path.join(REPO_ROOT, 'node_modules');
  let real = modules;
  try {
    real = fs.realpathSync(modules);
  } catch {
    // no node_modules: kubelet.service says so when it starts
  }
  if (path.relative(REPO_ROOT, real).startsWith('..')) mounts.push({ source: real, readonly: true });
  return mounts;
}

function settingsFile(dir: string): string {
  return path.join(dir, 'lab.json');
}

/** What the lab was brought up with: `status`, faults and a later `up` read it back. */
export function readSettings(dir: string): ControlPlaneSettings | null {
  try {
    return JSON.parse(fs.readFileSync(settingsFile(dir), 'utf8')) as ControlPlaneSettings;
  } catch {
    return null;
  }
}

export function controlPlaneOf(
  dir: string,
  settings: ControlPlaneSettings,
  systemd: LabSystemd,
): ControlPlane {
  return {
    node: labNodePaths(dir, settings.portOffset, settings.nodeName),
    ports: labPorts(settings.portOffset),
    systemd,
    settings,
  };
}

export async function controlPlaneUp(
  dir: string,
  wanted: Partial<ControlPlaneSettings>,
  log: Log,
): Promise<ControlPlane> {
  const previous = readSettings(dir);
  const settings: ControlPlaneSettings = {
    portOffset: wanted.portOffset ?? previous?.portOffset ?? 0,
    runtime: wanted.runtime ?? previous?.runtime ?? 'cri',
    nodeName: wanted.nodeName ?? previous?.nodeName ?? LAB_NODE_NAME,
  };
  // A first start in this directory must find its ports free: another lab (or a real control plane) on
  // them would answer the health checks in this lab's place.
  if (!previous || previous.portOffset !== settings.portOffset)
    await ensurePortsFree(labPorts(settings.portOffset));
  fs.writeFileSync(settingsFile(dir), `${JSON.stringify(settings, null, 2)}\n`);
  const paths = labPaths(dir);
  const node = labNodePaths(dir, settings.portOffset, settings.nodeName);
  const ports = labPorts(settings.portOffset);
  ensureLabNode(node, { containerd: paths.containerdSocket, docker: paths.dockerSocket }, log);
  writeNodeKubeletUnit(node, settings.runtime);
  ensureLabPki(node.root, { nodeName: node.nodeName, portOffset: settings.portOffset, log });
  writeLabManifests(node.root, { nodeName: node.nodeName, portOffset: settings.portOffset });
  await ensureSystemdImage(paths, log);
  const systemd = await startLabSystemd(paths, {
    mounts: [{ source: paths.dir }, ...checkoutMounts()],
    log,
  });
  installUnit(paths, 'kubelet.service', kubeletUnit(paths, node, settings, ports));
  systemctl(paths, ['enable', 'kubelet.service']);
  systemctl(paths, ['restart', 'kubelet.service']);
  await waitHealthy(ports, log);
  return { node, ports, systemd, settings };
}

/**
 * Refuses ports something already listens on. A listener is what would answer the health checks in
 * this lab's place; a connection that merely holds the number as its ephemeral port is not (it goes).
 */
async function ensurePortsFree(ports: LabPorts): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      const done = (answer: boolean) => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(2_000, () => done(true));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
    if (listening) taken.push(`${port} (${name})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `ports in use on 127.0.0.1: ${taken.join(', ')}; another lab or a control plane runs here: choose another --port-offset`,
    );
  }
}

/** kubelet.service in the lab's systemd: the stand-in, with kubeadm's restart policy. */
function kubeletUnit(
  paths: LabPaths,
  node: LabNode,
  settings: ControlPlaneSettings,
  ports: LabPorts,
): string {
  const socket = settings.runtime === 'docker' ? paths.dockerSocket : paths.containerdSocket;
  const exec = [
    NODE_BINARY,
    KUBELET_SCRIPT,
    `--root=${node.root}`,
    '--config=/var/lib/kubelet/config.yaml',
    `--runtime=${settings.runtime}`,
    `--container-runtime-endpoint=unix://${socket}`,
    `--hostname-override=${node.nodeName}`,
    `--healthz-port=${ports.kubeletHealthz}`,
  ].join(' ');
  return `[Unit]
Description=kubelet: The Kubernetes Node Agent (breakglass lab stand-in)
After=network-online.target
StartLimitIntervalSec=0

[Service]
Environment="KUBELET_EXTRA_ARGS="
ExecStart=${exec} $KUBELET_EXTRA_ARGS
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
`;
}

/** The node root's own kubelet.service and kubeadm drop-in, as on a kubeadm master, for breakglass to read. */
function writeNodeKubeletUnit(node: LabNode, runtime: LabRuntime): void {
  const unitDir = path.join(node.root, 'usr/lib/systemd/system');
  fs.mkdirSync(path.join(unitDir, 'kubelet.service.d'), { recursive: true });
  fs.writeFileSync(
    path.join(unitDir, 'kubelet.service'),
    '[Unit]\nDescription=kubelet: The Kubernetes Node Agent\n\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\nRestartSec=10\n\n[Install]\nWantedBy=multi-user.target\n',
  );
  fs.writeFileSync(
    path.join(unitDir, 'kubelet.service.d/10-kubeadm.conf'),
    `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`,
  );
  const endpoint =
    runtime === 'docker' ? 'unix:///run/cri-dockerd.sock' : 'unix:///run/containerd/containerd.sock';
  fs.writeFileSync(
    path.join(node.root, 'var/lib/kubelet/kubeadm-flags.env'),
    `KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=${endpoint} --pod-infra-container-image=registry.k8s.io/pause:3.10"\n`,
  );
}

export interface ComponentHealth {
  name: string;
  url: string;
  healthy: boolean;
  detail: string;
}

export function healthEndpoints(ports: LabPorts): { name: string; url: string }[] {
  return [
    { name: 'etcd', url: `http://127.0.0.1:${ports.etcdMetrics}/health` },
    { name: 'kube-apiserver', url: `https://127.0.0.1:${ports.apiserver}/readyz` },
    { name: 'kube-controller-manager', url: `https://127.0.0.1:${ports.controllerManager}/healthz` },
    { name: 'kube-scheduler', url: `https://127.0.0.1:${ports.scheduler}/healthz` },
    { name: 'kubelet', url: `http://127.0.0.1:${ports.kubeletHealthz}/healthz` },
  ];
}

/** One GET on loopback, like kubelet's probes: certificates are not verified, 2 s at most. */
export function probe(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(
      url,
      { timeout: 2_000, rejectUnauthorized: false, agent: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (err) => resolve({ error: err.message }));
  });
}

export async function componentHealth(ports: LabPorts): Promise<ComponentHealth[]> {
  return Promise.all(
    healthEndpoints(ports).map(async ({ name, url }) => {
      const answer = await probe(url);
      if ('error' in answer) return { name, url, healthy: false, detail: answer.error };
      return {
        name,
        url,
        healthy: answer.status === 200,
        detail: `${answer.status} ${answer.body.trim().split('\n')[0]}`,
      };
    }),
  );
}

async function waitHealthy(ports: LabPorts, log: Log): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const health = await componentHealth(ports);
    const waiting = health.filter((h) => !h.healthy).map((h) => h.name);
    const line = waiting.length === 0 ? 'control plane healthy' : `waiting for ${waiting.join(', ')}`;
    if (line !== last) log(line);
    last = line;
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      const detail = health.filter((h) => !h.healthy).map((h) => `${h.name}: ${h.detail}`);
      throw new Error(
        `the control plane did not come up in ${HEALTH_TIMEOUT_MS / 1000} s: ${detail.join('; ')}`,
      );
    }
    await sleep(500);
  }
}
