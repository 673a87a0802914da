// Certificate expiry, like `kubeadm certs check-expiration`, read straight from the node's files with
// node:crypto's X509Certificate: kubeadm's leaf certificates and CAs under the pki directory, and the
// client certificate of each kubeconfig kubeadm writes (embedded client-certificate-data, or a
// client-certificate path), plus kubelet.conf, whose certificate kubelet rotates itself
// (/var/lib/kubelet/pki/kubelet-client-current.pem on a kubeadm node).
//
// Paths: pkiDir and kubeconfigDir are paths on this machine (already under the node root, as discover.ts
// gives them). A path inside a kubeconfig is a path on the node: an absolute one is resolved under `root`,
// a relative one against the kubeconfig's directory, and symlinks (kubelet-client-current.pem is one,
// often absolute) are followed inside the root as a chroot would.
//
// Never throws for a bad file: a file that is not there is 'missing' (the cluster may not use it:
// super-admin.conf before kubeadm 1.29, etcd's files with an external etcd); one that cannot be read or
// parsed is 'error', with the reason in plain words. Every string from a file (subjects, issuers, paths
// named in a kubeconfig) is sanitized or escaped for display.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import path from 'node:path';
import { parseDocument } from 'yaml';
import {
  CAS,
  type CertSpec,
  EXPIRY_WARNING_DAYS,
  KUBECONFIGS,
  type KubeconfigSpec,
  LEAF_CERTS,
} from '../node/kubeadm-pki.js';
import { readNodeFile } from '../node/root-fs.js';
import { escapeName, sanitizeLine } from '../util/sanitize.js';

export type CertStatus = 'ok' | 'warning' | 'expired' | 'not-yet-valid' | 'missing' | 'error';

export interface CertificateInfo {
  /** kubeadm's name: 'apiserver', 'etcd-server', 'ca', 'etcd-ca', 'admin.conf', ... and 'kubelet.conf'. */
  name: string;
  kind: 'certificate' | 'ca' | 'kubeconfig';
  /** The file read: the .crt, or the kubeconfig (escaped for display). */
  path: string;
  /**
   * Where a kubeconfig's certificate came from: null when embedded (client-certificate-data) or for a
   * .crt; otherwise the client-certificate path as resolved on this machine (escaped for display).
   */
  certificatePath: string | null;
  /** "CN=kube-apiserver", "O=system:masters, CN=kubernetes-super-admin" (sanitized). */
  subject: string | null;
  issuer: string | null;
  notBefore: Date | null;
  notAfter: Date | null;
  /** notAfter - now: negative once expired. */
  residualMs: number | null;
  status: CertStatus;
  /** Plain words when status is missing or error. */
  problem: string | null;
  /**
   * Whether the certificate is for the key beside it (<name>.key, or a kubeconfig's client-key-data);
   * null when there is no such key to compare (not there, unreadable, a path kubelet rotates).
   */
  keyMatches: boolean | null;
}

export interface ReadCertificatesOptions {
  /** e.g. /etc/kubernetes/pki, or <root>/etc/kubernetes/pki */
  pkiDir: string;
  /** e.g. /etc/kubernetes: where admin.conf and the others are. */
  kubeconfigDir: string;
  /** The node's root on this machine, for absolute paths inside kubeconfigs; default '/'. */
  root?: string;
  now?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Pure: what a validity window means at `now`. Warning inside EXPIRY_WARNING_DAYS of notAfter. */
export function certStatus(notBefore: Date, notAfter: Date, now: Date): CertStatus {
  const t = now.getTime();
  if (t < notBefore.getTime()) return 'not-yet-valid';
  if (t > notAfter.getTime()) return 'expired';
  if (notAfter.getTime() - t < EXPIRY_WARNING_DAYS * DAY_MS) return 'warning';
  return 'ok';
}

/**
 * kubeadm's certificates, CAs and kubeconfigs with their expiry, in check-expiration's order: leaf
 * certificates, the kubeconfigs (kubelet.conf last), then the CAs. Never throws for a bad file.
 */
export async function readCertificates(opts: ReadCertificatesOptions): Promise<CertificateInfo[]> {
  const now = opts.now ?? new Date();
  const root = path.resolve(opts.root ?? '/');
  const reader = new NodeFiles(root);
  const leaves = LEAF_CERTS.map((spec) => readCertFile(reader, opts.pkiDir, spec, now));
  const kubeconfigs = KUBECONFIGS.map((spec) => readKubeconfig(reader, opts.kubeconfigDir, spec, now));
  const cas = CAS.map((spec) => readCertFile(reader, opts.pkiDir, spec, now));
  return Promise.all([...leaves, ...kubeconfigs, ...cas]);
}

// ---------------------------------------------------------------------------------------------------
// Reading files under the root

type FileResult = { kind: 'text'; text: string } | { kind: 'missing' } | { kind: 'error'; reason: string };

/** Reads paths on this machine, following symlinks inside the root when the path is under it. */
class NodeFiles {
  constructor(private readonly root: string) {}

