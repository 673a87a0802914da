// The lab's kubelet stand-in: runs the static pods of a node root in a real runtime, the way kubelet does
// where breakglass can see it (pod names, labels, UIDs, log files, restarts with back-off, the journal's
// lines), including kubelet's trap: after a restart with the API server down, a removed manifest does not
// stop its pod.
//
//   kubelet.js --root <nodeRoot> [--config /var/lib/kubelet/config.yaml] [--runtime cri|docker]
//              [--container-runtime-endpoint unix://...] [--hostname-override NAME]
//              [--file-check-frequency 20s] [--backoff-base 10s] [--healthz-port 10248]
//
// Paths on the node (the config, staticPodPath, hostPath volumes, podLogsDir, kubelet.conf) are resolved
// under --root; the runtime endpoint is a socket on this machine. Logs go to stderr in klog's format.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { CriClient } from '../../src/clients/cri.js';
import { readKubeletConfigFile } from '../../src/node/kubelet-config.js';
import { rootPath } from '../../src/node/root-fs.js';
import { parseManifestText } from '../../src/sources/manifests/parse.js';
import type { ContainerSpec as ManifestContainer, PodManifest } from '../../src/sources/manifests/types.js';
import { parseDockerKubeName } from '../../src/sources/runtime/labels.js';
import { LAB_IMAGES } from './images.js';
import {
  type ContainerSpec,
  criPodHandle,
  dockerPodHandle,
  mirrorPodName,
  type PodSpec,
  podUid,
  removeCriPod,
  removeDockerPod,
  runCriSandbox,
  runDockerSandbox,
  startCriContainer,
  startDockerContainer,
} from './pods.js';

// ----- settings -----

/** kubelet's generic PLEG relists the runtime every second. */
const PLEG_PERIOD_MS = 1_000;
/** The loop never spins: at least this long between two syncs. */
const MIN_WAIT_MS = 20;
const MAX_BACKOFF_MS = 300_000;
/** kubelet's flowcontrol.Backoff forgets a container's back-off after 2 x the maximum without a failure. */
const BACKOFF_RESET_MS = 2 * MAX_BACKOFF_MS;
/** kubelet uses the pod's terminationGracePeriodSeconds (default 30 s); the lab's pods stop fast. */
const STOP_GRACE_SECONDS = 2;
const API_PROBE_TIMEOUT_MS = 2_000;
const MAX_API_PROBE_PERIOD_MS = 10_000;
/** kubelet rejects a manifest of 10 MiB or more (maxConfigLength in pkg/kubelet/config/file.go). */
const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;
const DEFAULT_ENDPOINTS = {
  cri: 'unix:///run/containerd/containerd.sock',
  docker: 'unix:///var/run/docker.sock',
};
const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';
const DEFAULT_STATIC_POD_PATH = '/etc/kubernetes/manifests';
const DEFAULT_POD_LOGS_DIR = '/var/log/pods';

const USAGE = `usage: kubelet.js --root <nodeRoot> [--config /var/lib/kubelet/config.yaml] [--runtime cri|docker]
       [--container-runtime-endpoint unix://...] [--hostname-override NAME]
       [--file-check-frequency 20s] [--backoff-base 10s] [--healthz-port 10248]`;

export interface StandInOptions {
  root: string;
  /** A path on the node. */
  config: string;
  runtime: 'cri' | 'docker';
  endpoint: string | null;
  hostnameOverride: string | null;
  fileCheckFrequencyMs: number;
  backoffBaseMs: number;
  /** 0: no healthz server, as with kubelet's healthzPort 0. */
  healthzPort: number;
}

export function parseStandInArgs(argv: string[]): StandInOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      root: { type: 'string' },
      config: { type: 'string', default: '/var/lib/kubelet/config.yaml' },
      runtime: { type: 'string', default: 'cri' },
      'container-runtime-endpoint': { type: 'string' },
      'hostname-override': { type: 'string' },
      'file-check-frequency': { type: 'string', default: '20s' },
      'backoff-base': { type: 'string', default: '10s' },
      'healthz-port': { type: 'string', default: '10248' },
    },
  });
  if (!values.root) throw new Error('--root is required');
  if (values.runtime !== 'cri' && values.runtime !== 'docker') throw new Error('--runtime: cri or docker');
  const healthzPort = Number(values['healthz-port']);
  if (!Number.isInteger(healthzPort) || healthzPort < 0 || healthzPort > 65535) {
    throw new Error(`--healthz-port: not a port: ${values['healthz-port']}`);
  }
  return {
    root: path.resolve(values.root),
    config: values.config,
    runtime: values.runtime,
    endpoint: values['container-runtime-endpoint'] ?? null,
    hostnameOverride: values['hostname-override'] ?? null,
    fileCheckFrequencyMs: positiveDuration('--file-check-frequency', values['file-check-frequency']),
    backoffBaseMs: positiveDuration('--backoff-base', values['backoff-base']),
    healthzPort,
  };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go duration as kubelet's flags take it: 20s, 1m30s, 500ms. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return null;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit!]!;
  }
  return total;
}

function positiveDuration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new Error(`${flag}: not a positive duration (like 20s): ${text}`);
  return ms;
}

// ----- klog-style log lines -----

type KlogSeverity = 'I' | 'W' | 'E';
type FieldValue = string | number | boolean | string[];

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function klogHeader(severity: KlogSeverity, source: string): string {
  const now = new Date();
  const micros = String(now.getMilliseconds() * 1000).padStart(6, '0');
  const date = `${two(now.getMonth() + 1)}${two(now.getDate())}`;
  const time = `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}.${micros}`;
  return `${severity}${date} ${time} ${String(process.pid).padStart(7)} ${source}]`;
}

