// The lab node's PKI, made with the openssl CLI in kubeadm's layout and with kubeadm's names and
// subjects: /etc/kubernetes/pki (CAs, serving and client certificates, the service-account key pair)
// and the kubeconfig files in /etc/kubernetes, each with its client certificate embedded.
// Idempotent: a key, certificate or kubeconfig that exists is reused.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { labPorts } from './node.js';
import type { Log } from './packages.js';

export interface LabPkiOptions {
  nodeName: string;
  portOffset: number;
  log: Log;
}

const KEY_BITS = '2048';
const LEAF_DAYS = 365;
const CA_DAYS = 3650;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
/** The first address of kubeadm's default service range (10.96.0.0/12): the `kubernetes` service. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';

type CaName = 'ca' | 'front-proxy-ca' | 'etcd/ca';
type Usage = 'server' | 'client' | 'server-and-client';

interface CaSpec {
  name: CaName;
  commonName: string;
}

interface LeafSpec {
  /** The file name under pki/ without .crt/.key. */
  name: string;
  ca: CaName;
  /** OpenSSL's -subj form, O before CN as kubeadm orders it: `/O=x/CN=y`. */
  subject: string;
  usage: Usage;
  dnsNames?: string[];
  ipAddresses?: string[];
}

interface KubeconfigSpec {
  /** admin -> /etc/kubernetes/admin.conf */
  file: string;
  userName: string;
  subject: string;
}

const CAS: CaSpec[] = [
  { name: 'ca', commonName: 'kubernetes' },
  { name: 'front-proxy-ca', commonName: 'front-proxy-ca' },
  { name: 'etcd/ca', commonName: 'etcd-ca' },
];

/** The CA that signs each leaf, whatever the node: writeExpiredCertificate needs it without a node name. */
const LEAF_CA = {
  apiserver: 'ca',
  'apiserver-kubelet-client': 'ca',
  'apiserver-etcd-client': 'etcd/ca',
  'front-proxy-client': 'front-proxy-ca',
  'etcd/server': 'etcd/ca',
  'etcd/peer': 'etcd/ca',
  'etcd/healthcheck-client': 'etcd/ca',
} as const satisfies Record<string, CaName>;

export type LabLeafName = keyof typeof LEAF_CA;

