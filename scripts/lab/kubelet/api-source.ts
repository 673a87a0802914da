// The API server source: "all sources ready" once the API server of kubelet.conf has answered.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { rootPath } from '../../../src/node/root-fs.js';
import { errorText, klog } from './log.js';
import { isRecord } from './records.js';

const API_PROBE_TIMEOUT_MS = 2_000;
const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';

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
export class SourcesReadiness {
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
