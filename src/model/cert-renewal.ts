// What `breakglass certs renew` renews, by kubeadm's rules (cmd/kubeadm/app/phases/certs/renewal): each
// leaf certificate whose CA's key is on the node, and the client certificate embedded in admin.conf,
// super-admin.conf, controller-manager.conf and scheduler.conf; never a CA; kubelet.conf is kubelet's to
// rotate. Which static pods use each (their flags name the file), so that exactly those restart, in
// kubeadm's order. Pure.
import {
  type CertSpec,
  KUBECONFIG_SIGNER,
  KUBECONFIGS,
  type KubeconfigSpec,
  LEAF_CERTS,
  type RenewFiles,
} from '../node/kubeadm-pki.js';
import type { CertificateInfo } from '../sources/certs.js';
import { escapeName } from '../util/sanitize.js';
import { restartOrder } from './restart-plan.js';

export interface RenewTarget extends RenewFiles {
  notAfter: Date | null;
  status: CertificateInfo['status'];
  /** The static pods whose flags name it. */
  users: string[];
}

export interface RenewalPlan {
  renew: RenewTarget[];
  /** What is not renewed and why, in the operator's words. */
  skipped: { name: string; why: string }[];
  /** The static pods to restart so they load the new files, in kubeadm's order. */
  restart: string[];
}

export interface RenewalAsk {
  /** kubeadm's names (apiserver, admin.conf, ...); empty: what is expired or expires within 30 days. */
  names: string[];
  all: boolean;
}

export interface RenewalInput {
  certs: readonly CertificateInfo[];
  /** On this machine (under the node root). */
  pkiDir: string;
  kubeconfigDir: string;
  /** The node root: the manifests' flags name paths on the node. */
  root: string;
  /** CA files (under pkiDir, without .key) whose key is on the node. */
  caKeys: ReadonlySet<string>;
  /** The enabled static pods and their containers' command and args. */
  pods: readonly { name: string; args: readonly string[] }[];
}

/** Paths joined and compared as strings: the model does no I/O, not even node:path. */
const join = (dir: string, file: string) => `${dir.replace(/\/+$/, '')}/${file}`;
const normalize = (p: string) =>
  p
    .replace(/\/{2,}/g, '/')
    .replace(/\/\.(?=\/|$)/g, '')
    .replace(/(.)\/$/, '$1');

const DUE: ReadonlySet<CertificateInfo['status']> = new Set(['expired', 'warning']);

export function renewalPlan(input: RenewalInput, ask: RenewalAsk): RenewalPlan {
  const byName = new Map(input.certs.map((c) => [c.name, c]));
  const known = [...LEAF_CERTS.map((s) => s.name), ...KUBECONFIGS.map((s) => s.name)];
  const asked = new Set(ask.names);
  const skipped: RenewalPlan['skipped'] = [];
  for (const name of asked) {
    if (known.includes(name)) continue;
    skipped.push({
      name: escapeName(name),
      why: ['ca', 'etcd-ca', 'front-proxy-ca'].includes(name)
        ? 'a CA: never renewed (kubeadm does not either); every certificate it signed depends on it'
        : `not a certificate kubeadm renews (known: ${known.join(', ')})`,
    });
  }
  const wanted = (info: CertificateInfo | undefined, name: string) =>
    ask.all ||
    asked.has(name) ||
    (asked.size === 0 && info !== undefined && (DUE.has(info.status) || info.keyMatches === false));
  const renew: RenewTarget[] = [];
  for (const spec of LEAF_CERTS) {
    const info = byName.get(spec.name);
    if (!wanted(info, spec.name)) continue;
    const target = leafTarget(input, spec, info, skipped);
    if (target) renew.push(target);
  }
  for (const spec of KUBECONFIGS) {
    const info = byName.get(spec.name);
    if (!wanted(info, spec.name)) continue;
    const target = kubeconfigTarget(input, spec, info, skipped);
    if (target) renew.push(target);
  }
  const users = [...new Set(renew.flatMap((t) => t.users))];
  return { renew, skipped, restart: restartOrder(users.map((name) => ({ name }))).map((p) => p.name) };
}