function leafSpecs(nodeName: string): LeafSpec[] {
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

function kubeconfigSpecs(nodeName: string): KubeconfigSpec[] {
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

// ---------------------------------------------------------------------------------------------
// Paths

export function labPkiDir(nodeRoot: string): string {
  return path.join(nodeRoot, 'etc/kubernetes/pki');
}

export function labKubeconfigPath(nodeRoot: string, file: string): string {
  return path.join(nodeRoot, 'etc/kubernetes', `${file}.conf`);
}

function certPath(pki: string, name: string): string {
  return path.join(pki, `${name}.crt`);
}

function keyPath(pki: string, name: string): string {
  return path.join(pki, `${name}.key`);
}

// ---------------------------------------------------------------------------------------------
// openssl

function openssl(args: string[], input?: string): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8', input, timeout: 60_000 });
  if (result.error) throw new Error(`openssl ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

function withTempDir<T>(use: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakglass-pki-'));
  try {
    return use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Written beside the target and renamed in: a reader never sees half a key or certificate. */
function writeAtomically(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temp, content, { mode });
  fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
}

/** PKCS#1 (`BEGIN RSA PRIVATE KEY`), as kubeadm writes its keys. */
function newPrivateKey(): string {
  return openssl(['genrsa', '-traditional', KEY_BITS]);
}

function randomSerial(): string {
  return `0x${randomBytes(8).toString('hex')}`;
}

const USAGE_EXTENSIONS: Record<Usage, string> = {
  server: 'serverAuth',
  client: 'clientAuth',
  'server-and-client': 'serverAuth, clientAuth',
};

/** -subj gives the subject; req still wants a distinguished_name section to exist. */
const REQ_SECTION = ['[req]', 'distinguished_name = dn', '[dn]'];

function caExtensions(): string {
  return [
    ...REQ_SECTION,
    '[ext]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

function leafExtensions(usage: Usage, dnsNames: string[] = [], ipAddresses: string[] = []): string {
  const sans = [...dnsNames.map((n) => `DNS:${n}`), ...ipAddresses.map((ip) => `IP:${ip}`)];
  return [
    ...REQ_SECTION,
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    `extendedKeyUsage = ${USAGE_EXTENSIONS[usage]}`,
    'authorityKeyIdentifier = keyid',
    ...(sans.length > 0 ? [`subjectAltName = ${sans.join(', ')}`] : []),
    '',
  ].join('\n');
}

interface Signer {
  certFile: string;
  keyFile: string;
}

/** A certificate for keyFile: self-signed when signer is null. */
function issueCertificate(
  keyFile: string,
  subject: string,
  extensions: string,
  days: number,
  signer: Signer | null,
): string {
  return withTempDir((dir) => {
    const extFile = path.join(dir, 'ext.cnf');
    fs.writeFileSync(extFile, extensions);
    const request = openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-config', extFile]);
    const signing = signer ? ['-CA', signer.certFile, '-CAkey', signer.keyFile] : ['-signkey', keyFile];
    return openssl(
      [
        'x509',
        '-req',
        ...signing,
        '-set_serial',
        randomSerial(),
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        extFile,
        '-extensions',
        'ext',
      ],
      request,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Ensuring

function ensureKey(file: string): void {
  if (!fs.existsSync(file)) writeAtomically(file, newPrivateKey(), KEY_MODE);
}

function ensureCa(pki: string, ca: CaSpec, log: Log): void {
  const certFile = certPath(pki, ca.name);
  const keyFile = keyPath(pki, ca.name);
  ensureKey(keyFile);
  if (fs.existsSync(certFile)) return;
  const cert = issueCertificate(keyFile, `/CN=${ca.commonName}`, caExtensions(), CA_DAYS, null);
  writeAtomically(certFile, cert, CERT_MODE);
  log(`pki: ${ca.name}.crt (CN=${ca.commonName})`);
}

function ensureLeaf(pki: string, leaf: LeafSpec, log: Log): void {
  const certFile = certPath(pki, leaf.name);
  const keyFile = keyPath(pki, leaf.name);
  ensureKey(keyFile);
  if (fs.existsSync(certFile)) return;
  const signer = { certFile: certPath(pki, leaf.ca), keyFile: keyPath(pki, leaf.ca) };
  const extensions = leafExtensions(leaf.usage, leaf.dnsNames, leaf.ipAddresses);
  writeAtomically(
    certFile,
    issueCertificate(keyFile, leaf.subject, extensions, LEAF_DAYS, signer),
    CERT_MODE,
  );
  log(`pki: ${leaf.name}.crt (${leaf.subject})`);
}

/** sa.key and sa.pub: the key pair that signs and verifies service-account tokens. */
function ensureServiceAccountKeys(pki: string): void {
  const keyFile = path.join(pki, 'sa.key');
  const publicFile = path.join(pki, 'sa.pub');
  ensureKey(keyFile);
  if (!fs.existsSync(publicFile)) {
    writeAtomically(publicFile, openssl(['rsa', '-in', keyFile, '-pubout']), CERT_MODE);
  }
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

export function kubeconfigText(
  spec: { userName: string },
  server: string,
  pem: { ca: string; cert: string; key: string },
): string {
  const context = `${spec.userName}@kubernetes`;
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${base64(pem.ca)}`,
    `    server: ${server}`,
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    `    user: ${spec.userName}`,
    `  name: ${context}`,
    `current-context: ${context}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${spec.userName}`,
    '  user:',
    `    client-certificate-data: ${base64(pem.cert)}`,
    `    client-key-data: ${base64(pem.key)}`,
    '',
  ].join('\n');
}

const SERVER_LINE = /^( {4}server: ).*$/m;

/** A kubeconfig that exists keeps its credentials; only a server address of another port offset is fixed. */
function ensureKubeconfig(nodeRoot: string, spec: KubeconfigSpec, server: string, log: Log): void {
  const file = labKubeconfigPath(nodeRoot, spec.file);
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    const updated = text.replace(SERVER_LINE, `$1${server}`);
    if (updated !== text) writeAtomically(file, updated, KEY_MODE);
    return;
  }
  const pki = labPkiDir(nodeRoot);
  const signer = { certFile: certPath(pki, 'ca'), keyFile: keyPath(pki, 'ca') };
  const pem = withTempDir((dir) => {
    const keyFile = path.join(dir, 'client.key');
    fs.writeFileSync(keyFile, newPrivateKey(), { mode: KEY_MODE });
    const cert = issueCertificate(keyFile, spec.subject, leafExtensions('client'), LEAF_DAYS, signer);
    return { ca: fs.readFileSync(signer.certFile, 'utf8'), cert, key: fs.readFileSync(keyFile, 'utf8') };
  });
  writeAtomically(file, kubeconfigText(spec, server, pem), KEY_MODE);
  log(`pki: ${path.basename(file)} (${spec.subject})`);
}

