// The lab node's static pod manifests, laid out as kubeadm writes them (metadata, annotations, flags,
// probes and their thresholds, hostNetwork, priority, hostPath volumes), with every port moved by the
// lab's offset and every address on loopback. etcd is Debian's real etcd; the apiserver, controller
// manager and scheduler run the stand-in (standin.ts), bundled by esbuild into one file in
// <nodeRoot>/opt/breakglass/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { stringify } from 'yaml';
import { type LabPorts, labPorts } from './node.js';
import { LAB_NODE_FILE } from './standin/nodes.js';
import { bytewise, type PodParts, staticPod, type Volume, volume } from './static-pod.js';

export interface LabManifestOptions {
  nodeName: string;
  portOffset: number;
}

export const LAB_COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
] as const;
export type LabComponent = (typeof LAB_COMPONENTS)[number];

const MANIFEST_MODE = 0o600;
const MANIFEST_DIR_MODE = 0o700;
const KUBERNETES_VERSION = 'v1.31.2';
export const ETCD_IMAGE = 'registry.k8s.io/etcd:3.5.15-0';
const PKI = '/etc/kubernetes/pki';
/** Where the stand-in lives on the node, and so in its pods. */
export const STANDIN_DIR = '/opt/breakglass';
export const STANDIN_PATH = `${STANDIN_DIR}/standin.js`;
const COMPILED_STANDIN = fileURLToPath(new URL('./standin.js', import.meta.url));

/** The system CA bundles kubeadm mounts into the apiserver and the controller manager. */
const CA_BUNDLE_VOLUMES: Volume[] = [
  volume('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate', true),
  volume('etc-ca-certificates', '/etc/ca-certificates', 'DirectoryOrCreate', true),
  volume('usr-local-share-ca-certificates', '/usr/local/share/ca-certificates', 'DirectoryOrCreate', true),
  volume('usr-share-ca-certificates', '/usr/share/ca-certificates', 'DirectoryOrCreate', true),
];
const K8S_CERTS = volume('k8s-certs', PKI, 'DirectoryOrCreate', true);
/** The lab's addition: the stand-in's code, read-only. */
const STANDIN_VOLUME = volume('breakglass-standin', STANDIN_DIR, 'Directory', true);

function standinCommand(component: LabComponent, flags: string[]): string[] {
  return ['node', STANDIN_PATH, component, ...flags];
}

// ---------------------------------------------------------------------------------------------
// The four components

function etcdPod(nodeName: string, ports: LabPorts): PodParts {
  const client = `https://127.0.0.1:${ports.etcdClient}`;
  const peer = `https://127.0.0.1:${ports.etcdPeer}`;
  return {
    name: 'etcd',
    annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': client },
    image: ETCD_IMAGE,
    command: [
      'etcd',
      `--advertise-client-urls=${client}`,
      `--cert-file=${PKI}/etcd/server.crt`,
      '--client-cert-auth=true',
      '--data-dir=/var/lib/etcd',
      '--experimental-initial-corrupt-check=true',
      '--experimental-watch-progress-notify-interval=5s',
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${nodeName}=${peer}`,
      `--key-file=${PKI}/etcd/server.key`,
      `--listen-client-urls=${client}`,
      `--listen-metrics-urls=http://127.0.0.1:${ports.etcdMetrics}`,
      `--listen-peer-urls=${peer}`,
      // Not kubeadm's: etcd 3.5 logs JSON (zap) by default, Debian's 3.4 the old capnslog text.
      '--logger=zap',
      `--name=${nodeName}`,
      `--peer-cert-file=${PKI}/etcd/peer.crt`,
      '--peer-client-cert-auth=true',
      `--peer-key-file=${PKI}/etcd/peer.key`,
      `--peer-trusted-ca-file=${PKI}/etcd/ca.crt`,
      '--snapshot-count=10000',
      `--trusted-ca-file=${PKI}/etcd/ca.crt`,
    ],
    // etcd 3.4 has no /livez nor /readyz: kubeadm's probes for etcd before 3.5.11 used /health.
    probes: {
      scheme: 'HTTP',
      port: ports.etcdMetrics,
      liveness: '/health',
      readiness: '/health',
      startup: '/health',
    },
    requests: { cpu: '100m', memory: '100Mi' },
    volumes: [
      volume('etcd-certs', `${PKI}/etcd`, 'DirectoryOrCreate', false),
      volume('etcd-data', '/var/lib/etcd', 'DirectoryOrCreate', false),
    ],
    mountOrder: ['etcd-data', 'etcd-certs'],
  };
}

