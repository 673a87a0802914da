// Where the API server answers its health probe. Whether it answers matters most when its pod is not
// running: then it is probed at the address its (disabled) manifest names, else kubeadm's.
import type { HealthEndpoint, PodManifest } from '../sources/manifests/types.js';

export const API_SERVER_POD = 'kube-apiserver';

/** kubeadm's: the API server's /livez on the node, port 6443, over HTTPS. */
export const KUBEADM_APISERVER_LIVEZ: HealthEndpoint = {
  probe: 'liveness',
  scheme: 'HTTPS',
  host: '127.0.0.1',
  port: 6443,
  path: '/livez',
};

/** The probe of the API server among the enabled pods, else in the holding directory, else kubeadm's. */
export function apiServerProbe(enabled: PodManifest[], held: PodManifest[]): HealthEndpoint {
  const find = (pods: PodManifest[]) => pods.find((p) => p.name === API_SERVER_POD)?.health ?? null;
  return find(enabled) ?? find(held) ?? KUBEADM_APISERVER_LIVEZ;
}