function leafTarget(
  input: RenewalInput,
  spec: CertSpec,
  info: CertificateInfo | undefined,
  skipped: RenewalPlan['skipped'],
): RenewTarget | null {
  const signer = spec.signer!;
  if (!info || info.status === 'missing') {
    skipped.push({ name: spec.name, why: `not there${spec.optional ? ` (${spec.optional})` : ''}` });
    return null;
  }
  if (info.status === 'error') {
    skipped.push({ name: spec.name, why: `cannot be read: ${info.problem ?? 'unknown'}` });
    return null;
  }
  if (!input.caKeys.has(signer)) {
    skipped.push({ name: spec.name, why: externalCa(signer) });
    return null;
  }
  const certFile = join(input.pkiDir, `${spec.file}.crt`);
  const keyFile = join(input.pkiDir, `${spec.file}.key`);
  return {
    name: spec.name,
    kind: 'certificate',
    certFile,
    keyFile,
    kubeconfig: null,
    ...ca(input, signer),
    notAfter: info.notAfter,
    status: info.status,
    users: usersOf(input, [certFile, keyFile]),
  };
}

function kubeconfigTarget(
  input: RenewalInput,
  spec: KubeconfigSpec,
  info: CertificateInfo | undefined,
  skipped: RenewalPlan['skipped'],
): RenewTarget | null {
  if (!info || info.status === 'missing') {
    skipped.push({ name: spec.name, why: `not there${spec.optional ? ` (${spec.optional})` : ''}` });
    return null;
  }
  if (!spec.renewable) {
    skipped.push({
      name: spec.name,
      why:
        info.certificatePath === null && info.status === 'expired'
          ? 'its certificate is embedded and expired: kubelet cannot rotate it. Move kubelet.conf aside, make a new one from the cluster CA (kubeadm kubeconfig user --org system:nodes --client-name system:node:<node>), pointing at /var/lib/kubelet/pki/kubelet-client-current.pem once kubelet rotates, then restart kubelet'
          : 'kubelet rotates its own client certificate (kubeadm leaves it to kubelet too)',
    });
    return null;
  }
  if (info.status === 'error') {
    skipped.push({ name: spec.name, why: `cannot be read: ${info.problem ?? 'unknown'}` });
    return null;
  }
  if (info.certificatePath !== null) {
    skipped.push({
      name: spec.name,
      why: `its client certificate is a file of its own (${info.certificatePath}), not embedded: not one kubeadm renews`,
    });
    return null;
  }
  if (!input.caKeys.has(KUBECONFIG_SIGNER)) {
    skipped.push({ name: spec.name, why: externalCa(KUBECONFIG_SIGNER) });
    return null;
  }
  const kubeconfig = join(input.kubeconfigDir, spec.name);
  return {
    name: spec.name,
    kind: 'kubeconfig',
    certFile: null,
    keyFile: null,
    kubeconfig,
    ...ca(input, KUBECONFIG_SIGNER),
    notAfter: info.notAfter,
    status: info.status,
    users: usersOf(input, [kubeconfig]),
  };
}

function ca(input: RenewalInput, signer: string): { caCertFile: string; caKeyFile: string } {
  return {
    caCertFile: join(input.pkiDir, `${signer}.crt`),
    caKeyFile: join(input.pkiDir, `${signer}.key`),
  };
}

function externalCa(signer: string): string {
  return `signed by ${signer}.crt, whose key (${signer}.key) is not on this node (an external CA): not touched; renew it where that CA is`;
}

/** The static pods whose flags name one of these files (as paths on the node). */
function usersOf(input: RenewalInput, files: string[]): string[] {
  const onNode = new Set(files.map((f) => normalize(nodePath(input.root, f))));
  return input.pods
    .filter((pod) =>
      pod.args.some((arg) => {
        const value = arg.startsWith('--') && arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : arg;
        return onNode.has(normalize(value));
      }),
    )
    .map((pod) => pod.name);
}

/** A path on this machine as the node sees it (under --root). */
function nodePath(root: string, hostPath: string): string {
  const base = normalize(root);
  if (base === '/' || base === '') return hostPath;
  return hostPath.startsWith(`${base}/`) ? hostPath.slice(base.length) : hostPath;
}