/** `E0102 15:04:05.000000   12345 file.go:211] "Could not process manifest file" err="…" path="…"` */
function klog(
  severity: KlogSeverity,
  source: string,
  message: string,
  fields: Record<string, FieldValue> = {},
) {
  const pairs = Object.entries(fields).map(([key, value]) =>
    typeof value === 'number' || typeof value === 'boolean'
      ? `${key}=${value}`
      : `${key}=${JSON.stringify(value)}`,
  );
  process.stderr.write(`${[klogHeader(severity, source), JSON.stringify(message), ...pairs].join(' ')}\n`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ----- the node: config file, node name, paths -----

interface NodeConfig {
  root: string;
  nodeName: string;
  /** staticPodPath as the node sees it, and where it is on this machine. */
  manifestNodeDir: string;
  manifestDir: string;
  podLogsDir: string;
  endpoint: string;
}

async function loadNodeConfig(options: StandInOptions): Promise<NodeConfig> {
  const problems: string[] = [];
  const configNodePath = path.posix.resolve('/', options.config);
  const config = await readKubeletConfigFile(options.root, configNodePath, problems);
  for (const problem of problems) klog('W', 'server.go:480', 'Problem with the kubelet config', { problem });
  if (!config.exists) {
    klog('I', 'server.go:486', 'No kubelet config file; using defaults', {
      path: rootPath(options.root, configNodePath),
    });
  }
  const manifestNodeDir = config.fields.staticPodPath?.value ?? DEFAULT_STATIC_POD_PATH;
  return {
    root: options.root,
    nodeName: nodeNameFor(options),
    manifestNodeDir,
    manifestDir: rootPath(options.root, manifestNodeDir),
    podLogsDir: rootPath(options.root, config.fields.podLogsDir?.value ?? DEFAULT_POD_LOGS_DIR),
    endpoint:
      options.endpoint ?? config.fields.containerRuntimeEndpoint?.value ?? DEFAULT_ENDPOINTS[options.runtime],
  };
}

/** --hostname-override, else the node's /etc/hostname; kubelet lowercases both. */
function nodeNameFor(options: StandInOptions): string {
  if (options.hostnameOverride) return options.hostnameOverride.trim().toLowerCase();
  let text = '';
  try {
    text = fs.readFileSync(rootPath(options.root, '/etc/hostname'), 'utf8');
  } catch {
    throw new Error(`no --hostname-override and no ${rootPath(options.root, '/etc/hostname')}`);
  }
  const name = text.split('\n').map((line) => line.trim())[0] ?? '';
  if (name === '') throw new Error(`${rootPath(options.root, '/etc/hostname')} is empty`);
  return name.toLowerCase();
}

// ----- the file source: the manifest directory, as pkg/kubelet/config/file.go reads it -----

interface SourcePod {
  /** namespace/name: the key of kubelet's file source store (one pod per key). */
  key: string;
  fileName: string;
  uid: string;
  spec: PodSpec;
  hostPathVolumes: HostPathVolume[];
}

interface HostPathVolume {
  name: string;
  /** The path on the node (not under --root). */
  path: string;
  /** hostPath.type: '' (no check), DirectoryOrCreate, FileOrCreate, Directory, File, Socket, ... */
  type: string;
}

type DecodedFile =
  | { kind: 'pod'; manifest: PodManifest; content: string }
  | { kind: 'invalid'; error: string }
  | { kind: 'directory' }
  | { kind: 'not-regular'; mode: number }
  | { kind: 'missing' };

/** Reads one entry as kubelet's extractFromFile does: stat follows symlinks; only regular files decode. */
function decodeManifestFile(hostPath: string, nodeName: string): DecodedFile {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(hostPath);
  } catch {
    return { kind: 'missing' };
  }
  if (stat.isDirectory()) return { kind: 'directory' };
  if (!stat.isFile()) return { kind: 'not-regular', mode: stat.mode };
  if (stat.size >= MAX_MANIFEST_BYTES) return { kind: 'invalid', error: 'the file is 10 MiB or larger' };
  let content: string;
  try {
    content = fs.readFileSync(hostPath, 'utf8');
  } catch (error) {
    return { kind: 'invalid', error: errorText(error) };
  }
  const parsed = parseManifestText(content, nodeName);
  const errors = parsed.findings.filter((finding) => finding.severity === 'error').map((f) => f.message);
  const manifest = parsed.pods[0];
  if (errors.length > 0 || !manifest) return { kind: 'invalid', error: errors.join('; ') || 'no pod' };
  return { kind: 'pod', manifest, content };
}

/** registry.k8s.io/etcd* -> local/etcd:1, other control-plane images -> local/node:1, local/* as is. */
export function labImageFor(image: string): string {
  const name = image.replace(/^k8s\.gcr\.io\//, 'registry.k8s.io/');
  if (name.startsWith('registry.k8s.io/etcd')) return LAB_IMAGES.etcd;
  if (name.startsWith('registry.k8s.io/')) return 'local/node:1';
  if (name.startsWith('local/')) return name;
  return LAB_IMAGES.busybox;
}

function labContainer(container: ManifestContainer, manifest: PodManifest, root: string): ContainerSpec {
  const hostPaths = new Map(manifest.hostPathVolumes.map((volume) => [volume.name, volume.path]));
  const mounts = container.volumeMounts.flatMap((mount) => {
    const hostPath = hostPaths.get(mount.name);
    if (hostPath === undefined || mount.mountPath === '') return [];
    return [{ hostPath: rootPath(root, hostPath), containerPath: mount.mountPath, readonly: mount.readOnly }];
  });
  return { name: container.name, image: labImageFor(container.image), command: container.argv, mounts };
}

function sourcePodFor(
  fileName: string,
  decoded: { manifest: PodManifest; content: string },
  node: NodeConfig,
) {
  const { manifest, content } = decoded;
  const spec: PodSpec = {
    name: manifest.name,
    namespace: manifest.namespace,
    nodeName: node.nodeName,
    file: path.posix.join(node.manifestNodeDir, fileName),
    content,
    labels: manifest.labels,
    containers: manifest.containers.map((container) => labContainer(container, manifest, node.root)),
  };
  const types = hostPathTypes(content);
  const hostPathVolumes = manifest.hostPathVolumes.map((v) => ({ ...v, type: types.get(v.name) ?? '' }));
  return {
    key: `${manifest.namespace}/${manifest.name}`,
    fileName,
    uid: podUid(spec),
    spec,
    hostPathVolumes,
  };
}

/** volumes[].hostPath.type by volume name (parse.ts keeps only names and paths). */
function hostPathTypes(content: string): Map<string, string> {
  const types = new Map<string, string>();
  const pod: unknown = parseAllDocuments(content)[0]?.toJS();
  const spec = isRecord(pod) && isRecord(pod.spec) ? pod.spec : {};
  for (const volume of Array.isArray(spec.volumes) ? spec.volumes.filter(isRecord) : []) {
    const type = isRecord(volume.hostPath) ? volume.hostPath.type : undefined;
    if (typeof volume.name === 'string' && typeof type === 'string') types.set(volume.name, type);
  }
  return types;
}

type FileKind = 'directory' | 'file' | 'socket' | 'character device' | 'block device' | 'other';

function fileKindAt(hostPath: string): FileKind | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(hostPath);
  } catch {
    return null;
  }
  if (stat.isDirectory()) return 'directory';
  if (stat.isFile()) return 'file';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'character device';
  return stat.isBlockDevice() ? 'block device' : 'other';
}

const HOST_PATH_KINDS: Record<string, FileKind> = {
  DirectoryOrCreate: 'directory',
  Directory: 'directory',
  FileOrCreate: 'file',
  File: 'file',
  Socket: 'socket',
  CharDevice: 'character device',
  BlockDevice: 'block device',
};

