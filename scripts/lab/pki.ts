// The lab node's PKI, made with the openssl CLI in kubeadm's layout and with kubeadm's names and
// subjects: /etc/kubernetes/pki (CAs, serving and client certificates, the service-account key pair)
// and the kubeconfig files in /etc/kubernetes, each with its client certificate embedded.
// Idempotent: a key, certificate or kubeconfig that exists is reused.
//
// The parts are in pki/: specs.ts (what kubeadm issues), files.ts (where each file lives), openssl.ts (keys
// and certificates), kubeconfig.ts (the kubeconfig files), expired.ts (the expired-certificate fault).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { labPorts } from './node.js';
import type { Log } from './packages.js';
import { CERT_MODE, certPath, KEY_MODE, keyPath, labPkiDir, writeAtomically } from './pki/files.js';
import { ensureKubeconfig } from './pki/kubeconfig.js';
import { caExtensions, issueCertificate, leafExtensions, newPrivateKey, openssl } from './pki/openssl.js';
import {
  CA_DAYS,
  CAS,
  type CaSpec,
  kubeconfigSpecs,
  LEAF_DAYS,
  type LeafSpec,
  leafSpecs,
} from './pki/specs.js';

export interface LabPkiOptions {
  nodeName: string;
  portOffset: number;
  log: Log;
}

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
