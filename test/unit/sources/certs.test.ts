// readCertificates on real certificates made with the openssl binary in a temp node root: valid, expiring
// within 30 days, expired and not yet valid (openssl ca -startdate/-enddate), kubeconfigs with embedded and
// relative and absolute (symlinked, under the root) client certificates, garbage and missing files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { EXPIRY_WARNING_DAYS } from '../../../src/node/kubeadm-pki.js';
import { type CertificateInfo, certStatus, readCertificates } from '../../../src/sources/certs.js';

const DAY = 24 * 60 * 60 * 1000;
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

let dir: string;
let root: string;
let pki: string;
let kubeconfigs: string;
let caDir: string;

function openssl(args: string[], input?: string): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8', input, timeout: 30_000 });
  assert.equal(result.status, 0, `openssl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** OpenSSL's ca -startdate/-enddate form: YYYYMMDDHHMMSSZ. */
function opensslTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

function newKey(file: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', file]);
}

/** A self-signed CA, valid 10 years. */
function makeCa(certFile: string, keyFile: string, commonName: string): void {
  fs.mkdirSync(path.dirname(certFile), { recursive: true });
  newKey(keyFile);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    keyFile,
    '-subj',
    `/CN=${commonName}`,
    '-days',
    '3650',
    '-out',
    certFile,
  ]);
}

/** A certificate signed by the test CA, valid from `start` to `end` (any dates, past or future). */
function makeCert(subject: string, start: Date, end: Date): { cert: string; key: string } {
  const work = fs.mkdtempSync(path.join(dir, 'issue-'));
  const keyFile = path.join(work, 'key.pem');
  newKey(keyFile);
  const request = path.join(work, 'req.csr');
  openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', request]);
  fs.writeFileSync(path.join(work, 'index.txt'), '');
  fs.writeFileSync(path.join(work, 'serial'), `${randomBytes(8).toString('hex')}\n`);
  const config = path.join(work, 'ca.cnf');
  fs.writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      `database = ${work}/index.txt`,
      `serial = ${work}/serial`,
      `new_certs_dir = ${work}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'organizationName = optional',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const out = path.join(work, 'cert.pem');
  openssl([
    'ca',
    '-batch',
    '-notext',
    '-preserveDN',
    '-config',
    config,
    '-cert',
    path.join(caDir, 'ca.crt'),
    '-keyfile',
    path.join(caDir, 'ca.key'),
    '-startdate',
    opensslTime(start),
    '-enddate',
    opensslTime(end),
    '-in',
    request,
    '-out',
    out,
  ]);
  return { cert: fs.readFileSync(out, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function kubeconfig(user: Record<string, string>, extra = ''): string {
  const fields = Object.entries(user)
    .map(([key, value]) => `    ${key}: ${value}`)
    .join('\n');
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://127.0.0.1:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: the-user
  name: the-user@kubernetes
current-context: the-user@kubernetes
users:
- name: someone-else
  user:
    token: abc
- name: the-user
  user:
${fields}
${extra}`;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

function byName(list: CertificateInfo[], name: string): CertificateInfo {
  const found = list.find((info) => info.name === name);
  assert.ok(found, `no ${name} in ${list.map((info) => info.name).join(', ')}`);
  return found;
}

let nowAtSetup: Date;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakglass-certs-'));
  root = path.join(dir, 'root');
  pki = path.join(root, 'etc/kubernetes/pki');
  kubeconfigs = path.join(root, 'etc/kubernetes');
  caDir = pki;
  nowAtSetup = new Date();
  const now = nowAtSetup.getTime();
  const yearAgo = new Date(now - 365 * DAY);
  makeCa(path.join(pki, 'ca.crt'), path.join(pki, 'ca.key'), 'kubernetes');
  makeCa(path.join(pki, 'front-proxy-ca.crt'), path.join(pki, 'front-proxy-ca.key'), 'front-proxy-ca');
  const apiserver = makeCert('/CN=kube-apiserver', new Date(now - DAY), new Date(now + 365 * DAY));
  write(path.join(pki, 'apiserver.crt'), apiserver.cert);
  write(path.join(pki, 'apiserver.key'), apiserver.key);
  write(
    path.join(pki, 'apiserver-kubelet-client.crt'),
    makeCert('/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client', yearAgo, new Date(now + 10 * DAY))
      .cert,
  );
  write(
    path.join(pki, 'front-proxy-client.crt'),
    makeCert('/CN=front-proxy-client', yearAgo, new Date(now - DAY)).cert,
  );
  // A key that is not the certificate's: what a copied-in certificate without its key leaves.
  write(path.join(pki, 'front-proxy-client.key'), apiserver.key);
  write(
    path.join(pki, 'apiserver-etcd-client.crt'),
    makeCert('/CN=kube-apiserver-etcd-client', new Date(now + DAY), new Date(now + 365 * DAY)).cert,
  );
  // etcd: no etcd/ directory at all (external etcd), except a directory where etcd/ca.crt should be.
  fs.mkdirSync(path.join(pki, 'etcd/ca.crt'), { recursive: true });

  // admin.conf: embedded; controller-manager.conf: a relative path; scheduler.conf: broken YAML;
  // super-admin.conf: missing; kubelet.conf: kubelet's absolute path, a symlink with an absolute target.
  const admin = makeCert('/O=kubeadm:cluster-admins/CN=kubernetes-admin', yearAgo, new Date(now + 200 * DAY));
  write(
    path.join(kubeconfigs, 'admin.conf'),
    kubeconfig({ 'client-certificate-data': b64(admin.cert), 'client-key-data': b64(admin.key) }),
  );
  const cm = makeCert('/CN=system:kube-controller-manager', yearAgo, new Date(now + 20 * DAY));
  write(path.join(kubeconfigs, 'certs/cm.crt'), cm.cert);
  write(
    path.join(kubeconfigs, 'controller-manager.conf'),
    kubeconfig({ 'client-certificate': 'certs/cm.crt', 'client-key': 'certs/cm.key' }),
  );
  write(path.join(kubeconfigs, 'scheduler.conf'), 'apiVersion: v1\nusers: [\n  - {name: x\n');
  const kubelet = makeCert('/O=system:nodes/CN=system:node:lab', yearAgo, new Date(now + 300 * DAY));
  const kubeletPki = path.join(root, 'var/lib/kubelet/pki');
  write(path.join(kubeletPki, 'kubelet-client-2026-01-01-00-00-00.pem'), kubelet.cert + kubelet.key);
  fs.symlinkSync(
    '/var/lib/kubelet/pki/kubelet-client-2026-01-01-00-00-00.pem',
    path.join(kubeletPki, 'kubelet-client-current.pem'),
  );
  write(
    path.join(kubeconfigs, 'kubelet.conf'),
    kubeconfig({
      'client-certificate': '/var/lib/kubelet/pki/kubelet-client-current.pem',
      'client-key': '/var/lib/kubelet/pki/kubelet-client-current.pem',
    }),
  );
  // front-proxy-ca.crt replaced with garbage.
  write(
    path.join(pki, 'front-proxy-ca.crt'),
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
  );
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('certStatus: not yet valid, ok, warning inside 30 days, expired', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2027-01-01T00:00:00Z');
  const at = (iso: string) => certStatus(notBefore, notAfter, new Date(iso));
  assert.equal(at('2025-12-31T23:59:59Z'), 'not-yet-valid');
  assert.equal(at('2026-01-01T00:00:00Z'), 'ok');
  assert.equal(at('2026-12-02T00:00:01Z'), 'warning');
  assert.equal(at('2026-12-02T00:00:00Z'), 'ok', `exactly ${EXPIRY_WARNING_DAYS} days left`);
  assert.equal(at('2027-01-01T00:00:00Z'), 'warning', 'the last second is still valid');
  assert.equal(at('2027-01-01T00:00:01Z'), 'expired');
  assert.equal(EXPIRY_WARNING_DAYS, 30);
});

test("kubeadm's list in check-expiration's order, each with its kind and path", async () => {
  const list = await readCertificates({ pkiDir: pki, kubeconfigDir: kubeconfigs, root });
  assert.deepEqual(
    list.map((info) => info.name),
    [
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'etcd-healthcheck-client',
      'etcd-peer',
      'etcd-server',
      'front-proxy-client',
      'admin.conf',
      'controller-manager.conf',
      'scheduler.conf',
      'super-admin.conf',
      'kubelet.conf',
      'ca',
      'etcd-ca',
      'front-proxy-ca',
    ],
  );
  assert.equal(byName(list, 'etcd-server').path, path.join(pki, 'etcd/server.crt'));
  assert.equal(byName(list, 'etcd-server').kind, 'certificate');
  assert.equal(byName(list, 'ca').kind, 'ca');
  assert.equal(byName(list, 'admin.conf').kind, 'kubeconfig');
  assert.equal(byName(list, 'admin.conf').path, path.join(kubeconfigs, 'admin.conf'));
});

test('valid, expiring within 30 days, expired and not yet valid certificates', async () => {
  const list = await readCertificates({ pkiDir: pki, kubeconfigDir: kubeconfigs, root, now: nowAtSetup });
  const apiserver = byName(list, 'apiserver');
  assert.equal(apiserver.status, 'ok');
  assert.equal(apiserver.subject, 'CN=kube-apiserver');
  assert.equal(apiserver.issuer, 'CN=kubernetes');
  assert.equal(apiserver.problem, null);
  assert.ok(Math.abs(apiserver.residualMs! - 365 * DAY) < 2 * 60_000, `${apiserver.residualMs}`);
  // openssl runs after nowAtSetup is taken: on a busy machine the certificates are made seconds later.
  assert.ok(Math.abs(apiserver.notAfter!.getTime() - (nowAtSetup.getTime() + 365 * DAY)) < 2 * 60_000);
  assert.ok(apiserver.notBefore! < nowAtSetup);

  const kubeletClient = byName(list, 'apiserver-kubelet-client');
  assert.equal(kubeletClient.status, 'warning');
  assert.equal(kubeletClient.subject, 'O=kubeadm:cluster-admins, CN=kube-apiserver-kubelet-client');

  const frontProxy = byName(list, 'front-proxy-client');
  assert.equal(frontProxy.status, 'expired');
  assert.ok(frontProxy.residualMs! < 0);

  assert.equal(byName(list, 'apiserver-etcd-client').status, 'not-yet-valid');
  assert.equal(byName(list, 'ca').status, 'ok');
  assert.equal(byName(list, 'ca').subject, 'CN=kubernetes');

  // A year and a day on, everything has expired.
  const later = await readCertificates({
    pkiDir: pki,
    kubeconfigDir: kubeconfigs,
    root,
    now: new Date(nowAtSetup.getTime() + 366 * DAY),
  });
  for (const name of [
    'apiserver',
    'apiserver-etcd-client',
    'apiserver-kubelet-client',
    'admin.conf',
    'kubelet.conf',
  ])
    assert.equal(byName(later, name).status, 'expired', name);
  assert.equal(byName(later, 'ca').status, 'ok');
});

test('missing files are missing (external etcd, no super-admin.conf), not errors', async () => {
  const list = await readCertificates({ pkiDir: pki, kubeconfigDir: kubeconfigs, root });
  for (const name of ['etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'super-admin.conf']) {
    const info = byName(list, name);
    assert.equal(info.status, 'missing', name);
    assert.match(info.problem ?? '', /^not there/);
    assert.equal(info.notAfter, null);
    assert.equal(info.subject, null);
  }
  assert.match(byName(list, 'etcd-server').problem!, /external etcd/);
  assert.match(byName(list, 'super-admin.conf').problem!, /1\.29/);
});

test('garbage PEM, a directory in place of a file and broken YAML are errors with a reason, never a throw', async () => {
  const list = await readCertificates({ pkiDir: pki, kubeconfigDir: kubeconfigs, root });
  const garbage = byName(list, 'front-proxy-ca');
  assert.equal(garbage.status, 'error');
  assert.match(garbage.problem!, /^not a valid certificate/);
  const directory = byName(list, 'etcd-ca');
  assert.equal(directory.status, 'error');
  assert.match(directory.problem!, /is a directory/);
  const yaml = byName(list, 'scheduler.conf');
  assert.equal(yaml.status, 'error');
  assert.match(yaml.problem!, /^not a kubeconfig: YAML error/);
  for (const info of list) {
    assert.doesNotMatch(info.problem ?? '', RAW_CONTROL);
    assert.doesNotMatch(info.problem ?? '', /\n/);
  }
  // Nothing at all: everything missing.
  const empty = await readCertificates({
    pkiDir: path.join(dir, 'none/pki'),
    kubeconfigDir: path.join(dir, 'none'),
  });
  assert.equal(empty.length, 15);
  assert.ok(empty.every((info) => info.status === 'missing'));
});

test('kubeconfigs: embedded data, a relative path, and an absolute symlinked path resolved under the root', async () => {
  const list = await readCertificates({ pkiDir: pki, kubeconfigDir: kubeconfigs, root, now: nowAtSetup });
  const admin = byName(list, 'admin.conf');
  assert.equal(admin.status, 'ok');
  assert.equal(admin.subject, 'O=kubeadm:cluster-admins, CN=kubernetes-admin');
  assert.equal(admin.certificatePath, null);
  const cm = byName(list, 'controller-manager.conf');
  assert.equal(cm.status, 'warning', "the current context's user, not the first user");
  assert.equal(cm.subject, 'CN=system:kube-controller-manager');
  assert.equal(cm.certificatePath, path.join(kubeconfigs, 'certs/cm.crt'));
  const kubelet = byName(list, 'kubelet.conf');
  assert.equal(kubelet.status, 'ok', kubelet.problem ?? '');
  assert.equal(kubelet.subject, 'O=system:nodes, CN=system:node:lab');
  assert.equal(kubelet.certificatePath, path.join(root, 'var/lib/kubelet/pki/kubelet-client-current.pem'));
});

test('kubeconfig users without a usable certificate are errors that say why', async () => {
  const kdir = fs.mkdtempSync(path.join(dir, 'kc-'));
  const cert = makeCert('/CN=only', new Date(Date.now() - DAY), new Date(Date.now() + 100 * DAY)).cert;
  const cases: [string, string, RegExp | null][] = [
    ['admin.conf', kubeconfig({ token: 'abc' }), /has no client certificate/],
    [
      'controller-manager.conf',
      kubeconfig({ 'client-certificate': 'nope.crt' }),
      /client certificate .*nope\.crt is not there/,
    ],
    ['scheduler.conf', kubeconfig({ 'client-certificate-data': b64('junk') }), /no PEM certificate/],
    [
      'super-admin.conf',
      kubeconfig({}).replace('current-context: the-user@kubernetes', 'current-context: gone'),
      /current-context "gone"/,
    ],
    ['kubelet.conf', `users:\n- name: only\n  user:\n    client-certificate-data: ${b64(cert)}\n`, null],
  ];
  for (const [name, text] of cases) write(path.join(kdir, name), text);
  const list = await readCertificates({ pkiDir: path.join(kdir, 'pki'), kubeconfigDir: kdir });
  for (const [name, , problem] of cases) {
    const info = byName(list, name);
    if (problem === null) {
      assert.equal(info.status, 'ok', `${name}: ${info.problem}`);
      assert.equal(info.subject, 'CN=only');
    } else {
      assert.equal(info.status, 'error', name);
      assert.match(info.problem ?? '', problem, name);
    }
  }
});

test('subjects with control characters come out sanitized', async () => {
  const kdir = fs.mkdtempSync(path.join(dir, 'evil-'));
  const evil = makeCert(
    `/CN=ev\u001b]0;owned\u0007il`,
    new Date(Date.now() - DAY),
    new Date(Date.now() + 100 * DAY),
  ).cert;
  write(path.join(kdir, 'pki/apiserver.crt'), evil);
  const list = await readCertificates({ pkiDir: path.join(kdir, 'pki'), kubeconfigDir: kdir });
  const apiserver = byName(list, 'apiserver');
  assert.equal(apiserver.status, 'ok');
  assert.ok(apiserver.subject?.startsWith('CN=ev'));
  assert.doesNotMatch(apiserver.subject!, RAW_CONTROL);
});

test('whether each certificate is for the key beside it: a leaf and its .key, a kubeconfig and its client-key-data', async () => {
  const list = await readCertificates({ pkiDir: pki, kubeconfigDir: kubeconfigs, root, now: nowAtSetup });
  assert.equal(byName(list, 'apiserver').keyMatches, true);
  assert.equal(byName(list, 'front-proxy-client').keyMatches, false, "another certificate's key");
  assert.equal(byName(list, 'admin.conf').keyMatches, true);
  assert.equal(byName(list, 'apiserver-kubelet-client').keyMatches, null, 'no key file: nothing to compare');
  assert.equal(byName(list, 'controller-manager.conf').keyMatches, null, 'a path of its own: not compared');
});
