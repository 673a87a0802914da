// A certificate renewed as kubeadm renews it, checked with openssl (not with breakglass's own word):
// same subject, SANs and usages, a new key of the same kind, signed by the same CA, the new NotAfter.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import {
  caExtensions,
  issueCertificate,
  leafExtensions,
  newPrivateKey,
  openssl,
} from '../../../scripts/lab/pki/openssl.js';
import { renewCertificate } from '../../../src/ops/pki/issue.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-pki-issue-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function ca(
  name: string,
  key = newPrivateKey(),
): { cert: string; key: string; certFile: string; keyFile: string } {
  const keyFile = write(`${name}.key`, key);
  const cert = issueCertificate(keyFile, `/CN=${name}`, caExtensions(), 3650, null);
  return { cert, key, certFile: write(`${name}.crt`, cert), keyFile };
}

const text = (file: string) => openssl(['x509', '-in', file, '-noout', '-text']);
const field = (dump: string, name: string) => {
  const lines = dump.split('\n');
  const i = lines.findIndex((l) => l.includes(name));
  return i < 0 ? null : lines[i + 1]!.trim();
};

test('an RSA serving certificate: same subject, SANs and usages, a new RSA key of the same size, signed by its CA', async () => {
  const kubernetes = ca('kubernetes');
  const oldKey = newPrivateKey();
  const oldKeyFile = write('apiserver.key', oldKey);
  const oldCert = issueCertificate(
    oldKeyFile,
    '/CN=kube-apiserver',
    leafExtensions('server', ['kubernetes', 'localhost'], ['10.96.0.1', '127.0.0.1']),
    1,
    { certFile: kubernetes.certFile, keyFile: kubernetes.keyFile },
  );
  const oldFile = write('apiserver.crt', oldCert);
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const renewed = await renewCertificate({
    certPem: oldCert,
    keyPem: oldKey,
    caCertPem: kubernetes.cert,
    caKeyPem: kubernetes.key,
    notAfter,
  });
  const newFile = write('apiserver.new.crt', renewed.certPem);
  const newKeyFile = write('apiserver.new.key', renewed.keyPem);
  assert.match(openssl(['verify', '-CAfile', kubernetes.certFile, newFile]), /: OK/);
  const [before, now] = [text(oldFile), text(newFile)];
  assert.equal(field(now, 'Subject Alternative Name'), field(before, 'Subject Alternative Name'));
  assert.equal(field(now, 'Extended Key Usage'), field(before, 'Extended Key Usage'));
  assert.equal(field(now, 'X509v3 Key Usage'), field(before, 'X509v3 Key Usage'));
  assert.equal(
    openssl(['x509', '-in', newFile, '-noout', '-subject']),
    openssl(['x509', '-in', oldFile, '-noout', '-subject']),
  );
  assert.match(renewed.keyPem, /^-----BEGIN RSA PRIVATE KEY-----/, 'PKCS#1, as the old key was written');
  assert.match(now, /Public-Key: \(2048 bit\)/);
  assert.notEqual(renewed.keyPem, oldKey, 'a new key');
  const pub = (args: string[]) => openssl(args);
  assert.equal(
    pub(['x509', '-in', newFile, '-noout', '-pubkey']),
    pub(['pkey', '-in', newKeyFile, '-pubout']),
    'the certificate is for its new key',
  );
  const enddate = openssl(['x509', '-in', newFile, '-noout', '-enddate']).trim();
  assert.equal(
    new Date(enddate.replace('notAfter=', '')).getTime(),
    Math.floor(notAfter.getTime() / 1000) * 1000,
  );
  const startdate = (file: string) => openssl(['x509', '-in', file, '-noout', '-startdate']);
  assert.equal(
    startdate(newFile),
    startdate(kubernetes.certFile),
    "NotBefore is the CA's, as kubeadm sets it",
  );
});

test('an ECDSA key gets an ECDSA key on the same curve, in the same PEM form', async () => {
  const etcdCa = ca('etcd-ca');
  const oldKey = openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout']);
  const oldKeyFile = write('peer.key', oldKey);
  const oldCert = issueCertificate(
    oldKeyFile,
    '/CN=lab-master',
    leafExtensions('server-and-client', ['lab-master'], ['127.0.0.1']),
    1,
    {
      certFile: etcdCa.certFile,
      keyFile: etcdCa.keyFile,
    },
  );
  const renewed = await renewCertificate({
    certPem: oldCert,
    keyPem: oldKey,
    caCertPem: etcdCa.cert,
    caKeyPem: etcdCa.key,
    notAfter: new Date(Date.now() + 86_400_000),
  });
  assert.match(renewed.keyPem, /^-----BEGIN EC PRIVATE KEY-----/);
  const newFile = write('peer.new.crt', renewed.certPem);
  assert.match(text(newFile), /ASN1 OID: prime256v1/);
  assert.match(openssl(['verify', '-CAfile', etcdCa.certFile, newFile]), /: OK/);
});

test("a certificate another CA signed, or a CA key that is not the CA's: refused, nothing made", async () => {
  const one = ca('one');
  const other = ca('other');
  const key = newPrivateKey();
  const keyFile = write('client.key', key);
  const cert = issueCertificate(
    keyFile,
    '/O=system:masters/CN=kubernetes-admin',
    leafExtensions('client'),
    1,
    {
      certFile: one.certFile,
      keyFile: one.keyFile,
    },
  );
  const notAfter = new Date(Date.now() + 86_400_000);
  await assert.rejects(
    renewCertificate({ certPem: cert, keyPem: key, caCertPem: other.cert, caKeyPem: other.key, notAfter }),
    /was not signed by CN=other/,
  );
  await assert.rejects(
    renewCertificate({ certPem: cert, keyPem: key, caCertPem: one.cert, caKeyPem: other.key, notAfter }),
    /the CA's key does not match the CA's certificate/,
  );
});