/**
 * kubelet's hostPath volume set-up: *OrCreate makes what is missing (a directory 0755 with its parents; an
 * empty file 0644, whose parent must exist), the other types must already be there. The error, or null.
 */
function setUpHostPath(volume: HostPathVolume, root: string): string | null {
  const wanted = HOST_PATH_KINDS[volume.type];
  if (wanted === undefined) return null; // '' or an unknown type: no check, the runtime mounts what is there
  const hostPath = rootPath(root, volume.path);
  try {
    if (volume.type === 'DirectoryOrCreate' && fileKindAt(hostPath) === null) {
      fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
    }
    if (volume.type === 'FileOrCreate' && fileKindAt(hostPath) === null) {
      fs.writeFileSync(hostPath, '', { mode: 0o644, flag: 'wx' });
    }
  } catch (error) {
    return `MountVolume.SetUp failed for volume "${volume.name}": ${errorText(error)}`;
  }
  if (fileKindAt(hostPath) === wanted) return null;
  const check = `hostPath type check failed: ${volume.path} is not a ${wanted}`;
  return `MountVolume.SetUp failed for volume "${volume.name}": ${check}`;
}

/**
 * kubelet's file source: a store keyed by namespace/name. A full re-list replaces the store (files in name
 * order, so of two files defining the same pod the lexically last one wins); an inotify event updates the
 * entry of one file, and a file that no longer decodes keeps its old pod until the next re-list.
 */
class ManifestSource {
  private store = new Map<string, SourcePod>();
  private fileKeys = new Map<string, string>();
  private pendingEvents = new Set<string>();
  private watcher: fs.FSWatcher | null = null;
  private watchedInode: number | null = null;
  private reportedConflicts = '';

  constructor(
    private readonly node: NodeConfig,
    private readonly onEvent: () => void,
  ) {}

  pods(): SourcePod[] {
    return [...this.store.values()];
  }

  relist(): void {
    this.ensureWatching();
    const names = this.listNames();
    if (names === null) return;
    const store = new Map<string, SourcePod>();
    const filesByKey = new Map<string, string[]>();
    for (const name of names) {
      const pod = this.readForRelist(name);
      if (!pod) continue;
      store.set(pod.key, pod);
      this.fileKeys.set(name, pod.key);
      filesByKey.set(pod.key, [...(filesByKey.get(pod.key) ?? []), name]);
    }
    this.store = store;
    this.pendingEvents.clear();
    this.reportConflicts(filesByKey);
  }

  applyWatchEvents(): void {
    for (const name of this.pendingEvents) this.applyWatchEvent(name);
    this.pendingEvents.clear();
  }

  /** Sorted non-dot names (filepath.Glob's `[^.]*`), or null when the directory cannot be read. */
  private listNames(): string[] | null {
    try {
      return fs
        .readdirSync(this.node.manifestDir)
        .filter((name) => !name.startsWith('.'))
        .sort();
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      klog('E', 'file.go:94', 'Unable to read config path', {
        err: missing ? 'path does not exist, ignoring' : errorText(error),
        path: this.node.manifestNodeDir,
      });
      // A missing directory is an empty set (kubelet sends an empty SET so the source counts as seen).
      if (missing) this.store = new Map();
      return null;
    }
  }

  private readForRelist(name: string): SourcePod | null {
    const nodePath = path.posix.join(this.node.manifestNodeDir, name);
    const decoded = decodeManifestFile(path.join(this.node.manifestDir, name), this.node.nodeName);
    switch (decoded.kind) {
      case 'pod':
        return sourcePodFor(name, decoded, this.node);
      case 'invalid':
        klog('E', 'file.go:211', 'Could not process manifest file', { err: decoded.error, path: nodePath });
        return null;
      case 'directory':
        klog('E', 'file.go:205', 'Provided manifest path is a directory, not recursing into manifest path', {
          path: nodePath,
        });
        return null;
      case 'not-regular':
        klog('E', 'file.go:216', 'Manifest path is not a directory or file', {
          path: nodePath,
          mode: `0${(decoded.mode & 0o7777).toString(8)}`,
        });
        return null;
      case 'missing':
        return null;
    }
  }

  private applyWatchEvent(name: string): void {
    const decoded = decodeManifestFile(path.join(this.node.manifestDir, name), this.node.nodeName);
    if (decoded.kind === 'pod') {
      const pod = sourcePodFor(name, decoded, this.node);
      this.store.set(pod.key, pod);
      this.fileKeys.set(name, pod.key);
    } else if (decoded.kind === 'invalid') {
      const nodePath = path.posix.join(this.node.manifestNodeDir, name);
      klog('E', 'file_linux.go:114', 'Unable to process watch event', {
        err: `can't process config file ${JSON.stringify(nodePath)}: ${decoded.error}`,
      });
    } else {
      // Removed or renamed away: kubelet drops the store entry this file last set, whoever set it since.
      const key = this.fileKeys.get(name);
      if (key !== undefined) this.store.delete(key);
      this.fileKeys.delete(name);
    }
  }

  /** inotify on the directory; set up again when the directory appears or is replaced. */
  private ensureWatching(): void {
    const inode = this.directoryInode();
    if (this.watcher && inode === this.watchedInode) return;
    this.watcher?.close();
    this.watcher = null;
    this.watchedInode = null;
    if (inode === null) return;
    try {
      const watcher = fs.watch(this.node.manifestDir, { persistent: true }, (_event, name) => {
        if (name === null || name.startsWith('.')) return; // kubelet ignores dot files in events too
        this.pendingEvents.add(name);
        this.onEvent();
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
      });
      this.watcher = watcher;
      this.watchedInode = inode;
    } catch (error) {
      klog('E', 'file_linux.go:63', 'Unable to watch the manifest directory', { err: errorText(error) });
    }
  }

  private directoryInode(): number | null {
    try {
      return fs.statSync(this.node.manifestDir).ino;
    } catch {
      return null;
    }
  }

  private reportConflicts(filesByKey: Map<string, string[]>): void {
    const conflicts = [...filesByKey].filter(([, files]) => files.length > 1);
    const signature = JSON.stringify(conflicts);
    if (signature === this.reportedConflicts) return;
    this.reportedConflicts = signature;
    for (const [key, files] of conflicts) {
      klog('W', 'file.go:180', 'Several manifest files define the same pod; the lexically last one wins', {
        pod: key,
        files,
        using: files[files.length - 1]!,
      });
    }
  }
}

// ----- the API server source: "all sources ready" once it has answered -----

