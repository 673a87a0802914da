// One certificate renewed in place on the real filesystem: a kubeconfig in kubeadm's own layout keeps
// every byte but its client certificate and key; a leaf's pair is renewed as one crash-safe swap (mode
// and owner kept, the key 0600), checked with openssl.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { kubeconfigText } from '../../../scripts/lab/pki/kubeconfig.js';
import {
  caExtensions,
  issueCertificate,
  leafExtensions,
  newPrivateKey,
  openssl,
} from '../../../scripts/lab/pki/openssl.js';
import { renewOne } from '../../../src/ops/pki/renew.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bg-pki-renew-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const state = path.join(dir, 'state');
const write = (name: string, text: string, mode = 0o600) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode });
  return file;
};
const caKey = write('ca.key', newPrivateKey());
const caCert = write('ca.crt', issueCertificate(caKey, '/CN=kubernetes', caExtensions(), 3650, null), 0o644);
const signer = { certFile: caCert, keyFile: caKey };
const notAfter = new Date(Date.now() + 365 * 86_400_000);

test("a kubeconfig in kubeadm's layout: only its client certificate and key change, byte for byte elsewhere", async () => {
  const keyFile = write('admin-client.key', newPrivateKey());
  const cert = issueCertificate(
    keyFile,
    '/O=kubeadm:cluster-admins/CN=kubernetes-admin',
    leafExtensions('client'),
    1,
    signer,
  );
  const before = kubeconfigText({ userName: 'kubernetes-admin' }, 'https://127.0.0.1:6443', {
    ca: fs.readFileSync(caCert, 'utf8'),
    cert,
    key: fs.readFileSync(keyFile, 'utf8'),
  });
  const conf = write('admin.conf', `# kubeadm's, with a comment kept\n${before}`);
  const target = {
    name: 'admin.conf',
    kind: 'kubeconfig' as const,
    certFile: null,
    keyFile: null,
    kubeconfig: conf,
    caCertFile: caCert,
    caKeyFile: caKey,
  };
  await renewOne({ stateDir: state, readOnly: false }, target, notAfter);
  const after = fs.readFileSync(conf, 'utf8');
  const others = (text: string) => text.split('\n').filter((l) => !/client-(certificate|key)-data:/.test(l));
  assert.deepEqual(others(after), others(`# kubeadm's, with a comment kept\n${before}`));
  assert.notEqual(after, before);
  const embedded = Buffer.from(/client-certificate-data: (\S+)/.exec(after)![1]!, 'base64').toString('utf8');
  assert.match(openssl(['verify', '-CAfile', caCert], embedded), /OK/);
  assert.equal(fs.statSync(conf).mode & 0o777, 0o600);
});

test("a leaf's pair: both renewed, the certificate for the new key, modes kept", async () => {
  const keyFile = write('apiserver.key', newPrivateKey());
  const certFile = write(
    'apiserver.crt',
    issueCertificate(
      keyFile,
      '/CN=kube-apiserver',
      leafExtensions('server', ['localhost'], ['127.0.0.1']),
      1,
      signer,
    ),
    0o644,
  );
  const oldKey = fs.readFileSync(keyFile, 'utf8');
  const target = {
    name: 'apiserver',
    kind: 'certificate' as const,
    certFile,
    keyFile,
    kubeconfig: null,
    caCertFile: caCert,
    caKeyFile: caKey,
  };
  await renewOne({ stateDir: state, readOnly: false }, target, notAfter);
  assert.notEqual(fs.readFileSync(keyFile, 'utf8'), oldKey);
  assert.equal(
    openssl(['x509', '-in', certFile, '-noout', '-pubkey']),
    openssl(['pkey', '-in', keyFile, '-pubout']),
  );
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(fs.statSync(certFile).mode & 0o777, 0o644);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('.breakglass-')),
    [],
    'no temp file left',
  );
});