function apiserverFlags(ports: LabPorts): string[] {
  return [
    '--advertise-address=127.0.0.1',
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    // Not in kubeadm's manifest (the real default is every address): the lab listens on loopback only.
    '--bind-address=127.0.0.1',
    `--client-ca-file=${PKI}/ca.crt`,
    '--enable-admission-plugins=NodeRestriction',
    '--enable-bootstrap-token-auth=true',
    `--etcd-cafile=${PKI}/etcd/ca.crt`,
    `--etcd-certfile=${PKI}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${PKI}/apiserver-etcd-client.key`,
    `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
    `--kubelet-client-certificate=${PKI}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${PKI}/apiserver-kubelet-client.key`,
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    `--proxy-client-cert-file=${PKI}/front-proxy-client.crt`,
    `--proxy-client-key-file=${PKI}/front-proxy-client.key`,
    '--requestheader-allowed-names=front-proxy-client',
    `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--secure-port=${ports.apiserver}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${PKI}/sa.pub`,
    `--service-account-signing-key-file=${PKI}/sa.key`,
    '--service-cluster-ip-range=10.96.0.0/12',
    `--tls-cert-file=${PKI}/apiserver.crt`,
    `--tls-private-key-file=${PKI}/apiserver.key`,
  ];
}

function apiserverPod(ports: LabPorts): PodParts {
  return {
    name: 'kube-apiserver',
    annotations: {
      'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `127.0.0.1:${ports.apiserver}`,
    },
    image: `registry.k8s.io/kube-apiserver:${KUBERNETES_VERSION}`,
    command: standinCommand('kube-apiserver', apiserverFlags(ports)),
    probes: {
      scheme: 'HTTPS',
      port: ports.apiserver,
      liveness: '/livez',
      readiness: '/readyz',
      startup: '/livez',
    },
    requests: { cpu: '250m' },
    volumes: [...CA_BUNDLE_VOLUMES, K8S_CERTS, STANDIN_VOLUME],
  };
}

/** The lab's additions to the controller manager's and the scheduler's flags: the offset port and a cert. */
function servingFlags(port: number): string[] {
  return [
    `--secure-port=${port}`,
    `--tls-cert-file=${PKI}/apiserver.crt`,
    `--tls-private-key-file=${PKI}/apiserver.key`,
  ];
}

function kubeconfigVolume(file: string): Volume {
  return volume('kubeconfig', `/etc/kubernetes/${file}`, 'FileOrCreate', true);
}

interface ControllerParts {
  name: 'kube-controller-manager' | 'kube-scheduler';
  port: number;
  /** Under /etc/kubernetes: the component's API access, its delegated authentication and authorization. */
  kubeconfigFile: string;
  /** The flags of this component alone. */
  flags: string[];
  cpu: string;
  volumes: Volume[];
}

/** The controller manager and the scheduler: leader election through the apiserver, HTTPS /healthz probes. */
function controllerPod(parts: ControllerParts): PodParts {
  const kubeconfig = `/etc/kubernetes/${parts.kubeconfigFile}`;
  // kubeadm writes its flags sorted by name; the lab's serving flags come after them.
  const flags = [
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=true',
    ...parts.flags,
  ].sort(bytewise);
  return {
    name: parts.name,
    annotations: null,
    image: `registry.k8s.io/${parts.name}:${KUBERNETES_VERSION}`,
    command: standinCommand(parts.name, [...flags, ...servingFlags(parts.port)]),
    probes: { scheme: 'HTTPS', port: parts.port, liveness: '/healthz', readiness: null, startup: '/healthz' },
    requests: { cpu: parts.cpu },
    volumes: [...parts.volumes, K8S_CERTS, kubeconfigVolume(parts.kubeconfigFile), STANDIN_VOLUME],
  };
}

function controllerManagerPod(ports: LabPorts): PodParts {
  const flexvolume = '/usr/libexec/kubernetes/kubelet-plugins/volume/exec';
  return controllerPod({
    name: 'kube-controller-manager',
    port: ports.controllerManager,
    kubeconfigFile: 'controller-manager.conf',
    flags: [
      `--client-ca-file=${PKI}/ca.crt`,
      '--cluster-name=kubernetes',
      `--cluster-signing-cert-file=${PKI}/ca.crt`,
      `--cluster-signing-key-file=${PKI}/ca.key`,
      '--controllers=*,bootstrapsigner,tokencleaner',
      `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
      `--root-ca-file=${PKI}/ca.crt`,
      `--service-account-private-key-file=${PKI}/sa.key`,
      '--use-service-account-credentials=true',
    ],
    cpu: '200m',
    volumes: [...CA_BUNDLE_VOLUMES, volume('flexvolume-dir', flexvolume, 'DirectoryOrCreate', false)],
  });
}