interface ApiServerTarget {
  /** The server URL in kubelet.conf. */
  server: string;
  /** Always a loopback address: the lab never sends traffic elsewhere. */
  connectHost: string;
  /** The name the certificate is checked against (the server URL's host). */
  serverHost: string;
  port: number;
  secure: boolean;
  ca: string | undefined;
  rejectUnauthorized: boolean;
}

type KubeconfigRecord = Record<string, unknown>;

function isRecord(value: unknown): value is KubeconfigRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The cluster of kubelet.conf's current context (else its first cluster). */
function kubeconfigCluster(config: KubeconfigRecord): KubeconfigRecord | null {
  const clusters = Array.isArray(config.clusters) ? config.clusters.filter(isRecord) : [];
  const contexts = Array.isArray(config.contexts) ? config.contexts.filter(isRecord) : [];
  const current = contexts.find((context) => context.name === config['current-context']);
  const wanted = isRecord(current?.context) ? current.context.cluster : undefined;
  const entry = clusters.find((cluster) => cluster.name === wanted) ?? clusters[0];
  return entry && isRecord(entry.cluster) ? entry.cluster : null;
}

function clusterCa(cluster: KubeconfigRecord, root: string, kubeconfigNodePath: string): string | undefined {
  const data = cluster['certificate-authority-data'];
  if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
  const file = cluster['certificate-authority'];
  if (typeof file !== 'string') return undefined;
  const nodePath = path.posix.resolve(path.posix.dirname(kubeconfigNodePath), file);
  return fs.readFileSync(rootPath(root, nodePath), 'utf8');
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function apiServerTarget(root: string, text: string): ApiServerTarget {
  const config: unknown = parseYaml(text);
  if (!isRecord(config)) throw new Error('not a kubeconfig');
  const cluster = kubeconfigCluster(config);
  if (!cluster || typeof cluster.server !== 'string') throw new Error('no cluster server in the kubeconfig');
  const url = new URL(cluster.server);
  const secure = url.protocol === 'https:';
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
  if (!loopback) {
    klog('W', 'kubelet.go:560', 'API server is not on loopback: probing 127.0.0.1 on its port instead', {
      server: cluster.server,
    });
  }
  return {
    server: cluster.server,
    connectHost:
      url.hostname === '[::1]' || url.hostname === '::1' ? '::1' : loopback ? url.hostname : '127.0.0.1',
    serverHost: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (secure ? 443 : 80)),
    secure,
    ca: clusterCa(cluster, root, KUBELET_KUBECONFIG),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
  };
}

/** GET /readyz with the kubeconfig's CA; resolves with the HTTP status. */
function getReadyz(target: ApiServerTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { host: target.connectHost, port: target.port, path: '/readyz', agent: false as const };
    const onResponse = (response: http.IncomingMessage) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    };
    const request = target.secure
      ? https.get(
          {
            ...options,
            ca: target.ca,
            rejectUnauthorized: target.rejectUnauthorized,
            checkServerIdentity: (_host, cert) => tls.checkServerIdentity(target.serverHost, cert),
          },
          onResponse,
        )
      : http.get(options, onResponse);
    request.setTimeout(API_PROBE_TIMEOUT_MS, () => request.destroy(new Error('no answer within 2s')));
    request.on('error', reject);
  });
}

/**
 * kubelet deletes pods only once it has seen all its config sources; the API server source counts as seen
 * when the API server has answered. With no kubelet.conf there is no API source: ready at once.
 */
class SourcesReadiness {
  ready: boolean;
  private probing = false;
  private lastFailure = '';

  private constructor(
    private readonly target: ApiServerTarget | null,
    ready: boolean,
  ) {
    this.ready = ready;
  }

  static fromNode(root: string): SourcesReadiness {
    const hostPath = rootPath(root, KUBELET_KUBECONFIG);
    let text: string;
    try {
      text = fs.readFileSync(hostPath, 'utf8');
    } catch {
      klog('I', 'kubelet.go:412', 'No kubeconfig: standalone kubelet, all sources ready', { path: hostPath });
      return new SourcesReadiness(null, true);
    }
    try {
      return new SourcesReadiness(apiServerTarget(root, text), false);
    } catch (error) {
      // kubelet would not get far with a broken kubeconfig: its API source is never seen.
      klog('E', 'kubelet.go:420', 'Unusable kubeconfig: the API server source never becomes ready', {
        err: errorText(error),
        path: hostPath,
      });
      return new SourcesReadiness(null, false);
    }
  }

  /** One GET /readyz unless ready or already probing; calls onReady when the API server answers. */
  async probe(onReady: () => void): Promise<void> {
    if (this.ready || this.probing || !this.target) return;
    this.probing = true;
    try {
      const status = await getReadyz(this.target);
      if (status === 200) {
        this.ready = true;
        klog('I', 'kubelet.go:2436', 'API server answered: all sources ready', {
          server: this.target.server,
        });
        onReady();
      } else {
        this.noteFailure(`GET /readyz: HTTP ${status}`);
      }
    } catch (error) {
      this.noteFailure(errorText(error));
    } finally {
      this.probing = false;
    }
  }

  /** Logged when the reason changes, not at every probe. */
  private noteFailure(reason: string): void {
    if (reason === this.lastFailure) return;
    this.lastFailure = reason;
    klog('E', 'kubelet_node_status.go:107', "Unable to reach the API server; sources aren't ready", {
      err: reason,
      server: this.target?.server ?? '',
    });
  }
}

// ----- the runtime: what runs, and how to change it (CRI or Docker with cri-dockerd's names) -----

interface ObservedSandbox {
  id: string;
  attempt: number;
  ready: boolean;
}

interface ObservedContainer {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  running: boolean;
}

interface ObservedPod {
  uid: string;
  /** The mirror pod name: <name>-<node>. */
  name: string;
  namespace: string;
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
}

interface PodRuntime {
  /** The pods kubelet runs for this node (file pods whose mirror name ends in -<node>), by UID. */
  observe(): Promise<Map<string, ObservedPod>>;
  createSandbox(spec: PodSpec, attempt: number): Promise<string>;
  startContainer(
    spec: PodSpec,
    sandbox: ObservedSandbox,
    container: ContainerSpec,
    attempt: number,
  ): Promise<string>;
  stopContainer(id: string): Promise<void>;
  /** When a container exited (epoch ms), as the runtime reports it; null when unknown. */
  finishedAt(id: string): Promise<number | null>;
  /** A dead container and its log file (kubelet's container GC). */
  removeContainer(pod: ObservedPod, container: ObservedContainer): Promise<void>;
  /** A sandbox and its containers; the pod's logs stay. */
  removeSandbox(pod: ObservedPod, sandbox: ObservedSandbox): Promise<void>;
  /** Every sandbox and container of the pod, and its log directory. */
  removePod(pod: ObservedPod): Promise<void>;
}

