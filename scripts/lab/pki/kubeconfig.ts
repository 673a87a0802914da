// The kubeconfig files in /etc/kubernetes, each with its client certificate embedded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Log } from '../packages.js';
import { certPath, KEY_MODE, keyPath, labKubeconfigPath, labPkiDir, writeAtomically } from './files.js';
import { issueCertificate, leafExtensions, newPrivateKey, withTempDir } from './openssl.js';
import { type KubeconfigSpec, LEAF_DAYS } from './specs.js';

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
export function ensureKubeconfig(nodeRoot: string, spec: KubeconfigSpec, server: string, log: Log): void {
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
