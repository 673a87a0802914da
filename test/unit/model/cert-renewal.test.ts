// What `certs renew` renews by kubeadm's rules, and which pods restart on it. Pure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type RenewalInput, renewalPlan } from '../../../src/model/cert-renewal.js';
import type { CertificateInfo } from '../../../src/sources/certs.js';

const info = (
  name: string,
  status: CertificateInfo['status'],
  kind: CertificateInfo['kind'] = 'certificate',
): CertificateInfo => ({
  name,
  kind,
  path: `/x/${name}`,
  certificatePath: null,
  subject: null,
  issuer: null,
  notBefore: null,
  notAfter: new Date('2026-01-01T00:00:00Z'),
  residualMs: null,
  status,
  problem: null,
  keyMatches: null,
});

const PKI = '/root/etc/kubernetes/pki';
const input = (certs: CertificateInfo[], caKeys = ['ca', 'etcd/ca', 'front-proxy-ca']): RenewalInput => ({
  certs,
  pkiDir: PKI,
  kubeconfigDir: '/root/etc/kubernetes',
  root: '/root',
  caKeys: new Set(caKeys),
  pods: [
    { name: 'kube-scheduler', args: ['kube-scheduler', '--kubeconfig=/etc/kubernetes/scheduler.conf'] },
    { name: 'etcd', args: ['etcd', '--cert-file=/etc/kubernetes/pki/etcd/server.crt'] },
    {
      name: 'kube-apiserver',
      args: [
        'kube-apiserver',
        '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
        '--etcd-certfile',
        '/etc/kubernetes//pki/apiserver-etcd-client.crt',
      ],
    },
  ],
});

test('by default what is expired or expiring; the pods naming them restart in kubeadm order', () => {
  const plan = renewalPlan(
    input([
      info('apiserver', 'expired'),
      info('etcd-server', 'warning'),
      info('front-proxy-client', 'ok'),
      info('scheduler.conf', 'expired', 'kubeconfig'),
    ]),
    { names: [], all: false },
  );
  assert.deepEqual(
    plan.renew.map((t) => t.name),
    ['apiserver', 'etcd-server', 'scheduler.conf'],
  );
  assert.deepEqual(plan.restart, ['etcd', 'kube-apiserver', 'kube-scheduler']);
  const apiserver = plan.renew[0]!;
  assert.equal(apiserver.certFile, `${PKI}/apiserver.crt`);
  assert.equal(apiserver.caKeyFile, `${PKI}/ca.key`);
  assert.equal(plan.renew[1]!.caCertFile, `${PKI}/etcd/ca.crt`);
});

test('a flag value written with a double slash or as a separate argument still names the file', () => {
  const plan = renewalPlan(input([info('apiserver-etcd-client', 'ok')]), {
    names: ['apiserver-etcd-client'],
    all: false,
  });
  assert.deepEqual(plan.renew[0]!.users, ['kube-apiserver']);
});

test('an external CA, a CA asked for, kubelet.conf, a missing optional one: skipped, each with why', () => {
  const plan = renewalPlan(
    input(
      [
        info('front-proxy-client', 'expired'),
        info('kubelet.conf', 'expired', 'kubeconfig'),
        info('super-admin.conf', 'missing', 'kubeconfig'),
      ],
      ['ca', 'etcd/ca'],
    ),
    { names: ['front-proxy-client', 'kubelet.conf', 'super-admin.conf', 'ca'], all: false },
  );
  assert.deepEqual(plan.renew, []);
  const why = Object.fromEntries(plan.skipped.map((s) => [s.name, s.why]));
  assert.match(
    why['front-proxy-client']!,
    /front-proxy-ca\.key\) is not on this node \(an external CA\): not touched/,
  );
  assert.match(why['kubelet.conf']!, /embedded and expired: kubelet cannot rotate it/);
  assert.match(why['super-admin.conf']!, /not there \(clusters made before kubeadm 1\.29/);
  assert.match(why.ca!, /a CA: never renewed/);
});

test('--all renews every one there is, never a CA', () => {
  const plan = renewalPlan(
    input([info('apiserver', 'ok'), info('ca', 'ok', 'ca'), info('admin.conf', 'ok', 'kubeconfig')]),
    { names: [], all: true },
  );
  assert.deepEqual(
    plan.renew.map((t) => t.name),
    ['apiserver', 'admin.conf'],
  );
  assert.deepEqual(plan.renew[1]!.users, [], 'admin.conf is for people, no pod restarts on it');
});