const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const POD_NAME_LABEL = 'io.kubernetes.pod.name';
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
const CONFIG_SOURCE = 'kubernetes.io/config.source';

function podLogDirectoryOf(podLogsDir: string, pod: ObservedPod): string {
  return path.join(podLogsDir, `${pod.namespace}_${pod.name}_${pod.uid}`);
}

function containerLogFile(podLogsDir: string, pod: ObservedPod, container: ObservedContainer): string {
  return path.join(podLogDirectoryOf(podLogsDir, pod), container.name, `${container.attempt}.log`);
}

class PodIndex {
  readonly pods = new Map<string, ObservedPod>();

  addSandbox(labels: Record<string, string>, sandbox: ObservedSandbox): void {
    const uid = labels[POD_UID_LABEL] ?? '';
    const pod = this.pods.get(uid) ?? {
      uid,
      name: labels[POD_NAME_LABEL] ?? '',
      namespace: labels[POD_NAMESPACE_LABEL] ?? '',
      sandboxes: [],
      containers: [],
    };
    pod.sandboxes.push(sandbox);
    this.pods.set(uid, pod);
  }

  addContainer(uid: string | undefined, container: ObservedContainer): void {
    if (uid !== undefined) this.pods.get(uid)?.containers.push(container);
  }
}

function ownedByNode(podName: string | undefined, source: string | undefined, nodeName: string): boolean {
  return source === 'file' && podName !== undefined && podName.endsWith(`-${nodeName}`);
}

function criRuntime(node: NodeConfig): PodRuntime {
  const client = new CriClient(node.endpoint, 10_000);
  return {
    async observe() {
      const [sandboxes, containers] = await Promise.all([client.listPodSandboxes(), client.listContainers()]);
      const index = new PodIndex();
      for (const sandbox of sandboxes) {
        if (!ownedByNode(sandbox.labels[POD_NAME_LABEL], sandbox.annotations[CONFIG_SOURCE], node.nodeName))
          continue;
        index.addSandbox(sandbox.labels, {
          id: sandbox.id,
          attempt: sandbox.metadata?.attempt ?? 0,
          ready: sandbox.state === 'SANDBOX_READY',
        });
      }
      for (const container of containers) {
        index.addContainer(container.labels[POD_UID_LABEL], {
          id: container.id,
          sandboxId: container.podSandboxId,
          name: container.metadata?.name ?? container.labels[CONTAINER_NAME_LABEL] ?? '',
          attempt: container.metadata?.attempt ?? 0,
          running: container.state === 'CONTAINER_RUNNING',
        });
      }
      return index.pods;
    },
    async createSandbox(spec, attempt) {
      return (await runCriSandbox(client, spec, node.podLogsDir, attempt)).sandboxId;
    },
    startContainer(spec, sandbox, container, attempt) {
      const handle = criPodHandle(spec, node.podLogsDir, sandbox.id, sandbox.attempt);
      return startCriContainer(client, handle, spec, container, attempt);
    },
    stopContainer: (id) => client.stopContainer(id, STOP_GRACE_SECONDS),
    async finishedAt(id) {
      const nanos = (await client.containerStatus(id)).finishedAt;
      return nanos && nanos !== '0' ? Number(BigInt(nanos) / 1_000_000n) : null;
    },
    async removeContainer(pod, container) {
      await client.removeContainer(container.id);
      fs.rmSync(containerLogFile(node.podLogsDir, pod, container), { force: true });
    },
    async removeSandbox(_pod, sandbox) {
      await client.stopPodSandbox(sandbox.id);
      await client.removePodSandbox(sandbox.id);
    },
    async removePod(pod) {
      const logDirectory = podLogDirectoryOf(node.podLogsDir, pod);
      for (const sandbox of pod.sandboxes) {
        await removeCriPod(client, {
          sandboxId: sandbox.id,
          logDirectory,
          sandboxConfig: {},
          containerIds: {},
        });
      }
    },
  };
}

function dockerSocketPath(endpoint: string): string {
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
}

function dockerRuntime(node: NodeConfig): PodRuntime {
  const docker = new Docker({ socketPath: dockerSocketPath(node.endpoint), timeout: 30_000 });
  const observedSandbox = (info: Docker.ContainerInfo): ObservedSandbox => ({
    id: info.Id,
    attempt: parseDockerKubeName(info.Names[0] ?? '')?.attempt ?? 0,
    ready: info.State === 'running',
  });
  const observedContainer = (info: Docker.ContainerInfo): ObservedContainer => ({
    id: info.Id,
    sandboxId: info.Labels['io.kubernetes.sandbox.id'] ?? '',
    name: info.Labels[CONTAINER_NAME_LABEL] ?? '',
    attempt: parseDockerKubeName(info.Names[0] ?? '')?.attempt ?? 0,
    running: info.State === 'running',
  });
  return {
    async observe() {
      const all = await docker.listContainers({ all: true, filters: { label: [POD_UID_LABEL] } });
      const index = new PodIndex();
      for (const info of all.filter((c) => c.Labels['io.kubernetes.docker.type'] === 'podsandbox')) {
        const source = info.Labels[`annotation.${CONFIG_SOURCE}`];
        if (ownedByNode(info.Labels[POD_NAME_LABEL], source, node.nodeName)) {
          index.addSandbox(info.Labels, observedSandbox(info));
        }
      }
      for (const info of all.filter((c) => c.Labels['io.kubernetes.docker.type'] === 'container')) {
        index.addContainer(info.Labels[POD_UID_LABEL], observedContainer(info));
      }
      return index.pods;
    },
    async createSandbox(spec, attempt) {
      return (await runDockerSandbox(docker, spec, LAB_IMAGES.pause, node.podLogsDir, attempt)).sandboxId;
    },
    startContainer(spec, sandbox, container, attempt) {
      const handle = dockerPodHandle(spec, node.podLogsDir, sandbox.id, []);
      return startDockerContainer(docker, handle, spec, container, attempt, node.podLogsDir);
    },
    async stopContainer(id) {
      await docker.getContainer(id).stop({ t: STOP_GRACE_SECONDS });
    },
    async finishedAt(id) {
      const finished = Date.parse((await docker.getContainer(id).inspect()).State.FinishedAt);
      return Number.isFinite(finished) && finished > 0 ? finished : null;
    },
    async removeContainer(pod, container) {
      await docker.getContainer(container.id).remove({ force: true });
      fs.rmSync(containerLogFile(node.podLogsDir, pod, container), { force: true });
    },
    async removeSandbox(pod, sandbox) {
      const ids = pod.containers.filter((c) => c.sandboxId === sandbox.id).map((c) => c.id);
      for (const id of [...ids, sandbox.id]) await docker.getContainer(id).remove({ force: true });
    },
    async removePod(pod) {
      const logDirectory = podLogDirectoryOf(node.podLogsDir, pod);
      const allContainerIds = pod.containers.map((c) => c.id);
      for (const sandbox of pod.sandboxes) {
        await removeDockerPod(docker, {
          sandboxId: sandbox.id,
          logDirectory,
          containerIds: {},
          allContainerIds,
        });
      }
    },
  };
}

