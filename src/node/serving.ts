// Where each control-plane component serves TLS, and with which certificate file, read from its flags:
// the API server, the controller manager and the scheduler (--secure-port, --tls-cert-file, on
// --bind-address or loopback), etcd's clients and peers (--listen-client-urls with --cert-file,
// --listen-peer-urls with --peer-cert-file). Only loopback and unspecified addresses are kept: breakglass
// asks nothing of another host. Pure.
import type { ContainerSpec } from '../sources/manifests/types.js';

export interface ServingEndpoint {
  pod: string;
  /** The certificate file the flags name, as a path on the node. */
  certFile: string;
  host: string;
  port: number;
}

const SECURE_PORT_DEFAULTS: Record<string, number> = {
  'kube-apiserver': 6443,
  'kube-controller-manager': 10257,
  'kube-scheduler': 10259,
};

export function servingEndpoints(pod: string, containers: readonly ContainerSpec[]): ServingEndpoint[] {
  const out: ServingEndpoint[] = [];
  for (const c of containers) {
    const f = c.flags;
    const cert = f['tls-cert-file'];
    if (cert && pod in SECURE_PORT_DEFAULTS) {
      const port = Number(f['secure-port'] ?? SECURE_PORT_DEFAULTS[pod]);
      const host = loopbackFor(f['bind-address'] ?? '0.0.0.0');
      if (host && Number.isInteger(port) && port > 0) out.push({ pod, certFile: cert, host, port });
    }
    if (f['cert-file'] && f['listen-client-urls'])
      out.push(...fromUrls(pod, f['cert-file'], f['listen-client-urls']));
    if (f['peer-cert-file'] && f['listen-peer-urls'])
      out.push(...fromUrls(pod, f['peer-cert-file'], f['listen-peer-urls']));
  }
  return out;
}

/** The first https URL of a list that this node answers on loopback. */
function fromUrls(pod: string, certFile: string, urls: string): ServingEndpoint[] {
  for (const text of urls.split(',')) {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      continue;
    }
    if (url.protocol !== 'https:') continue;
    const host = loopbackFor(url.hostname.replace(/^\[|\]$/g, ''));
    const port = Number(url.port);
    if (host && port > 0) return [{ pod, certFile, host, port }];
  }
  return [];
}

/** The loopback address to ask for a listener on `bind`; null for another host's address. */
function loopbackFor(bind: string): string | null {
  if (bind === '0.0.0.0' || bind === '' || bind === 'localhost' || bind.startsWith('127.'))
    return bind.startsWith('127.') ? bind : '127.0.0.1';
  if (bind === '::' || bind === '::1') return '::1';
  return null;
}
