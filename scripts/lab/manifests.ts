// The lab node's static pod manifests, laid out as kubeadm writes them (metadata, annotations, flags,
// probes and their thresholds, hostNetwork, priority, hostPath volumes), with every port moved by the
// lab's offset and every address on loopback. etcd is Debian's real etcd; the apiserver, controller
// manager and scheduler run the stand-in (standin.ts), copied to <nodeRoot>/opt/breakglass/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { type LabPorts, labPorts } from './node.js';

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
const ETCD_IMAGE = 'registry.k8s.io/etcd:3.5.15-0';
const PKI = '/etc/kubernetes/pki';
/** Where the stand-in lives on the node, and so in its pods. */
export const STANDIN_DIR = '/opt/breakglass';
export const STANDIN_PATH = `${STANDIN_DIR}/standin.js`;
const COMPILED_STANDIN = fileURLToPath(new URL('./standin.js', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Pod building blocks, in kubeadm's shapes (keys in the order kubeadm's YAML has them: sorted)

type HostPathType = 'DirectoryOrCreate' | 'FileOrCreate' | 'Directory';

interface Volume {
  name: string;
  hostPath: string;
  type: HostPathType;
  mountPath: string;
  readOnly: boolean;
}

interface Probes {
  scheme: 'HTTP' | 'HTTPS';
  port: number;
  liveness: string;
  /** Only etcd and the apiserver have a readiness probe in kubeadm's manifests. */
  readiness: string | null;
  startup: string;
}

interface PodParts {
  name: LabComponent;
  annotations: Record<string, string> | null;
  image: string;
  command: string[];
  probes: Probes;
  requests: Record<string, string>;
  volumes: Volume[];
  /** kubeadm lists etcd's mounts data first; every other pod's mounts are sorted by name. */
  mountOrder?: string[];
}

function httpGet(probes: Probes, urlPath: string) {
  return { host: '127.0.0.1', path: urlPath, port: probes.port, scheme: probes.scheme };
}

/** kubeadm's thresholds: liveness 8 x 10 s, readiness 3 x 1 s, startup 24 x 10 s, all with a 15 s timeout. */
function probeFields(probes: Probes): Record<string, object> {
  return {
    livenessProbe: {
      failureThreshold: 8,
      httpGet: httpGet(probes, probes.liveness),
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 15,
    },
    ...(probes.readiness === null
      ? {}
      : {
          readinessProbe: {
            failureThreshold: 3,
            httpGet: httpGet(probes, probes.readiness),
            periodSeconds: 1,
            timeoutSeconds: 15,
          },
        }),
    startupProbe: {
      failureThreshold: 24,
      httpGet: httpGet(probes, probes.startup),
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 15,
    },
  };
}

/** Go's order: bytewise, not the locale's. */
const bytewise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: { name: string }, b: { name: string }): number => bytewise(a.name, b.name);

function volumeMounts(parts: PodParts): object[] {
  const order = parts.mountOrder;
  const volumes = order
    ? order.map((name) => parts.volumes.find((v) => v.name === name)!)
    : [...parts.volumes].sort(byName);
  return volumes.map((v) => ({
    mountPath: v.mountPath,
    name: v.name,
    ...(v.readOnly ? { readOnly: true } : {}),
  }));
}

/** Go's YAML output sorts map keys bytewise: kubeadm's manifests list fields in that order. */
function sortedKeys(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => bytewise(a, b)));
}

function staticPod(parts: PodParts): object {
  const container = sortedKeys({
    command: parts.command,
    image: parts.image,
    imagePullPolicy: 'IfNotPresent',
    name: parts.name,
    resources: { requests: parts.requests },
    volumeMounts: volumeMounts(parts),
    ...probeFields(parts.probes),
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(parts.annotations ? { annotations: parts.annotations } : {}),
      creationTimestamp: null,
      labels: { component: parts.name, tier: 'control-plane' },
      name: parts.name,
      namespace: 'kube-system',
    },
    spec: {
      containers: [container],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [...parts.volumes]
        .sort(byName)
        .map((v) => ({ hostPath: { path: v.hostPath, type: v.type }, name: v.name })),
    },
    status: {},
  };
}

function volume(name: string, hostPath: string, type: HostPathType, readOnly: boolean): Volume {
  return { name, hostPath, type, mountPath: hostPath, readOnly };
}

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

function controllerManagerPod(ports: LabPorts): PodParts {
  const kubeconfig = '/etc/kubernetes/controller-manager.conf';
  const flags = [
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--client-ca-file=${PKI}/ca.crt`,
    '--cluster-name=kubernetes',
    `--cluster-signing-cert-file=${PKI}/ca.crt`,
    `--cluster-signing-key-file=${PKI}/ca.key`,
    '--controllers=*,bootstrapsigner,tokencleaner',
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=true',
    `--requestheader-client-ca-file=${PKI}/front-proxy-ca.crt`,
    `--root-ca-file=${PKI}/ca.crt`,
    `--service-account-private-key-file=${PKI}/sa.key`,
    '--use-service-account-credentials=true',
    ...servingFlags(ports.controllerManager),
  ];
  const flexvolume = '/usr/libexec/kubernetes/kubelet-plugins/volume/exec';
  return {
    name: 'kube-controller-manager',
    annotations: null,
    image: `registry.k8s.io/kube-controller-manager:${KUBERNETES_VERSION}`,
    command: standinCommand('kube-controller-manager', flags),
    probes: {
      scheme: 'HTTPS',
      port: ports.controllerManager,
      liveness: '/healthz',
      readiness: null,
      startup: '/healthz',
    },
    requests: { cpu: '200m' },
    volumes: [
      ...CA_BUNDLE_VOLUMES,
      volume('flexvolume-dir', flexvolume, 'DirectoryOrCreate', false),
      K8S_CERTS,
      kubeconfigVolume('controller-manager.conf'),
      STANDIN_VOLUME,
    ],
  };
}

function schedulerPod(ports: LabPorts): PodParts {
  const kubeconfig = '/etc/kubernetes/scheduler.conf';
  const flags = [
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--kubeconfig=${kubeconfig}`,
    '--leader-elect=true',
    ...servingFlags(ports.scheduler),
  ];
  return {
    name: 'kube-scheduler',
    annotations: null,
    image: `registry.k8s.io/kube-scheduler:${KUBERNETES_VERSION}`,
    command: standinCommand('kube-scheduler', flags),
    probes: {
      scheme: 'HTTPS',
      port: ports.scheduler,
      liveness: '/healthz',
      readiness: null,
      startup: '/healthz',
    },
    requests: { cpu: '100m' },
    // kubeadm mounts the kubeconfig alone; the lab adds the pki for the serving certificate.
    volumes: [K8S_CERTS, kubeconfigVolume('scheduler.conf'), STANDIN_VOLUME],
  };
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
 * Copies the compiled stand-in to <nodeRoot>/opt/breakglass/standin.js, with a package.json that makes
 * node load it as the ES module it is.
 */
export function installStandin(nodeRoot: string): string {
  const dir = path.join(nodeRoot, STANDIN_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const target = path.join(dir, 'standin.js');
  writeIfChanged(target, fs.readFileSync(COMPILED_STANDIN, 'utf8'), 0o644);
  writeIfChanged(path.join(dir, 'package.json'), '{ "type": "module" }\n', 0o644);
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
  installStandin(nodeRoot);
  return LAB_COMPONENTS.filter((component) =>
    writeIfChanged(labManifestPath(nodeRoot, component), labManifest(component, options), MANIFEST_MODE),
  );
}