function schedulerPod(ports: LabPorts): PodParts {
  return controllerPod({
    name: 'kube-scheduler',
    port: ports.scheduler,
    kubeconfigFile: 'scheduler.conf',
    flags: [],
    cpu: '100m',
    // kubeadm mounts the kubeconfig alone; the lab adds the pki (controllerPod) for the serving certificate.
    volumes: [],
  });
}

function podParts(component: LabComponent, { nodeName, portOffset }: LabManifestOptions): PodParts {
  const ports = labPorts(portOffset);
  switch (component) {
    case 'etcd':
      return etcdPod(nodeName, ports);
    case 'kube-apiserver':
      return apiserverPod(ports);
    case 'kube-controller-manager':
      return controllerManagerPod(ports);
    case 'kube-scheduler':
      return schedulerPod(ports);
  }
}

// ---------------------------------------------------------------------------------------------
// Files

/** The manifest's YAML, as kubeadm would write it for the lab node. */
export function labManifest(component: LabComponent, options: LabManifestOptions): string {
  return stringify(staticPod(podParts(component, options)), { lineWidth: 0 });
}

/** The container's command: argv[0] and the flags, with paths as the pod sees them. */
export function labCommand(component: LabComponent, options: LabManifestOptions): string[] {
  return podParts(component, options).command;
}

export function labManifestPath(nodeRoot: string, component: LabComponent): string {
  return path.join(nodeRoot, 'etc/kubernetes/manifests', `${component}.yaml`);
}

/** Written beside the manifest directory and renamed in: kubelet never reads a half-written file. */
function writeIfChanged(file: string, content: string, mode: number): boolean {
  try {
    if (fs.readFileSync(file, 'utf8') === content) return false;
  } catch {
    // absent: written below
  }
  const temp = path.join(path.dirname(path.dirname(file)), `.${path.basename(file)}.${process.pid}.lab`);
  fs.writeFileSync(temp, content, { mode });
  fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
  return true;
}

/**
 * The compiled stand-in and the modules it imports as one ES module, by esbuild. The paths in its comments
 * are relative to the stand-in's directory, so the bytes are the same wherever the checkout is and
 * whatever the working directory: a lab already up sees no change.
 */
function bundleStandin(): string {
  const result = buildSync({
    entryPoints: [COMPILED_STANDIN],
    absWorkingDir: path.dirname(COMPILED_STANDIN),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
  });
  const [output] = result.outputFiles;
  if (output === undefined || result.outputFiles.length !== 1) {
    throw new Error(`esbuild made ${result.outputFiles.length} files of ${COMPILED_STANDIN}, not one`);
  }
  return output.text;
}

/**
 * Writes the compiled stand-in to <nodeRoot>/opt/breakglass/standin.js, bundled with the modules it imports
 * into that one file, with a package.json that makes node load it as the ES module it is, and the node's
 * name beside it (lab-node.json): the apiserver stand-in serves that one Node (standin/nodes.ts).
 */
export function installStandin(nodeRoot: string, nodeName: string): string {
  const dir = path.join(nodeRoot, STANDIN_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const target = path.join(dir, 'standin.js');
  writeIfChanged(target, bundleStandin(), 0o644);
  writeIfChanged(path.join(dir, 'package.json'), '{ "type": "module" }\n', 0o644);
  writeIfChanged(path.join(dir, LAB_NODE_FILE), `${JSON.stringify({ nodeName })}\n`, 0o644);
  return target;
}

/**
 * The four manifests (mode 0600 in a 0700 directory) and the stand-in they run. A manifest already
 * holding the same bytes is left alone, so kubelet sees no change; returns the components written.
 */
export function writeLabManifests(nodeRoot: string, options: LabManifestOptions): LabComponent[] {
  const dir = path.join(nodeRoot, 'etc/kubernetes/manifests');
  fs.mkdirSync(dir, { recursive: true, mode: MANIFEST_DIR_MODE });
  fs.chmodSync(dir, MANIFEST_DIR_MODE);
  installStandin(nodeRoot, options.nodeName);
  return LAB_COMPONENTS.filter((component) =>
    writeIfChanged(labManifestPath(nodeRoot, component), labManifest(component, options), MANIFEST_MODE),
  );
}