// ----- kubelet's back-off (k8s.io/client-go/util/flowcontrol.Backoff) -----

interface BackoffEntry {
  delayMs: number;
  lastUpdate: number;
}

class Backoff {
  private readonly entries = new Map<string, BackoffEntry>();

  constructor(private readonly baseMs: number) {}

  /** IsInBackOffSince: how much longer to wait after the failure at failedAt; 0 when not in back-off. */
  remainingMs(key: string, failedAt: number, now: number): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.delayMs - (now - failedAt)) : 0;
  }

  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? this.baseMs;
  }

  /** Next: the base delay the first time (or after a long quiet spell), else double up to the maximum. */
  next(key: string, failedAt: number): void {
    const entry = this.entries.get(key);
    const fresh = !entry || failedAt - entry.lastUpdate > BACKOFF_RESET_MS;
    const delayMs = fresh ? this.baseMs : Math.min(entry.delayMs * 2, MAX_BACKOFF_MS);
    this.entries.set(key, { delayMs, lastUpdate: failedAt });
  }

  forgetPod(uid: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${uid}/`)) this.entries.delete(key);
  }
}

function formatDelay(ms: number): string {
  if (ms < 60_000) return `${ms / 1000}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return seconds === 0 ? `${minutes}m0s` : `${minutes}m${seconds}s`;
}

// ----- the sync loop: pod workers, PLEG and housekeeping in one -----

interface ContainerTrack {
  lastAttempt: number;
  /** When the newest attempt was seen exited or failed to start; null while it runs. */
  failedAt: number | null;
  failedContainerId: string | null;
  backoffLoggedFor: number | null;
}

interface PodTrack {
  uid: string;
  /** namespace/mirror name, as kubelet's log lines name a pod. */
  ref: string;
  lastSandboxAttempt: number;
  sandboxFailedAt: number | null;
  containers: Map<string, ContainerTrack>;
  gateLogged: boolean;
}

function podRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function newest<T extends { attempt: number }>(items: T[]): T | undefined {
  return items.reduce<T | undefined>(
    (best, item) => (!best || item.attempt > best.attempt ? item : best),
    undefined,
  );
}

/** The loop's sleep: ends after a period, or at once when an inotify event or a probe result comes. */
class Wakeup {
  private finish: (() => void) | null = null;
  private pending = false;

  wake(): void {
    if (this.finish) this.finish();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish?.(), ms);
      this.finish = () => {
        clearTimeout(timer);
        this.finish = null;
        resolve();
      };
    });
  }
}

class StandInKubelet {
  private readonly tracks = new Map<string, PodTrack>();
  /** kubelet's pod workers start a static pod only when no other UID of the same full name was started. */
  private readonly startedByFullName = new Map<string, string>();
  private readonly backoff: Backoff;
  private readonly wakeup = new Wakeup();
  private readonly source: ManifestSource;
  private desiredUids = new Set<string>();
  private readonly skipLogged = new Set<string>();
  private runtimeError = '';
  private nextRelistAt = 0;
  private nextProbeAt = 0;
  private nextDueAt = Number.POSITIVE_INFINITY;

  private readonly root: string;

  constructor(
    node: NodeConfig,
    private readonly options: StandInOptions,
    private readonly runtime: PodRuntime,
    private readonly readiness: SourcesReadiness,
  ) {
    this.root = node.root;
    this.backoff = new Backoff(options.backoffBaseMs);
    this.source = new ManifestSource(node, () => this.wakeup.wake());
  }

  async run(): Promise<never> {
    // Before the first sync, so that an API server that answers at once never delays a delete.
    await this.readiness.probe(() => {});
    for (;;) {
      this.nextDueAt = Number.POSITIVE_INFINITY;
      await this.syncOnce().catch((error: unknown) => {
        klog('E', 'kubelet.go:2340', 'Sync loop iteration failed; retrying', { err: errorText(error) });
      });
      const untilDue = this.nextDueAt - Date.now();
      await this.wakeup.wait(Math.max(MIN_WAIT_MS, Math.min(PLEG_PERIOD_MS, untilDue)));
    }
  }

  /** A back-off that ends before the next PLEG tick wakes the loop exactly then. */
  private noteDue(at: number): void {
    this.nextDueAt = Math.min(this.nextDueAt, at);
  }

  private async syncOnce(): Promise<void> {
    const now = Date.now();
    this.probeApiServer(now);
    this.source.applyWatchEvents();
    if (now >= this.nextRelistAt) {
      this.source.relist();
      this.nextRelistAt = now + this.options.fileCheckFrequencyMs;
    }
    const desired = this.source.pods();
    this.logConfigChanges(desired);
    const observed = await this.observeRuntime();
    if (!observed) return;
    const unwanted = [...observed.values()].filter((pod) => !this.desiredUids.has(pod.uid));
    this.dropStaleTracks(observed);
    await Promise.all([
      ...desired.map((pod) => this.syncPod(pod, observed)),
      ...unwanted.map((pod) => this.handleUnwanted(pod)),
    ]);
  }

  private probeApiServer(now: number): void {
    if (this.readiness.ready || now < this.nextProbeAt) return;
    this.nextProbeAt = now + Math.min(this.options.fileCheckFrequencyMs, MAX_API_PROBE_PERIOD_MS);
    void this.readiness.probe(() => this.wakeup.wake());
  }

  private async observeRuntime(): Promise<Map<string, ObservedPod> | null> {
    try {
      const observed = await this.runtime.observe();
      if (this.runtimeError) klog('I', 'kubelet.go:2880', 'Container runtime answers again');
      this.runtimeError = '';
      return observed;
    } catch (error) {
      const reason = errorText(error);
      if (reason !== this.runtimeError) {
        klog('E', 'generic.go:241', 'GenericPLEG: Unable to retrieve pods', { err: reason });
      }
      this.runtimeError = reason;
      return null;
    }
  }

