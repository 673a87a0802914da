// Where kubeadm keeps the cluster's certificates and kubeconfigs on a control-plane node, and when
// `kubeadm certs check-expiration` starts warning.

/** kubeadm warns about a certificate that expires within this many days. */
export const EXPIRY_WARNING_DAYS = 30;

export interface CertSpec {
  name: string;
  kind: 'certificate' | 'ca';
  /** Under pkiDir, without .crt (and .key) */
  file: string;
  /** Why it may legitimately be absent. */
  optional?: string;
  /** A leaf's CA: its file under pkiDir, without .crt and .key. */
  signer?: string;
}

export interface KubeconfigSpec {
  name: string;
  optional?: string;
  /**
   * Whether `kubeadm certs renew` renews its embedded client certificate (signed by the cluster CA).
   * kubelet.conf's is kubelet's to rotate ("delegated to kubelet").
   */
  renewable: boolean;
}

const EXTERNAL_ETCD = 'with an external etcd, kubeadm writes no etcd certificates';

/** kubeadm's own list (cmd/kubeadm/app/phases/certs), in check-expiration's order. */
export const LEAF_CERTS: CertSpec[] = [
  { name: 'apiserver', kind: 'certificate', file: 'apiserver', signer: 'ca' },
  {
    name: 'apiserver-etcd-client',
    kind: 'certificate',
    file: 'apiserver-etcd-client',
    optional: 'with an external etcd, its client certificate is not kubeadm-managed',
    signer: 'etcd/ca',
  },
  { name: 'apiserver-kubelet-client', kind: 'certificate', file: 'apiserver-kubelet-client', signer: 'ca' },
  {
    name: 'etcd-healthcheck-client',
    kind: 'certificate',
    file: 'etcd/healthcheck-client',
    optional: EXTERNAL_ETCD,
    signer: 'etcd/ca',
  },
  { name: 'etcd-peer', kind: 'certificate', file: 'etcd/peer', optional: EXTERNAL_ETCD, signer: 'etcd/ca' },
  {
    name: 'etcd-server',
    kind: 'certificate',
    file: 'etcd/server',
    optional: EXTERNAL_ETCD,
    signer: 'etcd/ca',
  },
  { name: 'front-proxy-client', kind: 'certificate', file: 'front-proxy-client', signer: 'front-proxy-ca' },
];

export const CAS: CertSpec[] = [
  { name: 'ca', kind: 'ca', file: 'ca' },
  { name: 'etcd-ca', kind: 'ca', file: 'etcd/ca', optional: EXTERNAL_ETCD },
  { name: 'front-proxy-ca', kind: 'ca', file: 'front-proxy-ca' },
];

export const KUBECONFIGS: KubeconfigSpec[] = [
  { name: 'admin.conf', renewable: true },
  { name: 'controller-manager.conf', renewable: true },
  { name: 'scheduler.conf', renewable: true },
  {
    name: 'super-admin.conf',
    optional: 'clusters made before kubeadm 1.29 have no super-admin.conf',
    renewable: true,
  },
  { name: 'kubelet.conf', renewable: false },
];

/** The files of one certificate kubeadm renews, on this machine: a leaf's .crt and .key, or a kubeconfig. */
export interface RenewFiles {
  /** kubeadm's name: 'apiserver', 'etcd-server', 'admin.conf'. */
  name: string;
  kind: 'certificate' | 'kubeconfig';
  certFile: string | null;
  keyFile: string | null;
  kubeconfig: string | null;
  /** The signing CA's certificate and key. */
  caCertFile: string;
  caKeyFile: string;
}

/** The CA that signs the kubeconfigs' client certificates. */
export const KUBECONFIG_SIGNER = 'ca';
