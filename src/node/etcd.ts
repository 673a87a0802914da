// Where etcd keeps its data and serves its metrics, from its own manifest.
import * as path from 'node:path';
import type { ManifestDirSnapshot, PodManifest } from '../sources/manifests/types.js';
import type { Located } from './discover.js';
import { rootPath } from './discover.js';

/** etcd's data directory, from the etcd manifest's own --data-dir (or its etcd-data hostPath volume). */
export function etcdDataDir(
  root: string,
  manifests: ManifestDirSnapshot,
  holding: ManifestDirSnapshot | null,
  explicit?: string,
): Located<string> {
  if (explicit !== undefined) return { value: path.resolve(explicit), source: '--etcd-data-dir flag' };
  const files = [...manifests.files, ...(holding?.files ?? [])];
  for (const file of files) {
    for (const pod of file.pods) {
      const etcd = pod.containers.find((c) => c.name === 'etcd' || /(^|\/)etcd$/.test(c.argv[0] ?? ''));
      if (!etcd) continue;
      const flag = etcd.flags['data-dir'];
      if (flag) return { value: rootPath(root, flag), source: `--data-dir in ${file.displayName}` };
      const volume = pod.hostPathVolumes.find((v) => v.name === 'etcd-data');
      if (volume)
        return { value: rootPath(root, volume.path), source: `etcd-data volume in ${file.displayName}` };
    }
  }
  return { value: rootPath(root, '/var/lib/etcd'), source: 'kubeadm default (no etcd manifest names one)' };
}

/** etcd's own pod among manifest files (the enabled one first): a container named etcd, or running etcd. */
export function findEtcdPod(
  manifests: ManifestDirSnapshot,
  holding: ManifestDirSnapshot | null,
): PodManifest | null {
  for (const file of [...manifests.files, ...(holding?.files ?? [])]) {
    for (const pod of file.pods) if (isEtcdPod(pod)) return pod;
  }
  return null;
}

export function isEtcdPod(pod: PodManifest): boolean {
  return pod.containers.some((c) => c.name === 'etcd' || /(^|\/)etcd$/.test(c.argv[0] ?? ''));
}

/** The flags of etcd's own container in its pod (kubeadm's is named etcd; else the first). */
export function etcdFlagsOf(pod: PodManifest): Record<string, string> {
  return pod.containers.find((c) => c.name === 'etcd')?.flags ?? pod.containers[0]?.flags ?? {};
}

/** etcd's --listen-metrics-urls (kubeadm: http://127.0.0.1:2381), as its manifest gives it; '' when unset. */
export function etcdMetricsFlag(pod: PodManifest): string {
  return etcdFlagsOf(pod)['listen-metrics-urls'] ?? '';
}

/** How breakglass reaches this node's etcd member: its client URL and the certificates kubeadm leaves. */
export interface EtcdAccess {
  /** host:port of the client URL. */
  address: string;
  url: string;
  /** Where the URL came from, for the operator. */
  source: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** --listen-metrics-urls as the manifest gives it ('' when unset): this member's raft links to its peers. */
  metricsFlag: string;
}

/**
 * The member's client URL from its manifest: a loopback one of --listen-client-urls first (kubeadm
 * listens on https://127.0.0.1:2379 too), else its --advertise-client-urls; the client certificate
 * kubeadm makes for health checks (pki/etcd/healthcheck-client), else the API server's.
 */
export function etcdAccess(pod: PodManifest, pkiDir: string, exists: (file: string) => boolean): EtcdAccess {
  const flags = etcdFlagsOf(pod);
  const listen = splitUrls(flags['listen-client-urls']);
  const advertise = splitUrls(
    flags['advertise-client-urls'] ?? pod.annotations['kubeadm.kubernetes.io/etcd.advertise-client-urls'],
  );
  const loopback = listen.find((u) => isLoopbackUrl(u));
  const [url, source] = loopback
    ? [loopback, '--listen-client-urls']
    : advertise[0]
      ? [advertise[0], '--advertise-client-urls']
      : ['https://127.0.0.1:2379', "kubeadm's default"];
  const healthcheck = path.join(pkiDir, 'etcd/healthcheck-client');
  const apiserver = path.join(pkiDir, 'apiserver-etcd-client');
  const client = exists(`${healthcheck}.crt`) || !exists(`${apiserver}.crt`) ? healthcheck : apiserver;
  return {
    address: new URL(url).host,
    url,
    source: `${source} in the etcd manifest`,
    caFile: path.join(pkiDir, 'etcd/ca.crt'),
    certFile: `${client}.crt`,
    keyFile: `${client}.key`,
    metricsFlag: etcdMetricsFlag(pod),
  };
}

function splitUrls(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => /^https?:\/\//.test(u));
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}