  /** A path on this machine (under the root or not). */
  readHost(hostPath: string): Promise<FileResult> {
    const relative = path.relative(this.root, path.resolve(hostPath));
    if (this.root !== '/' && !relative.startsWith('..') && !path.isAbsolute(relative))
      return readNodeFile(this.root, `/${relative}`);
    return readNodeFile('/', path.resolve(hostPath));
  }

  /** A path on the node (absolute), e.g. from a kubeconfig. */
  readNode(nodePath: string): Promise<FileResult> {
    return readNodeFile(this.root, nodePath);
  }

  hostPathOf(nodePath: string): string {
    return this.root === '/'
      ? path.resolve('/', nodePath)
      : path.join(this.root, path.resolve('/', nodePath));
  }
}

// ---------------------------------------------------------------------------------------------------
// Certificates

function blank(name: string, kind: CertificateInfo['kind'], file: string): CertificateInfo {
  return {
    name,
    kind,
    path: escapeName(file),
    certificatePath: null,
    subject: null,
    issuer: null,
    notBefore: null,
    notAfter: null,
    residualMs: null,
    status: 'error',
    problem: null,
    keyMatches: null,
  };
}

function missing(info: CertificateInfo, why?: string): CertificateInfo {
  return { ...info, status: 'missing', problem: why ? `not there (${why})` : 'not there' };
}

function failed(info: CertificateInfo, problem: string): CertificateInfo {
  return { ...info, status: 'error', problem: sanitizeLine(problem) };
}

async function readCertFile(
  reader: NodeFiles,
  pkiDir: string,
  spec: CertSpec,
  now: Date,
): Promise<CertificateInfo> {
  const file = path.join(pkiDir, `${spec.file}.crt`);
  const info = blank(spec.name, spec.kind, file);
  const read = await reader.readHost(file);
  if (read.kind === 'missing') return missing(info, spec.optional);
  if (read.kind === 'error') return failed(info, `cannot read it: ${read.reason}`);
  const withCert = withCertificate(info, read.text, now);
  const key = await reader.readHost(path.join(pkiDir, `${spec.file}.key`));
  return key.kind === 'text' ? { ...withCert, keyMatches: keyMatches(read.text, key.text) } : withCert;
}

/** Whether a PEM certificate is for a PEM private key; null when either does not parse. */
function keyMatches(certPem: string, keyPem: string): boolean | null {
  const block = PEM_CERTIFICATE.exec(certPem);
  if (!block) return null;
  try {
    return new X509Certificate(block[0]).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return null;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/;

/** The first certificate of a PEM text (a bundle, or cert and key in one file as kubelet writes them). */
function withCertificate(info: CertificateInfo, pem: string, now: Date): CertificateInfo {
  const block = PEM_CERTIFICATE.exec(pem);
  if (!block) {
    return failed(
      info,
      pem.trim() === '' ? 'the file is empty' : 'no PEM certificate in it (BEGIN CERTIFICATE)',
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block[0]);
  } catch (error) {
    return failed(info, `not a valid certificate: ${error instanceof Error ? error.message : String(error)}`);
  }
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime()))
    return failed(info, 'the certificate has no readable validity dates');
  return {
    ...info,
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    notBefore,
    notAfter,
    residualMs: notAfter.getTime() - now.getTime(),
    status: certStatus(notBefore, notAfter, now),
    problem: null,
  };
}

/** Node gives "O=system:masters\nCN=kubernetes-super-admin": one line, comma-separated, sanitized. */
function distinguishedName(text: string): string | null {
  const parts = text
    .split('\n')
    .map((part) => sanitizeLine(part).trim())
    .filter((part) => part !== '');
  return parts.length > 0 ? parts.join(', ') : null;
}

// ---------------------------------------------------------------------------------------------------
// Kubeconfigs

interface ClientCertificate {
  /** PEM text when embedded. */
  data?: string;
  /** The embedded client-key-data, as PEM text. */
  keyData?: string;
  /** The client-certificate path as written. */
  file?: string;
}

async function readKubeconfig(
  reader: NodeFiles,
  kubeconfigDir: string,
  spec: KubeconfigSpec,
  now: Date,
): Promise<CertificateInfo> {
  const file = path.join(kubeconfigDir, spec.name);
  const info = blank(spec.name, 'kubeconfig', file);
  const read = await reader.readHost(file);
  if (read.kind === 'missing') return missing(info, spec.optional);
  if (read.kind === 'error') return failed(info, `cannot read it: ${read.reason}`);
  const found = clientCertificate(read.text);
  if (typeof found === 'string') return failed(info, found);
  if (found.data !== undefined) {
    const withCert = withCertificate(info, found.data, now);
    return found.keyData === undefined
      ? withCert
      : { ...withCert, keyMatches: keyMatches(found.data, found.keyData) };
  }
  const named = found.file!;
  // kubectl's rule: a relative path is relative to the kubeconfig's directory.
  const certRead = path.isAbsolute(named)
    ? await reader.readNode(named)
    : await reader.readHost(path.resolve(path.dirname(file), named));
  const certHostPath = path.isAbsolute(named)
    ? reader.hostPathOf(named)
    : path.resolve(path.dirname(file), named);
  const withPath = { ...info, certificatePath: escapeName(certHostPath) };
  if (certRead.kind === 'missing')
    return failed(withPath, `its client certificate ${escapeName(certHostPath)} is not there`);
  if (certRead.kind === 'error')
    return failed(
      withPath,
      `cannot read its client certificate ${escapeName(certHostPath)}: ${certRead.reason}`,
    );
  return withCertificate(withPath, certRead.text, now);
}

/**
 * The client certificate of the current context's user (the only user when there is no current
 * context), or why there is none, in plain words.
 */
function clientCertificate(text: string): ClientCertificate | string {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const where = error.linePos?.[0] ? ` at line ${error.linePos[0].line}` : '';
    return `not a kubeconfig: YAML error${where}`;
  }
  const config: unknown = doc.toJS();
  if (!isObject(config)) return 'not a kubeconfig: not a YAML mapping';
  const users = Array.isArray(config.users) ? config.users.filter(isObject) : [];
  const contexts = Array.isArray(config.contexts) ? config.contexts.filter(isObject) : [];
  const currentName = typeof config['current-context'] === 'string' ? config['current-context'] : '';
  let userName: unknown;
  if (currentName !== '') {
    const current = contexts.find((c) => c.name === currentName);
    if (!current) return `its current-context ${quote(currentName)} is not among its contexts`;
    userName = isObject(current.context) ? current.context.user : undefined;
    if (typeof userName !== 'string') return `its current-context ${quote(currentName)} names no user`;
  } else if (users.length === 1) {
    userName = users[0]!.name;
  } else {
    return users.length === 0 ? 'it has no users' : 'it has no current-context and more than one user';
  }
  const entry = users.find((u) => u.name === userName);
  if (!entry) return `its user ${quote(String(userName))} is not among its users`;
  const user = isObject(entry.user) ? entry.user : {};
  const data = user['client-certificate-data'];
  if (typeof data === 'string' && data.trim() !== '') {
    const decoded = Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8');
    const key = user['client-key-data'];
    return typeof key === 'string' && key.trim() !== ''
      ? { data: decoded, keyData: Buffer.from(key.replace(/\s+/g, ''), 'base64').toString('utf8') }
      : { data: decoded };
  }
  const file = user['client-certificate'];
  if (typeof file === 'string' && file.trim() !== '') return { file: file.trim() };
  return `its user ${quote(String(userName))} has no client certificate (token or exec credentials?)`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(name: string): string {
  return `"${escapeName(name.length > 100 ? `${name.slice(0, 100)}…` : name)}"`;
}
