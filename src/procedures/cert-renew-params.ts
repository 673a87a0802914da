// What `breakglass certs renew` is asked to do, planned from the node as it is: the certificates as the
// certs feed read them, which CA keys are on the node, which static pods name each file, and the
// restart of those pods (the guided restart's parameters: each pod by the method the node calls for).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type RenewalAsk, type RenewalInput, renewalPlan } from '../model/cert-renewal.js';
import type { NodeFacts } from '../model/facts.js';
import type { NodeModel } from '../model/node.js';
import { CAS, KUBECONFIGS } from '../node/kubeadm-pki.js';
import { type ServingEndpoint, servingEndpoints } from '../node/serving.js';
import { BreakglassError } from '../util/errors.js';
import type { CertRenewParams } from './cert-renew.js';
import { restartParams } from './restart-params.js';

export interface CertRenewAsk extends RenewalAsk {
  /** Valid for this many days from now (kubeadm: 365). */
  days: number;
  restart: boolean;
  readOnly: boolean;
  gateSeconds: number | undefined;
}

export const DEFAULT_VALIDITY_DAYS = 365;

/** What the renewal's rules read from the node: the certificates, the CA keys here, the pods' flags. */
export function renewalInputOf(model: NodeModel, facts: NodeFacts): RenewalInput {
  const certs = facts.certs.value;
  if (!certs)
    throw new BreakglassError(
      `the certificates could not be read: ${facts.certs.error ?? 'no answer in time'}`,
      'pki',
    );
  const pkiDir = facts.layout.pki.value;
  return {
    certs,
    pkiDir,
    kubeconfigDir: path.join(facts.layout.root, 'etc/kubernetes'),
    root: facts.layout.root,
    caKeys: new Set(CAS.map((c) => c.file).filter((f) => fs.existsSync(path.join(pkiDir, `${f}.key`)))),
    pods: enabledPods(model).map((p) => ({
      name: p.name,
      args: p.staticPod!.pod!.containers.flatMap((c) => c.argv),
    })),
  };
}

/** Where each enabled static pod serves TLS, and with which file (a path on the node). */
export function servingOf(model: NodeModel): ServingEndpoint[] {
  return enabledPods(model).flatMap((p) => servingEndpoints(p.name, p.staticPod!.pod!.containers));
}

function enabledPods(model: NodeModel) {
  return model.pods.filter((p) => p.enabled === true && p.staticPod?.pod);
}

export function certRenewParams(model: NodeModel, facts: NodeFacts, ask: CertRenewAsk): CertRenewParams {
  const input = renewalInputOf(model, facts);
  const { pkiDir, kubeconfigDir } = input;
  const plan = renewalPlan(input, { names: ask.names, all: ask.all });
  if (plan.renew.length === 0) {
    const why = plan.skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
    throw new BreakglassError(
      `nothing to renew${ask.names.length === 0 && !ask.all ? ' (nothing expired or expiring within 30 days; --all renews every one)' : ''}${why ? `. ${why}` : ''}`,
      'nothing',
    );
  }
  const restart =
    ask.restart && plan.restart.length > 0
      ? restartParams(model, facts, {
          names: plan.restart,
          all: false,
          method: 'auto',
          skipSnapshot: false,
          keepSnapshots: undefined,
          force: false,
          gateSeconds: ask.gateSeconds,
          cordon: false,
          cordonedBefore: false,
        })
      : null;
  // etcd serving on an expired certificate cannot be snapshotted over TLS until it restarts on the new one.
  const etcdServer = plan.renew.find((t) => t.name === 'etcd-server');
  if (restart?.etcd && etcdServer?.status === 'expired') restart.etcd.snapshot = false;
  const renewedFiles = new Set(plan.renew.flatMap((t) => (t.certFile ? [t.certFile] : [])));
  const onHost = (nodePath: string) =>
    facts.layout.root === '/' ? nodePath : path.join(facts.layout.root, nodePath);
  const serving = servingOf(model).filter((e) => renewedFiles.has(onHost(e.certFile)));
  const etcdFlags = model.pods.find((p) => p.enabled === true && p.name === 'etcd')?.staticPod?.pod
    ?.containers[0]?.flags;
  const initialCluster = etcdFlags?.['initial-cluster'];
  return {
    members: initialCluster ? initialCluster.split(',').filter((m) => m.includes('=')).length : null,
    renew: plan.renew,
    serving,
    skipped: plan.skipped,
    notAfter: new Date(Date.now() + ask.days * 24 * 3600 * 1000),
    stateDir: facts.layout.stateDir.value,
    readOnly: ask.readOnly,
    pkiDir,
    kubeconfigDir,
    root: facts.layout.root,
    kubeconfigs: KUBECONFIGS.map((k) => path.join(kubeconfigDir, k.name)),
    restart,
    users: plan.restart,
  };
}
