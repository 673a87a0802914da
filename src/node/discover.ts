// Where things are on this node, and how we know: kubelet's unit, flags and config, then defaults.
import os from 'node:os';
import path from 'node:path';
import { applyKubeletConfigDir, type KubeletConfigFields, readKubeletConfigFile } from './kubelet-config.js';
import { type FlagValue, parseKubeletFlags } from './kubelet-flags.js';
import { type KubeletCommandLine, readKubeletCommandLine } from './kubelet-unit.js';
import { readNodeFile, rootPath } from './root-fs.js';

export { rootPath } from './root-fs.js';

export interface Located<T> {
  value: T;
  /** Plain words saying where the value came from. */
  source: string;
}

export interface DiscoverOptions {
  /** Treat this directory as the node's filesystem root ('/' when absent). */
  root?: string;
  /** Explicit overrides: paths on this machine, not prefixed by root. */
  manifests?: string;
  holding?: string;
  stateDir?: string;
  nodeName?: string;
  /** Runtime endpoint override, e.g. unix:///run/containerd/containerd.sock. */
  runtime?: string;
  pki?: string;
  podLogs?: string;
}

export interface NodeLayout {
  root: string;
  kubeletConfig: Located<string | null>;
  manifests: Located<string>;
  holding: Located<string>;
  stateDir: Located<string>;
  runtimeEndpoint: Located<string | null>;
  nodeName: Located<string>;
  pki: Located<string>;
  /** Where kubelet keeps container logs: <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<n>.log */
  podLogsDir: Located<string>;
  /** kubelet's HTTP source of static pods (--manifest-url, staticPodURL); null: none. Never fetched. */
  staticPodURL: Located<string | null>;
  problems: string[];
}

const KUBEADM_KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
const KUBEADM_MANIFESTS = '/etc/kubernetes/manifests';
const KUBEADM_PKI = '/etc/kubernetes/pki';
const DEFAULT_STATE_DIR = '/var/lib/breakglass';

type Flags = Map<string, FlagValue>;

interface KubeletConfigView {
  location: Located<string | null>;
  fields: KubeletConfigFields;
}

/** Finds where kubelet keeps things on this node. Never throws for missing or broken files. */
export async function discoverNode(opts: DiscoverOptions = {}): Promise<NodeLayout> {
  const root = path.resolve(opts.root ?? '/');
  const problems: string[] = [];
  const commandLine = await readKubeletCommandLine(root);
  problems.push(...commandLine.problems);
  const flags = parseKubeletFlags(commandLine.args);
  const config = await readKubeletConfig(root, flags, commandLine, problems);
  const manifests = locateManifests(root, opts, flags, config.fields);
  noteMissingKubelet(root, commandLine, config, problems);
  noteUnsetStaticPodPath(commandLine, config, manifests, problems);
  return {
    root,
    kubeletConfig: config.location,
    manifests,
    holding: locateHolding(opts, manifests),
    stateDir: breakglassDir(root, opts.stateDir, '--state-dir', DEFAULT_STATE_DIR),
    runtimeEndpoint: locateRuntimeEndpoint(opts, flags, config.fields),
    nodeName: await locateNodeName(root, opts, flags),
    pki:
      opts.pki !== undefined
        ? { value: path.resolve(opts.pki), source: '--pki flag' }
        : { value: rootPath(root, KUBEADM_PKI), source: 'kubeadm default' },
    podLogsDir: locatePodLogsDir(root, opts, config.fields),
    staticPodURL: locateStaticPodURL(flags, config.fields),
    problems,
  };
}

/** kubelet's flag wins over its config file, as for every field it has both of. */
function locateStaticPodURL(flags: Flags, fields: KubeletConfigFields): Located<string | null> {
  const flag = nonEmptyFlag(flags, 'manifest-url');
  if (flag !== undefined) return { value: flag.value, source: `--manifest-url in ${flag.from}` };
  const field = fields.staticPodURL;
  if (field !== undefined) return { value: field.value, source: `staticPodURL in ${field.from}` };
  return { value: null, source: 'neither --manifest-url nor staticPodURL is set' };
}

function locatePodLogsDir(root: string, opts: DiscoverOptions, fields: KubeletConfigFields): Located<string> {
  if (opts.podLogs !== undefined) return { value: path.resolve(opts.podLogs), source: '--pod-logs flag' };
  const field = fields.podLogsDir;
  if (field !== undefined)
    return { value: rootPath(root, field.value), source: `podLogsDir in ${field.from}` };
  return { value: rootPath(root, '/var/log/pods'), source: 'kubelet default' };
}

/** `--config` names the file; otherwise kubeadm's path is used when the file is there. */
async function readKubeletConfig(
  root: string,
  flags: Flags,
  commandLine: KubeletCommandLine,
  problems: string[],
): Promise<KubeletConfigView> {
  const configFlag = nonEmptyFlag(flags, 'config');
  const nodePath = path.posix.resolve('/', configFlag?.value ?? KUBEADM_KUBELET_CONFIG);
  const file = await readKubeletConfigFile(root, nodePath, problems);
  const hostPath = rootPath(root, nodePath);
  let location: Located<string | null>;
  if (configFlag !== undefined && file.exists) {
    location = { value: hostPath, source: `--config in ${configFlag.from}` };
  } else if (configFlag !== undefined) {
    problems.push(`kubelet config ${hostPath} (from --config in ${configFlag.from}) does not exist`);
    location = { value: null, source: `--config in ${configFlag.from} names a missing file` };
  } else if (file.exists) {
    // kubelet itself only reads a config file named by --config; kubeadm always writes this one.
    const caveat = commandLine.unit === null ? '' : `, although ${commandLine.unit} passes no --config`;
    location = { value: hostPath, source: `kubeadm default path${caveat}` };
  } else {
    location = { value: null, source: 'none found' };
  }
  const configDir = nonEmptyFlag(flags, 'config-dir');
  const fields =
    configDir === undefined
      ? file.fields
      : await applyKubeletConfigDir(root, path.posix.resolve('/', configDir.value), file.fields, problems);
  return { location, fields };
}