/** kubeadm's certificates and kubeconfigs under <nodeRoot>/etc/kubernetes; what exists is reused. */
export function ensureLabPki(nodeRoot: string, { nodeName, portOffset, log }: LabPkiOptions): void {
  const pki = labPkiDir(nodeRoot);
  fs.mkdirSync(path.join(pki, 'etcd'), { recursive: true, mode: 0o755 });
  for (const ca of CAS) ensureCa(pki, ca, log);
  for (const leaf of leafSpecs(nodeName)) ensureLeaf(pki, leaf, log);
  ensureServiceAccountKeys(pki);
  const server = `https://127.0.0.1:${labPorts(portOffset).apiserver}`;
  for (const spec of kubeconfigSpecs(nodeName)) ensureKubeconfig(nodeRoot, spec, server, log);
}

// ---------------------------------------------------------------------------------------------
// The expired-certificate fault

const DAY_MS = 24 * 60 * 60 * 1000;

/** OpenSSL's `openssl ca -startdate/-enddate` form: YYYYMMDDHHMMSSZ. */
function opensslTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function throwawayCaConfig(dir: string): string {
  const database = path.join(dir, 'index.txt');
  const serial = path.join(dir, 'serial');
  fs.writeFileSync(database, '');
  fs.writeFileSync(serial, `${randomBytes(8).toString('hex')}\n`);
  const config = path.join(dir, 'ca.cnf');
  fs.writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = lab',
      '[lab]',
      `database = ${database}`,
      `serial = ${serial}`,
      `new_certs_dir = ${dir}`,
      'default_md = sha256',
      'policy = any_subject',
      'copy_extensions = copyall',
      'unique_subject = no',
      'email_in_dn = no',
      '[any_subject]',
      'organizationName = optional',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  return config;
}

/**
 * Re-issues pki/<name>.crt with its own key, subject and extensions (SANs included), signed by its CA,
 * valid from a year ago until yesterday. Returns the certificate's path. The caller keeps the original
 * to heal: nothing here can make the expired certificate valid again.
 */
export function writeExpiredCertificate(nodeRoot: string, name: LabLeafName = 'apiserver'): string {
  const ca: CaName | undefined = LEAF_CA[name];
  if (!ca) throw new Error(`no lab certificate named ${name}: one of ${Object.keys(LEAF_CA).join(', ')}`);
  const pki = labPkiDir(nodeRoot);
  const certFile = certPath(pki, name);
  const keyFile = keyPath(pki, name);
  const now = Date.now();
  const expired = withTempDir((dir) => {
    const request = path.join(dir, 'request.csr');
    openssl([
      'x509',
      '-x509toreq',
      '-in',
      certFile,
      '-signkey',
      keyFile,
      '-copy_extensions',
      'copyall',
      '-out',
      request,
    ]);
    const out = path.join(dir, 'expired.crt');
    openssl([
      'ca',
      '-batch',
      '-notext',
      '-preserveDN',
      '-config',
      throwawayCaConfig(dir),
      '-cert',
      certPath(pki, ca),
      '-keyfile',
      keyPath(pki, ca),
      '-startdate',
      opensslTime(new Date(now - 366 * DAY_MS)),
      '-enddate',
      opensslTime(new Date(now - DAY_MS)),
      '-in',
      request,
      '-out',
      out,
    ]);
    return fs.readFileSync(out, 'utf8');
  });
  writeAtomically(certFile, expired, CERT_MODE);
  return certFile;
}
