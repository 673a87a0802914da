// Which systemd unit runs the container runtime on a kubeadm node, from the runtime's endpoint.

export function runtimeUnitFor(endpoint: string | null, kind: 'docker' | 'cri' | null): string | null {
  if (!endpoint) return kind === 'docker' ? 'docker.service' : null;
  if (endpoint.includes('cri-dockerd')) return 'cri-docker.service';
  if (endpoint.includes('crio')) return 'crio.service';
  if (endpoint.includes('containerd')) return 'containerd.service';
  if (endpoint.includes('docker')) return 'docker.service';
  return null;
}
