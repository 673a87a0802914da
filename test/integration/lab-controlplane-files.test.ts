// The lab's control-plane files, from real things: openssl checks the PKI, the real bin/breakglass reads
// the manifests.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { LAB_COMPONENTS, labManifestPath, writeLabManifests } from '../../scripts/lab/manifests.js';
import { writeExpiredCertificate } from '../../scripts/lab/pki/expired.js';
import { labPkiDir } from '../../scripts/lab/pki/files.js';
import { kubeconfigSpecs, LEAF_CA } from '../../scripts/lab/pki/specs.js';
import { ensureLabPki } from '../../scripts/lab/pki.js';
import { controlPlaneRoot, NODE_NAME, PORT_OFFSET, PORTS, run } from '../helpers/lab-controlplane-root.js';
import { makeTempDir } from '../helpers/node-root.js';
import { breakglassJson } from '../helpers/run.js';

/** The kubeconfigs' users as the lab issues them, each subject as openssl prints it: `O = x, CN = y`. */
const KUBECONFIG_SUBJECTS: Record<string, string> = Object.fromEntries(
  kubeconfigSpecs(NODE_NAME).map((spec) => [spec.file, opensslSubjectLine(spec.subject)]),
);

const controlPlane = controlPlaneRoot();
const file = controlPlane.file;
let root: string;
before(() => {
  root = controlPlane.root();
});