  /** kubelet's "SyncLoop ADD" / "SyncLoop REMOVE" lines for what the file source changed. */
  private logConfigChanges(desired: SourcePod[]): void {
    const uids = new Set(desired.map((pod) => pod.uid));
    const added = desired.filter((pod) => !this.desiredUids.has(pod.uid));
    const removed = [...this.desiredUids].filter((uid) => !uids.has(uid));
    if (added.length > 0) {
      const pods = added.map((pod) => podRef(pod.spec.namespace, mirrorPodName(pod.spec)));
      klog('I', 'kubelet.go:2393', 'SyncLoop ADD', { source: 'file', pods });
    }
    if (removed.length > 0) {
      const pods = removed.map((uid) => this.tracks.get(uid)?.ref ?? uid);
      klog('I', 'kubelet.go:2409', 'SyncLoop REMOVE', { source: 'file', pods });
    }
    this.desiredUids = uids;
  }

  private trackFor(pod: SourcePod, observed: ObservedPod | undefined): PodTrack {
    let track = this.tracks.get(pod.uid);
    if (track) return track;
    track = {
      uid: pod.uid,
      ref: podRef(pod.spec.namespace, mirrorPodName(pod.spec)),
      lastSandboxAttempt: newest(observed?.sandboxes ?? [])?.attempt ?? -1,
      sandboxFailedAt: null,
      containers: new Map(),
      gateLogged: false,
    };
    this.tracks.set(pod.uid, track);
    if (observed?.sandboxes.some((sandbox) => sandbox.ready)) {
      klog('I', 'kubelet.go:2516', 'Found the pod running already: adopting it', {
        pod: track.ref,
        podUID: pod.uid,
      });
    }
    return track;
  }

  private async syncPod(pod: SourcePod, observedPods: Map<string, ObservedPod>): Promise<void> {
    const observed = observedPods.get(pod.uid);
    const track = this.trackFor(pod, observed);
    if (this.waitsForAnotherUid(pod, track, observedPods)) return;
    const sandbox =
      observed?.sandboxes.find((s) => s.ready) ?? (await this.startSandbox(pod, track, observed));
    if (!sandbox) return;
    this.startedByFullName.set(pod.key, pod.uid);
    const containers = (observed?.containers ?? []).filter((c) => c.sandboxId === sandbox.id);
    for (const container of pod.spec.containers) {
      await this.syncContainer(pod, track, observed, sandbox, container, containers);
    }
  }

  /** A changed manifest is a new UID: it starts only when the old pod of the same name is gone. */
  private waitsForAnotherUid(pod: SourcePod, track: PodTrack, observed: Map<string, ObservedPod>): boolean {
    const startedUid = this.startedByFullName.get(pod.key);
    if (startedUid === undefined || startedUid === pod.uid) return false;
    if (!observed.has(startedUid)) {
      this.startedByFullName.delete(pod.key);
      return false;
    }
    if (!track.gateLogged) {
      track.gateLogged = true;
      klog(
        'I',
        'pod_workers.go:1180',
        'Pod cannot start yet: a pod with the same full name is still running',
        {
          pod: track.ref,
          podUID: pod.uid,
          runningPodUID: startedUid,
        },
      );
    }
    return true;
  }

  private async startSandbox(
    pod: SourcePod,
    track: PodTrack,
    observed: ObservedPod | undefined,
  ): Promise<ObservedSandbox | null> {
    const key = `${pod.uid}/sandbox`;
    const now = Date.now();
    if (track.sandboxFailedAt !== null) {
      const remainingMs = this.backoff.remainingMs(key, track.sandboxFailedAt, now);
      if (remainingMs > 0) {
        this.noteDue(now + remainingMs);
        return null;
      }
      this.backoff.next(key, track.sandboxFailedAt);
    }
    if (observed && observed.sandboxes.length > 0) {
      klog(
        'I',
        'kuberuntime_manager.go:1012',
        'No ready sandbox for pod can be found. Need to start a new one',
        {
          pod: track.ref,
        },
      );
      for (const dead of observed.sandboxes) await this.runtime.removeSandbox(observed, dead).catch(() => {});
    }
    const volumeErrors = pod.hostPathVolumes
      .map((v) => setUpHostPath(v, this.root))
      .filter((e) => e !== null);
    if (volumeErrors.length > 0) {
      track.sandboxFailedAt = Date.now();
      klog('E', 'kubelet.go:2005', 'Unable to attach or mount volumes for pod; skipping pod', {
        err: volumeErrors.join('; '),
        pod: track.ref,
        podUID: pod.uid,
      });
      return null;
    }
    const attempt = track.lastSandboxAttempt + 1;
    try {
      const id = await this.runtime.createSandbox(pod.spec, attempt);
      track.lastSandboxAttempt = attempt;
      track.sandboxFailedAt = null;
      klog('I', 'kuberuntime_manager.go:1057', 'Started pod sandbox', {
        pod: track.ref,
        podUID: pod.uid,
        sandboxID: id,
      });
      return { id, attempt, ready: true };
    } catch (error) {
      track.lastSandboxAttempt = attempt;
      track.sandboxFailedAt = Date.now();
      klog('E', 'pod_workers.go:1301', 'Error syncing pod, skipping', {
        err: `failed to "CreatePodSandbox" for "${track.ref}": ${errorText(error)}`,
        pod: track.ref,
        podUID: pod.uid,
      });
      return null;
    }
  }

  private async syncContainer(
    pod: SourcePod,
    track: PodTrack,
    observed: ObservedPod | undefined,
    sandbox: ObservedSandbox,
    container: ContainerSpec,
    containers: ObservedContainer[],
  ): Promise<void> {
    const mine = containers.filter((c) => c.name === container.name);
    const latest = newest(mine);
    const state = this.containerTrack(track, container.name, latest);
    if (latest?.running) {
      state.failedAt = null;
      return;
    }
    if (latest && latest.id !== state.failedContainerId) {
      state.failedContainerId = latest.id;
      // kubelet's back-off counts from the container's FinishedAt, not from when it noticed.
      const finishedAt = await this.runtime.finishedAt(latest.id).catch(() => null);
      state.failedAt = Math.min(finishedAt ?? Date.now(), Date.now());
      klog('I', 'kubelet.go:2457', 'SyncLoop (PLEG): event for pod', {
        pod: track.ref,
        event: `&{ID:${pod.uid} Type:ContainerDied Data:${latest.id}}`,
      });
    }
    const key = `${pod.uid}/${container.name}`;
    if (state.failedAt !== null) {
      const remainingMs = this.backoff.remainingMs(key, state.failedAt, Date.now());
      if (remainingMs > 0) {
        this.noteDue(Date.now() + remainingMs);
        this.logBackoff(state, track, container.name, key);
        return;
      }
      this.backoff.next(key, state.failedAt);
    }
    await this.startContainer(pod, track, observed, sandbox, container, state, mine);
  }

