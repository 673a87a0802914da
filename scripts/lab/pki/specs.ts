// What the lab's PKI holds, as kubeadm issues it: the CAs, the leaf certificates (subjects, usages, SANs),
// the kubeconfigs' users, and how long each is valid.
export const LEAF_DAYS = 365;
export const CA_DAYS = 3650;
/** The first address of kubeadm's default service range (10.96.0.0/12): the `kubernetes` service. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';

export type CaName = 'ca' | 'front-proxy-ca' | 'etcd/ca';
export type Usage = 'server' | 'client' | 'server-and-client';

export interface CaSpec {
  name: CaName;
  commonName: string;
}

export interface LeafSpec {
  /** The file name under pki/ without .crt/.key. */
  name: string;
  ca: CaName;
  /** OpenSSL's -subj form, O before CN as kubeadm orders it: `/O=x/CN=y`. */
  subject: string;
  usage: Usage;
  dnsNames?: string[];
  ipAddresses?: string[];
}

export interface KubeconfigSpec {
  /** admin -> /etc/kubernetes/admin.conf */
  file: string;
  userName: string;
  subject: string;
}

export const CAS: CaSpec[] = [
  { name: 'ca', commonName: 'kubernetes' },
  { name: 'front-proxy-ca', commonName: 'front-proxy-ca' },
  { name: 'etcd/ca', commonName: 'etcd-ca' },
];

/** The CA that signs each leaf, whatever the node: writeExpiredCertificate needs it without a node name. */
export const LEAF_CA = {
  apiserver: 'ca',
  'apiserver-kubelet-client': 'ca',
  'apiserver-etcd-client': 'etcd/ca',
  'front-proxy-client': 'front-proxy-ca',
  'etcd/server': 'etcd/ca',
  'etcd/peer': 'etcd/ca',
  'etcd/healthcheck-client': 'etcd/ca',
} as const satisfies Record<string, CaName>;

export type LabLeafName = keyof typeof LEAF_CA;

export function leafSpecs(nodeName: string): LeafSpec[] {
  const etcdNames = { dnsNames: ['localhost', nodeName], ipAddresses: ['127.0.0.1', '::1'] };
  const leaves: (Omit<LeafSpec, 'ca' | 'name'> & { name: LabLeafName })[] = [
    {
      name: 'apiserver',
      subject: '/CN=kube-apiserver',
      usage: 'server',
      dnsNames: [
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        'localhost',
        nodeName,
      ],
      ipAddresses: [KUBERNETES_SERVICE_IP, '127.0.0.1'],
    },
    {
      name: 'apiserver-kubelet-client',
      subject: '/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client',
      usage: 'client',
    },
    { name: 'apiserver-etcd-client', subject: '/CN=kube-apiserver-etcd-client', usage: 'client' },
    { name: 'front-proxy-client', subject: '/CN=front-proxy-client', usage: 'client' },
    { name: 'etcd/server', subject: `/CN=${nodeName}`, usage: 'server-and-client', ...etcdNames },
    { name: 'etcd/peer', subject: `/CN=${nodeName}`, usage: 'server-and-client', ...etcdNames },
    { name: 'etcd/healthcheck-client', subject: '/CN=kube-etcd-healthcheck-client', usage: 'client' },
  ];
  return leaves.map((leaf) => ({ ...leaf, ca: LEAF_CA[leaf.name] }));
}

export function kubeconfigSpecs(nodeName: string): KubeconfigSpec[] {
  return [
    {
      file: 'admin',
      userName: 'kubernetes-admin',
      subject: '/O=kubeadm:cluster-admins/CN=kubernetes-admin',
    },
    {
      file: 'super-admin',
      userName: 'kubernetes-super-admin',
      subject: '/O=system:masters/CN=kubernetes-super-admin',
    },
    {
      file: 'controller-manager',
      userName: 'system:kube-controller-manager',
      subject: '/CN=system:kube-controller-manager',
    },
    { file: 'scheduler', userName: 'system:kube-scheduler', subject: '/CN=system:kube-scheduler' },
    {
      file: 'kubelet',
      userName: `system:node:${nodeName}`,
      subject: `/O=system:nodes/CN=system:node:${nodeName}`,
    },
  ];
}
