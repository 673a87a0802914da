// The certificate faults: a leaf re-issued by its own CA with a validity that ended yesterday (expired),
// or that starts tomorrow (not yet valid: what a node whose clock is behind sees).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CERT_MODE, certPath, keyPath, labPkiDir, writeAtomically } from './files.js';
import { openssl, withTempDir } from './openssl.js';
import { type CaName, type LabLeafName, LEAF_CA } from './specs.js';

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
  const now = Date.now();
  return reissueCertificate(nodeRoot, name, new Date(now - 366 * DAY_MS), new Date(now - DAY_MS));
}

/** The same, valid from tomorrow for a year: to this node's clock, not valid yet. */
export function writeNotYetValidCertificate(nodeRoot: string, name: LabLeafName = 'apiserver'): string {
  const now = Date.now();
  return reissueCertificate(nodeRoot, name, new Date(now + DAY_MS), new Date(now + 366 * DAY_MS));
}

function reissueCertificate(nodeRoot: string, name: LabLeafName, from: Date, until: Date): string {
  const ca: CaName | undefined = LEAF_CA[name];
  if (!ca) throw new Error(`no lab certificate named ${name}: one of ${Object.keys(LEAF_CA).join(', ')}`);
  const pki = labPkiDir(nodeRoot);
  const certFile = certPath(pki, name);
  const reissued = reissued_(pki, ca, certFile, keyPath(pki, name), from, until);
  writeAtomically(certFile, reissued, CERT_MODE);
  return certFile;
}

const DATA_LINE = (key: string) => new RegExp(`^(\\s*${key}: )(\\S+)$`, 'm');

/**
 * The client certificate embedded in /etc/kubernetes/<name>.conf re-issued by the cluster CA with the
 * same key and subject, valid from a year ago until yesterday.
 */
export function writeExpiredKubeconfig(nodeRoot: string, name: string): string {
  const file = path.join(nodeRoot, 'etc/kubernetes', `${name}.conf`);
  const text = fs.readFileSync(file, 'utf8');
  const data = (key: string) => {
    const m = DATA_LINE(key).exec(text);
    if (!m) throw new Error(`${file} has no ${key}`);
    return Buffer.from(m[2]!, 'base64').toString('utf8');
  };
  const now = Date.now();
  const cert = withTempDir((dir) => {
    const certFile = path.join(dir, 'client.crt');
    const keyFile = path.join(dir, 'client.key');
    fs.writeFileSync(certFile, data('client-certificate-data'));
    fs.writeFileSync(keyFile, data('client-key-data'), { mode: 0o600 });
    const pki = labPkiDir(nodeRoot);
    return reissued_(pki, 'ca', certFile, keyFile, new Date(now - 366 * DAY_MS), new Date(now - DAY_MS));
  });
  const updated = text.replace(
    DATA_LINE('client-certificate-data'),
    `$1${Buffer.from(cert).toString('base64')}`,
  );
  writeAtomically(file, updated, 0o600);
  return file;
}

/** A certificate re-issued by `ca` (its key, subject and extensions kept) for the window given. */
function reissued_(
  pki: string,
  ca: CaName,
  certFile: string,
  keyFile: string,
  from: Date,
  until: Date,
): string {
  return withTempDir((dir) => {
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
    const out = path.join(dir, 'reissued.crt');
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
      opensslTime(from),
      '-enddate',
      opensslTime(until),
      '-in',
      request,
      '-out',
      out,
    ]);
    return fs.readFileSync(out, 'utf8');
  });
}