function locateManifests(
  root: string,
  opts: DiscoverOptions,
  flags: Flags,
  fields: KubeletConfigFields,
): Located<string> {
  if (opts.manifests !== undefined)
    return { value: path.resolve(opts.manifests), source: '--manifests flag' };
  const flag = nonEmptyFlag(flags, 'pod-manifest-path');
  if (flag !== undefined) {
    return { value: rootPath(root, flag.value), source: `--pod-manifest-path in ${flag.from}` };
  }
  if (fields.staticPodPath !== undefined) {
    return {
      value: rootPath(root, fields.staticPodPath.value),
      source: `staticPodPath in ${fields.staticPodPath.from}`,
    };
  }
  return { value: rootPath(root, KUBEADM_MANIFESTS), source: 'kubeadm default' };
}

function locateRuntimeEndpoint(
  opts: DiscoverOptions,
  flags: Flags,
  fields: KubeletConfigFields,
): Located<string | null> {
  if (opts.runtime !== undefined) return { value: opts.runtime, source: '--runtime flag' };
  const flag = nonEmptyFlag(flags, 'container-runtime-endpoint');
  if (flag !== undefined)
    return { value: flag.value, source: `--container-runtime-endpoint in ${flag.from}` };
  const field = fields.containerRuntimeEndpoint;
  if (field !== undefined) return { value: field.value, source: `containerRuntimeEndpoint in ${field.from}` };
  return { value: null, source: 'not configured in kubelet flags or config' };
}

/** kubelet's node name: --hostname-override, else the host name; kubelet lowercases both. */
async function locateNodeName(root: string, opts: DiscoverOptions, flags: Flags): Promise<Located<string>> {
  if (opts.nodeName !== undefined)
    return { value: normalizeNodeName(opts.nodeName), source: '--node-name flag' };
  const override = nonEmptyFlag(flags, 'hostname-override');
  if (override !== undefined) {
    return {
      value: normalizeNodeName(override.value),
      source: `--hostname-override in ${override.from} (lowercased)`,
    };
  }
  if (root === '/') return { value: normalizeNodeName(os.hostname()), source: 'host name (lowercased)' };
  const fromFile = await readHostnameFile(root);
  if (fromFile !== null) {
    return { value: normalizeNodeName(fromFile), source: `${rootPath(root, '/etc/hostname')} (lowercased)` };
  }
  return {
    value: normalizeNodeName(os.hostname()),
    source: `host name of this machine (lowercased), as ${rootPath(root, '/etc/hostname')} has none`,
  };
}

function normalizeNodeName(name: string): string {
  return name.trim().toLowerCase();
}

async function readHostnameFile(root: string): Promise<string | null> {
  const read = await readNodeFile(root, '/etc/hostname');
  if (read.kind !== 'text') return null;
  const line = read.text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  return line ?? null;
}

/**
 * Beside the manifest directory (so on the same file system, and outside it): for kubeadm's
 * /etc/kubernetes/manifests that is /etc/kubernetes/breakglass/disabled.
 */
function locateHolding(opts: DiscoverOptions, manifests: Located<string>): Located<string> {
  if (opts.holding !== undefined) return { value: path.resolve(opts.holding), source: '--holding flag' };
  return {
    value: path.join(path.dirname(manifests.value), 'breakglass', 'disabled'),
    source: 'breakglass default: beside the manifest directory',
  };
}

function breakglassDir(
  root: string,
  explicit: string | undefined,
  flag: string,
  nodeDefault: string,
): Located<string> {
  if (explicit !== undefined) return { value: path.resolve(explicit), source: `${flag} flag` };
  return { value: rootPath(root, nodeDefault), source: 'breakglass default' };
}

/** kubelet treats an empty flag value as unset. */
function nonEmptyFlag(flags: Flags, name: string): FlagValue | undefined {
  const flag = flags.get(name);
  return flag === undefined || flag.value === '' ? undefined : flag;
}

function noteMissingKubelet(
  root: string,
  commandLine: KubeletCommandLine,
  config: KubeletConfigView,
  problems: string[],
): void {
  if (commandLine.sawKubeletFiles || config.location.value !== null) return;
  problems.push(
    `found no kubelet.service, kubeadm flags or kubelet config under ${root}; using kubeadm defaults`,
  );
}

function noteUnsetStaticPodPath(
  commandLine: KubeletCommandLine,
  config: KubeletConfigView,
  manifests: Located<string>,
  problems: string[],
): void {
  const kubeletFound = commandLine.sawKubeletFiles || config.location.value !== null;
  if (!kubeletFound || manifests.source !== 'kubeadm default') return;
  problems.push(
    'kubelet sets neither --pod-manifest-path nor staticPodPath, so it may run no static pods; assuming kubeadm default',
  );
}

/** The two directories a static pod's manifest lives in, and the node name their pods are named after. */
export function manifestDirsOf(layout: NodeLayout): { manifests: string; holding: string; nodeName: string } {
  return {
    manifests: layout.manifests.value,
    holding: layout.holding.value,
    nodeName: layout.nodeName.value,
  };
}
