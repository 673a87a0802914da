// Fake node filesystems for discovery: node paths (absolute) mapped to file contents under a temp root,
// and a node as kubeadm leaves it, with the kubelet unit from the deb package.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const KUBELET_SERVICE = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Wants=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always

[Install]
WantedBy=multi-user.target
`;

// As shipped by the kubeadm deb package.
export const KUBEADM_DROP_IN = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`;

export const KUBEADM_FLAGS =
  'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"\n';

export function kubeletConfig(extra: string): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
${extra}
`;
}

function writeNodeFile(root: string, nodePath: string, text: string): void {
  const hostPath = path.join(root, nodePath);
  fs.mkdirSync(path.dirname(hostPath), { recursive: true });
  fs.writeFileSync(hostPath, text);
}

/** Roots made by one test file, removed together by removeAll (its after hook). */
export function fakeNodeRoots() {
  const roots: string[] = [];
  /** A fake node filesystem: node paths (absolute) mapped to file contents. */
  const makeRoot = (files: Record<string, string> = {}): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'breakglass-node-'));
    roots.push(root);
    for (const [nodePath, text] of Object.entries(files)) writeNodeFile(root, nodePath, text);
    return root;
  };
  /** A node as kubeadm leaves it, with the unit from the deb package. */
  const kubeadmNode = (overrides: Record<string, string> = {}): string =>
    makeRoot({
      '/usr/lib/systemd/system/kubelet.service': KUBELET_SERVICE,
      '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf': KUBEADM_DROP_IN,
      '/var/lib/kubelet/kubeadm-flags.env': KUBEADM_FLAGS,
      '/var/lib/kubelet/config.yaml': kubeletConfig('staticPodPath: /etc/kubernetes/static'),
      ...overrides,
    });
  const removeAll = () => {
    for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  };
  return { makeRoot, kubeadmNode, removeAll };
}
