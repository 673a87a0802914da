// The lab's node: a directory that stands for a control-plane node's `/`, laid out like a kubeadm
// master (kubelet's configuration, the manifest directory, the pod logs, etcd's data on a disk of its
// own), so breakglass pointed at it with --root finds everything where it would on a real master.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Log } from './packages.js';

export interface LabNode {
  /** The directory standing for the node's `/`. */
  root: string;
  nodeName: string;
  portOffset: number;
  manifests: string;
  podLogsDir: string;
  etcdDataDir: string;
  /** The file backing etcd's disk, loop-mounted on etcdDataDir: a real block device for disk faults. */
  etcdDiskImage: string;
}

export const LAB_NODE_NAME = 'lab-master';
/** Big enough for etcd, small enough to fill for the disk-full fault. */
const ETCD_DISK_MIB = 512;

export const KUBEADM_PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  etcdMetrics: 2381,
  apiserver: 6443,
  kubeletHealthz: 10248,
  controllerManager: 10257,
  scheduler: 10259,
} as const;

export type LabPorts = { -readonly [K in keyof typeof KUBEADM_PORTS]: number };

export function labPorts(offset: number): LabPorts {
  return Object.fromEntries(
    Object.entries(KUBEADM_PORTS).map(([key, port]) => [key, port + offset]),
  ) as LabPorts;
}

export function labNodePaths(labDir: string, portOffset = 0, nodeName = LAB_NODE_NAME): LabNode {
  const root = path.join(labDir, 'node');
  return {
    root,
    nodeName,
    portOffset,
    manifests: path.join(root, 'etc/kubernetes/manifests'),
    podLogsDir: path.join(root, 'var/log/pods'),
    etcdDataDir: path.join(root, 'var/lib/etcd'),
    etcdDiskImage: path.join(labDir, 'etcd-disk.img'),
  };
}

/**
 * Lays out the node root: kubelet's config (staticPodPath, the runtime endpoint, podLogsDir),
 * kubeadm-flags.env, the host name, the runtime sockets where kubelet's config says they are (links
 * to the lab's own), and etcd's data directory on its own loop-mounted ext4 disk. Idempotent.
 */
export function ensureLabNode(
  node: LabNode,
  sockets: { containerd: string; docker: string },
  log: Log,
): void {
  for (const dir of [
    'etc/kubernetes',
    'var/lib/kubelet',
    'var/log/pods',
    'var/lib/etcd',
    'run/containerd',
    'var/run',
  ]) {
    fs.mkdirSync(path.join(node.root, dir), { recursive: true, mode: 0o755 });
  }
  fs.mkdirSync(node.manifests, { recursive: true, mode: 0o700 });
  fs.chmodSync(node.manifests, 0o700);
  fs.writeFileSync(path.join(node.root, 'etc/hostname'), `${node.nodeName}\n`);
  fs.writeFileSync(path.join(node.root, 'var/lib/kubelet/config.yaml'), kubeletConfig());
  fs.writeFileSync(
    path.join(node.root, 'var/lib/kubelet/kubeadm-flags.env'),
    'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10"\n',
  );
  link(sockets.containerd, path.join(node.root, 'run/containerd/containerd.sock'));
  link(sockets.docker, path.join(node.root, 'var/run/docker.sock'));
  ensureEtcdDisk(node, log);
}

function kubeletConfig(): string {
  return [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'staticPodPath: /etc/kubernetes/manifests',
    'containerRuntimeEndpoint: unix:///run/containerd/containerd.sock',
    'podLogsDir: /var/log/pods',
    'fileCheckFrequency: 20s',
    'healthzBindAddress: 127.0.0.1',
    '',
  ].join('\n');
}

function link(target: string, at: string): void {
  fs.rmSync(at, { force: true });
  fs.symlinkSync(target, at);
}

function isMountPoint(dir: string): boolean {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return mounts.some((line) => line.split(' ')[4] === dir);
}

/** etcd's data directory on a disk of its own: a sparse ext4 image, loop-mounted. */
function ensureEtcdDisk(node: LabNode, log: Log): void {
  if (isMountPoint(node.etcdDataDir)) return;
  if (!fs.existsSync(node.etcdDiskImage)) {
    log(`etcd disk: ${ETCD_DISK_MIB} MiB ext4 image ${node.etcdDiskImage}`);
    fs.writeFileSync(node.etcdDiskImage, '');
    fs.truncateSync(node.etcdDiskImage, ETCD_DISK_MIB * 1024 * 1024);
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', node.etcdDiskImage]);
  }
  execFileSync('mount', ['-o', 'loop', node.etcdDiskImage, node.etcdDataDir]);
  fs.chmodSync(node.etcdDataDir, 0o700);
}

/** The loop device under etcd's data directory (for the slow-disk fault's blkio throttle). */
export function etcdDiskDevice(node: LabNode): { device: string; majorMinor: string } {
  const line = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === node.etcdDataDir);
  if (!line) throw new Error(`etcd's data directory ${node.etcdDataDir} is not mounted: is the lab up?`);
  const fields = line.split(' ');
  const source = fields[fields.indexOf('-') + 2]!;
  return { device: source, majorMinor: fields[2]! };
}
