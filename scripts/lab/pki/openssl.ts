// Keys and certificates made with the openssl CLI: PKCS#1 keys, and certificates with kubeadm's
// extensions, self-signed or signed by a CA.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Usage } from './specs.js';

const KEY_BITS = '2048';

export function openssl(args: string[], input?: string): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8', input, timeout: 60_000 });
  if (result.error) throw new Error(`openssl ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

export function withTempDir<T>(use: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakglass-pki-'));
  try {
    return use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** PKCS#1 (`BEGIN RSA PRIVATE KEY`), as kubeadm writes its keys. */
export function newPrivateKey(): string {
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

export function caExtensions(): string {
  return [
    ...REQ_SECTION,
    '[ext]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

export function leafExtensions(usage: Usage, dnsNames: string[] = [], ipAddresses: string[] = []): string {
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

export interface Signer {
  certFile: string;
  keyFile: string;
}

/** A certificate for keyFile: self-signed when signer is null. */
export function issueCertificate(
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