function openssl(args: string[], input?: string): string {
  const result = run('openssl', args, input);
  assert.equal(result.status, 0, `openssl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** OpenSSL's -subj form (`/O=x/CN=y`) as `openssl x509 -subject` prints it. */
function opensslSubjectLine(subject: string): string {
  return subject
    .slice(1)
    .split('/')
    .map((part) => part.replace('=', ' = '))
    .join(', ');
}

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  'current-context': string;
}

// ---------------------------------------------------------------------------------------------
// PKI

describe('the lab PKI', () => {
  test('every leaf verifies against its CA; keys are 0600', () => {
    for (const [leaf, ca] of Object.entries(LEAF_CA)) {
      assert.match(openssl(['verify', '-CAfile', file(ca, 'crt'), file(leaf, 'crt')]), /: OK\n$/, leaf);
      assert.equal(fs.statSync(file(leaf, 'key')).mode & 0o777, 0o600, `${leaf}.key`);
    }
    for (const key of ['ca', 'front-proxy-ca', 'etcd/ca', 'sa']) {
      assert.equal(fs.statSync(file(key, 'key')).mode & 0o777, 0o600, `${key}.key`);
    }
    assert.match(fs.readFileSync(file('sa', 'pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    assert.match(openssl(['x509', '-in', file('ca', 'crt'), '-noout', '-subject']), /CN = kubernetes$/m);
  });

  test("the apiserver's certificate names every address it is reached by", () => {
    const sans = openssl(['x509', '-in', file('apiserver', 'crt'), '-noout', '-ext', 'subjectAltName']);
    for (const name of [
      'IP Address:127.0.0.1',
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      `DNS:${NODE_NAME}`,
    ]) {
      assert.ok(sans.includes(name), `${name} not in ${sans}`);
    }
    const etcdSans = openssl(['x509', '-in', file('etcd/server', 'crt'), '-noout', '-ext', 'subjectAltName']);
    for (const name of ['IP Address:127.0.0.1', 'DNS:localhost', `DNS:${NODE_NAME}`])
      assert.ok(etcdSans.includes(name));
  });

  test("the kubeconfigs parse, point at the offset apiserver port, and carry kubeadm's client subjects", () => {
    for (const [name, subject] of Object.entries(KUBECONFIG_SUBJECTS)) {
      const conf = path.join(root, 'etc/kubernetes', `${name}.conf`);
      assert.equal(fs.statSync(conf).mode & 0o777, 0o600, conf);
      const kubeconfig = parse(fs.readFileSync(conf, 'utf8')) as Kubeconfig;
      const cluster = kubeconfig.clusters[0]!.cluster;
      assert.equal(cluster.server, `https://127.0.0.1:${PORTS.apiserver}`);
      const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
      assert.equal(ca, fs.readFileSync(file('ca', 'crt'), 'utf8'));
      const cert = Buffer.from(kubeconfig.users[0]!.user['client-certificate-data'], 'base64').toString(
        'utf8',
      );
      assert.match(openssl(['verify', '-CAfile', file('ca', 'crt')], cert), /OK/);
      assert.equal(openssl(['x509', '-noout', '-subject'], cert).trim(), `subject=${subject}`);
      const key = Buffer.from(kubeconfig.users[0]!.user['client-key-data'], 'base64').toString('utf8');
      assert.equal(
        openssl(['pkey', '-pubout'], key),
        openssl(['x509', '-noout', '-pubkey'], cert),
        `${name}: key`,
      );
    }
  });

  test('a second run reuses every file as it is', () => {
    const before = fs.readFileSync(file('apiserver', 'crt'), 'utf8');
    const adminBefore = fs.readFileSync(path.join(root, 'etc/kubernetes/admin.conf'), 'utf8');
    const logged: string[] = [];
    ensureLabPki(root, { nodeName: NODE_NAME, portOffset: PORT_OFFSET, log: (line) => logged.push(line) });
    assert.deepEqual(logged, []);
    assert.equal(fs.readFileSync(file('apiserver', 'crt'), 'utf8'), before);
    assert.equal(fs.readFileSync(path.join(root, 'etc/kubernetes/admin.conf'), 'utf8'), adminBefore);
  });

  test('the expired apiserver certificate: same key and SANs, signed by the CA, no longer valid', () => {
    const copy = makeTempDir('bg-expired-');
    try {
      fs.cpSync(path.join(root, 'etc'), path.join(copy, 'etc'), { recursive: true });
      const original = path.join(labPkiDir(copy), 'apiserver.crt');
      const valid = fs.readFileSync(original, 'utf8');
      assert.equal(writeExpiredCertificate(copy, 'apiserver'), original);
      const expired = fs.readFileSync(original, 'utf8');
      assert.notEqual(expired, valid);
      assert.equal(run('openssl', ['x509', '-checkend', '0', '-noout', '-in', original]).status, 1);
      assert.equal(run('openssl', ['x509', '-checkend', '0', '-noout'], valid).status, 0);
      const verify = run('openssl', ['verify', '-CAfile', path.join(labPkiDir(copy), 'ca.crt'), original]);
      assert.match(verify.stdout + verify.stderr, /certificate has expired/);
      const ext = ['-noout', '-subject', '-pubkey', '-ext', 'subjectAltName,extendedKeyUsage'];
      assert.equal(openssl(['x509', ...ext], expired), openssl(['x509', ...ext], valid));
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Manifests

describe('the lab manifests', () => {
  test('kubeadm layout: 0600 files in a 0700 directory, the stand-in beside them, rewritten only on change', () => {
    const dir = path.join(root, 'etc/kubernetes/manifests');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    for (const component of LAB_COMPONENTS) {
      assert.equal(fs.statSync(labManifestPath(root, component)).mode & 0o777, 0o600, component);
    }
    assert.ok(fs.statSync(path.join(root, 'opt/breakglass/standin.js')).isFile());
    assert.deepEqual(writeLabManifests(root, { nodeName: NODE_NAME, portOffset: PORT_OFFSET }), []);
  });

  test('the copied stand-in imports nothing but node: built-ins, so the single file runs anywhere', () => {
    const code = fs.readFileSync(path.join(root, 'opt/breakglass/standin.js'), 'utf8');
    const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map(
      (m) => m[1],
    );
    assert.ok(specifiers.length > 0);
    assert.deepEqual(
      specifiers.filter((s) => !s?.startsWith('node:')),
      [],
    );
  });

  test('breakglass lint finds no error', () => {
    const { result, json } = breakglassJson<{ findings: { severity: string; message: string }[] }>([
      'lint',
      '--root',
      root,
    ]);
    assert.deepEqual(
      json.findings.filter((f) => f.severity === 'error'),
      [],
    );
    assert.equal(result.status, 0, result.stderr);
  });

  test('breakglass status shows each health endpoint on loopback at the offset port', () => {
    const { json } = breakglassJson<{
      staticPods: { name: string; health: { scheme: string; host: string; port: number; path: string } }[];
    }>(['status', '--root', root]);
    const health = Object.fromEntries(
      json.staticPods.map((p) => [p.name, [p.health.scheme, p.health.host, p.health.port, p.health.path]]),
    );
    assert.deepEqual(health, {
      etcd: ['HTTP', '127.0.0.1', PORTS.etcdMetrics, '/health'],
      'kube-apiserver': ['HTTPS', '127.0.0.1', PORTS.apiserver, '/livez'],
      'kube-controller-manager': ['HTTPS', '127.0.0.1', PORTS.controllerManager, '/healthz'],
      'kube-scheduler': ['HTTPS', '127.0.0.1', PORTS.scheduler, '/healthz'],
    });
  });
});
