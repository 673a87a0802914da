// readCertificates against the lab node's real PKI (kubeadm's layout and subjects, made with openssl by
// scripts/lab/pki.ts): every certificate, CA and kubeconfig reads 'ok', with kubeadm's subject and issuer,
// and the dates openssl itself reads from the same files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { readCertificates } from '../../../src/sources/certs.js';
import { labEnv } from '../../helpers/lab.js';

const NODE = '[A-Za-z0-9.-]+';

/** kubeadm's subject and issuer for each name (the lab writes kubeadm's). */
const EXPECTED: Record<string, { subject: RegExp; issuer: string }> = {
  apiserver: { subject: /^CN=kube-apiserver$/, issuer: 'CN=kubernetes' },
  'apiserver-etcd-client': { subject: /^CN=kube-apiserver-etcd-client$/, issuer: 'CN=etcd-ca' },
  'apiserver-kubelet-client': {
    subject: /^O=kubeadm:cluster-admins, CN=kube-apiserver-kubelet-client$/,
    issuer: 'CN=kubernetes',
  },
  'etcd-healthcheck-client': { subject: /^CN=kube-etcd-healthcheck-client$/, issuer: 'CN=etcd-ca' },
  'etcd-peer': { subject: new RegExp(`^CN=${NODE}$`), issuer: 'CN=etcd-ca' },
  'etcd-server': { subject: new RegExp(`^CN=${NODE}$`), issuer: 'CN=etcd-ca' },
  'front-proxy-client': { subject: /^CN=front-proxy-client$/, issuer: 'CN=front-proxy-ca' },
  'admin.conf': { subject: /^O=kubeadm:cluster-admins, CN=kubernetes-admin$/, issuer: 'CN=kubernetes' },
  'controller-manager.conf': { subject: /^CN=system:kube-controller-manager$/, issuer: 'CN=kubernetes' },
  'scheduler.conf': { subject: /^CN=system:kube-scheduler$/, issuer: 'CN=kubernetes' },
  'super-admin.conf': { subject: /^O=system:masters, CN=kubernetes-super-admin$/, issuer: 'CN=kubernetes' },
  'kubelet.conf': {
    subject: new RegExp(`^O=system:nodes, CN=system:node:${NODE}$`),
    issuer: 'CN=kubernetes',
  },
  ca: { subject: /^CN=kubernetes$/, issuer: 'CN=kubernetes' },
  'etcd-ca': { subject: /^CN=etcd-ca$/, issuer: 'CN=etcd-ca' },
  'front-proxy-ca': { subject: /^CN=front-proxy-ca$/, issuer: 'CN=front-proxy-ca' },
};

function opensslDate(file: string, which: 'startdate' | 'enddate'): Date {
  const result = spawnSync('openssl', ['x509', '-noout', `-${which}`, '-in', file], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const date = new Date(result.stdout.trim().replace(/^not(Before|After)=/, ''));
  assert.ok(!Number.isNaN(date.getTime()), result.stdout);
  return date;
}

test("every kubeadm certificate, CA and kubeconfig of the lab node reads 'ok' with kubeadm's subject", async () => {
  const root = labEnv().nodeRoot;
  const pkiDir = path.join(root, 'etc/kubernetes/pki');
  const kubeconfigDir = path.join(root, 'etc/kubernetes');
  const started = Date.now();
  const list = await readCertificates({ pkiDir, kubeconfigDir, root });
  const elapsed = Date.now() - started;
  assert.deepEqual(list.map((info) => info.name).sort(), Object.keys(EXPECTED).sort());
  for (const info of list) {
    const expected = EXPECTED[info.name]!;
    assert.equal(info.status, 'ok', `${info.name}: ${info.status} ${info.problem ?? ''}`);
    assert.equal(info.problem, null);
    assert.match(info.subject ?? '', expected.subject, info.name);
    assert.equal(info.issuer, expected.issuer, info.name);
    assert.ok(info.notBefore && info.notAfter && info.residualMs !== null);
    assert.ok(info.residualMs > 30 * 24 * 60 * 60 * 1000, `${info.name}: ${info.residualMs}`);
    if (info.kind !== 'kubeconfig') {
      // The same dates openssl reads from the same file.
      assert.equal(info.notAfter.getTime(), opensslDate(info.path, 'enddate').getTime(), info.name);
      assert.equal(info.notBefore.getTime(), opensslDate(info.path, 'startdate').getTime(), info.name);
      assert.ok(info.path.startsWith(`${pkiDir}/`));
    } else {
      assert.equal(info.path, path.join(kubeconfigDir, info.name));
    }
  }
  // kubelet.conf resolves: the lab embeds its client certificate, as kubeadm does before kubelet rotates it.
  const kubelet = list.find((info) => info.name === 'kubelet.conf')!;
  assert.equal(kubelet.certificatePath, null);
  process.stderr.write(`certs: ${list.length} read in ${elapsed} ms\n`);
});