  private containerTrack(
    track: PodTrack,
    name: string,
    latest: ObservedContainer | undefined,
  ): ContainerTrack {
    const state = track.containers.get(name) ?? {
      lastAttempt: -1,
      failedAt: null,
      failedContainerId: null,
      backoffLoggedFor: null,
    };
    state.lastAttempt = Math.max(state.lastAttempt, latest?.attempt ?? -1);
    track.containers.set(name, state);
    return state;
  }

  private logBackoff(state: ContainerTrack, track: PodTrack, name: string, key: string): void {
    if (state.backoffLoggedFor === state.failedAt) return;
    state.backoffLoggedFor = state.failedAt;
    const [namespace, mirrorName] = track.ref.split('/');
    const delay = formatDelay(this.backoff.delayMs(key));
    klog('I', 'kuberuntime_manager.go:1483', 'Back-off restarting failed container', {
      err: `back-off ${delay} restarting failed container=${name} pod=${mirrorName}_${namespace}(${track.uid})`,
      pod: track.ref,
      podUID: track.uid,
      containerName: name,
    });
  }

  private async startContainer(
    pod: SourcePod,
    track: PodTrack,
    observed: ObservedPod | undefined,
    sandbox: ObservedSandbox,
    container: ContainerSpec,
    state: ContainerTrack,
    previous: ObservedContainer[],
  ): Promise<void> {
    const attempt = state.lastAttempt + 1;
    state.lastAttempt = attempt;
    try {
      const id = await this.runtime.startContainer(pod.spec, sandbox, container, attempt);
      state.failedAt = null;
      state.failedContainerId = null;
      klog('I', 'kuberuntime_container.go:280', attempt === 0 ? 'Started container' : 'Restarted container', {
        pod: track.ref,
        containerName: container.name,
        attempt,
        containerID: id,
      });
    } catch (error) {
      state.failedAt = Date.now();
      klog('E', 'pod_workers.go:1301', 'Error syncing pod, skipping', {
        err: `failed to "StartContainer" for "${container.name}" with RunContainerError: ${JSON.stringify(errorText(error))}`,
        pod: track.ref,
        podUID: pod.uid,
      });
    }
    // Also after a failed start: a container that never starts must not pile up dead containers.
    if (observed) await this.collectDeadContainers(observed, previous, attempt);
  }

  /** kubelet's container GC keeps the newest dead container of each name (for `logs --previous`). */
  private async collectDeadContainers(pod: ObservedPod, previous: ObservedContainer[], started: number) {
    for (const dead of previous.filter((c) => !c.running && c.attempt < started - 1)) {
      await this.runtime.removeContainer(pod, dead).catch((error: unknown) => {
        klog('E', 'container_gc.go:146', 'Failed to remove container', {
          err: errorText(error),
          containerID: dead.id,
        });
      });
    }
  }

  /** A pod in the runtime with no manifest: deleted only once all sources are ready. */
  private async handleUnwanted(pod: ObservedPod): Promise<void> {
    const ref = podRef(pod.namespace, pod.name);
    if (!this.readiness.ready) {
      if (!this.skipLogged.has(pod.uid)) {
        this.skipLogged.add(pod.uid);
        klog('I', 'kubelet.go:2037', "Skipping delete because sources aren't ready yet", {
          pod: ref,
          podUID: pod.uid,
        });
      }
      return;
    }
    klog('I', 'kubelet_pods.go:1240', 'Killing unwanted pod', { podName: pod.name, podUID: pod.uid });
    try {
      await this.stopRunningContainers(pod, ref);
      await this.runtime.removePod(pod);
      this.forgetPod(pod.uid);
      klog('I', 'kubelet_pods.go:1260', 'Pod removed', { pod: ref, podUID: pod.uid });
    } catch (error) {
      klog('E', 'kubelet_pods.go:1252', 'Failed killing the pod', {
        err: errorText(error),
        podName: pod.name,
      });
    }
  }

  private async stopRunningContainers(pod: ObservedPod, ref: string): Promise<void> {
    const running = pod.containers.filter((c) => c.running);
    await Promise.all(
      running.map((container) => {
        klog('I', 'kuberuntime_container.go:770', 'Killing container with a grace period', {
          pod: ref,
          podUID: pod.uid,
          containerName: container.name,
          containerID: container.id,
          gracePeriod: STOP_GRACE_SECONDS,
        });
        // A container that exits meanwhile cannot be stopped; removing the pod takes it anyway.
        return this.runtime.stopContainer(container.id).catch(() => {});
      }),
    );
  }

  /** Pods that went from the config before they ever ran. */
  private dropStaleTracks(observed: Map<string, ObservedPod>): void {
    for (const uid of this.tracks.keys()) {
      if (!this.desiredUids.has(uid) && !observed.has(uid)) this.forgetPod(uid);
    }
  }

  private forgetPod(uid: string): void {
    this.tracks.delete(uid);
    this.skipLogged.delete(uid);
    this.backoff.forgetPod(uid);
    for (const [key, started] of this.startedByFullName)
      if (started === uid) this.startedByFullName.delete(key);
  }
}

// ----- healthz, signals, main -----

function serveHealthz(port: number): void {
  if (port === 0) return;
  const server = http.createServer((request, response) => {
    const ok = request.method === 'GET' && request.url === '/healthz';
    response.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' });
    response.end(ok ? 'ok' : 'not found');
  });
  server.on('error', (error) => {
    klog('E', 'server.go:1190', 'Failed to start healthz server', { err: errorText(error), port });
  });
  server.listen(port, '127.0.0.1');
}

/** kubelet exits on SIGTERM and leaves its pods running: they are the runtime's, not its own. */
function exitOnSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      klog('I', 'server.go:1305', 'Received signal; exiting without stopping pods', { signal });
      process.exit(0);
    });
  }
}

async function main(argv: string[]): Promise<void> {
  let options: StandInOptions;
  try {
    options = parseStandInArgs(argv);
  } catch (error) {
    process.stderr.write(`kubelet: ${errorText(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  exitOnSignals();
  const node = await loadNodeConfig(options);
  klog('I', 'server.go:487', 'Starting the kubelet stand-in', {
    nodeName: node.nodeName,
    staticPodPath: node.manifestNodeDir,
    runtime: options.runtime,
    endpoint: node.endpoint,
    podLogsDir: node.podLogsDir,
  });
  const runtime = options.runtime === 'cri' ? criRuntime(node) : dockerRuntime(node);
  const readiness = SourcesReadiness.fromNode(node.root);
  serveHealthz(options.healthzPort);
  await new StandInKubelet(node, options, runtime, readiness).run();
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    klog('E', 'server.go:302', 'Kubelet stand-in failed', { err: errorText(error) });
    process.exit(1);
  });
}
