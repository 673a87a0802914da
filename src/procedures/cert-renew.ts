// `breakglass certs renew`: the PKI and kubeconfigs backed up into the state directory, each certificate
// renewed by kubeadm's rules and swapped in crash-safely, then exactly the static pods that use a renewed
// file restarted through the guided restart's own steps (kubeadm's order, each gated on a new container
// and its probe), and a last look that every renewed file on disk is valid. Without the restart
// (--no-restart) it says which pods still hold the old certificates.
import type { RenewTarget } from '../model/cert-renewal.js';
import type { ServingEndpoint } from '../node/serving.js';
import { backupPki } from '../ops/pki/backup.js';
import { renewOne } from '../ops/pki/renew.js';
import { readCertificates } from '../sources/certs.js';
import { checkServing } from '../sources/serving-cert.js';
import { errnoMessage } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import { etcdSteps } from './etcd-steps.js';
import type { Procedure, Step } from './procedure.js';
import type { RestartParams } from './restart-pods.js';
import { restartStep } from './restart-step.js';

export interface CertRenewParams {
  renew: RenewTarget[];
  /** Where the pods serve a renewed certificate: checked last, the serial served against the file's. */
  serving: ServingEndpoint[];
  skipped: { name: string; why: string }[];
  notAfter: Date;
  stateDir: string;
  readOnly: boolean;
  pkiDir: string;
  kubeconfigDir: string;
  root: string;
  /** The files backed up: the PKI directory and every kubeconfig kubeadm writes. */
  kubeconfigs: string[];
  /** The restart of the pods that use a renewed file; null with --no-restart or when none does. */
  restart: RestartParams | null;
  /** The pods that use a renewed file, restarted or not. */
  users: string[];
  /** The control-plane members etcd's --initial-cluster names; null when there is no local etcd. */
  members: number | null;
}

interface RenewState {
  backup: string | null;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export const renewCerts: Procedure<CertRenewParams, RenewState> = {
  command: 'certs renew',
  title: (p) =>
    `Renew ${p.renew.length} certificate${p.renew.length === 1 ? '' : 's'}: ${p.renew.map((t) => t.name).join(', ')}`,
  steps: (p) => [backupStep(), ...p.renew.map(renewStep), ...restartSteps(p), checkStep()],
  start: () => ({ backup: null }),
  notes: (p) => [
    'each certificate and its key are written beside their files and renamed in; a kill -9 at any point is finished or undone by `breakglass recover`',
    'the old files stay in the backup; a new key is made for each certificate, as kubeadm makes one',
    ...(p.restart === null && p.users.length > 0
      ? [`not restarted (--no-restart): ${p.users.join(', ')} keep the old certificates until each restarts`]
      : []),
  ],
  warnings: (p) => [
    ...(p.members !== null && p.members > 1
      ? [
          `this cluster has ${p.members} control-plane members (etcd's --initial-cluster): each has certificates of its own, renewed on that node: run breakglass certs renew on every master`,
        ]
      : []),
    ...p.skipped.map((s) => `${s.name}: ${s.why}`),
    ...p.renew
      .filter((t) => t.kind === 'certificate' && t.users.length === 0 && t.name !== 'etcd-healthcheck-client')
      .map((t) => `${t.name}: no static pod here names it in its flags`),
  ],
  success: (p, s) =>
    `${p.renew.length} renewed, valid until ${day(p.notAfter)}; the old files in ${s.backup ?? 'the backup'}${p.restart ? `; ${p.restart.pods.map((x) => x.name).join(', ')} restarted on them` : p.users.length > 0 ? `; still to restart: ${p.users.join(', ')}` : ''}`,
};

function backupStep(): Step<CertRenewParams, RenewState> {
  return {
    id: 'backup',
    describe: (p) => `back up ${p.pkiDir} and the kubeconfigs into ${p.stateDir}/pki-backups (0700), fsynced`,
    run: async (ctx, p, state) => {
      try {
        const b = backupPki({ stateDir: p.stateDir, pkiDir: p.pkiDir, kubeconfigs: p.kubeconfigs });
        state.backup = b.dir;
        ctx.say(`${b.files} files backed up in ${escapeName(b.dir)}`);
        return { ok: true, detail: escapeName(b.dir) };
      } catch (err) {
        return { ok: false, text: errnoMessage(err) };
      }
    },
  };
}

function renewStep(target: RenewTarget): Step<CertRenewParams, RenewState> {
  return {
    id: `renew:${target.name}`,
    describe: (p) =>
      `${target.name}: ${target.kind === 'kubeconfig' ? 'the client certificate in ' : ''}${escapeName(target.certFile ?? target.kubeconfig ?? '')} (${target.status}${target.notAfter ? `, until ${day(target.notAfter)}` : ''}) renewed until ${day(p.notAfter)}, a new key, signed by ${escapeName(target.caCertFile)}`,
    run: async (ctx, p) => {
      try {
        const out = await renewOne({ stateDir: p.stateDir, readOnly: p.readOnly }, target, p.notAfter);
        for (const note of out.notes) ctx.say(`note: ${note}`);
        return { ok: true, detail: `serial ${out.serial}` };
      } catch (err) {
        return { ok: false, text: `${target.name}: ${errnoMessage(err)}` };
      }
    },
  };
}

function restartSteps(p: CertRenewParams): Step<CertRenewParams, RenewState>[] {
  if (!p.restart) return [];
  const restart = p.restart;
  // The guided restart's own steps, gated the same way; the params they see are the restart's.
  const adapt = (step: Step<RestartParams, unknown>): Step<CertRenewParams, RenewState> => ({
    id: step.id,
    describe: (_, plan) => step.describe(restart, plan),
    ...(step.always ? { always: true } : {}),
    run: (ctx) => step.run(ctx, restart, {}),
    ...(step.undo
      ? {
          undo: {
            describe: (_, plan) => step.undo!.describe(restart, plan),
            run: (ctx) => step.undo!.run(ctx, restart),
          },
        }
      : {}),
  });
  return [
    ...(restart.etcd ? etcdSteps<RestartParams>(restart.etcd) : []),
    ...restart.pods.map((pod) => restartStep<RestartParams>(pod)),
  ].map(adapt);
}

function checkStep(): Step<CertRenewParams, RenewState> {
  return {
    id: 'check',
    describe: (p) =>
      `read every renewed certificate back from disk: valid now${p.serving.length > 0 ? `; and what ${[...new Set(p.serving.map((e) => e.pod))].join(', ')} serve${p.restart ? ': the new certificate' : ''} (its serial against the file's)` : ''}`,
    run: async (_, p) => {
      const now = new Date();
      const read = await readCertificates({
        pkiDir: p.pkiDir,
        kubeconfigDir: p.kubeconfigDir,
        root: p.root,
        now,
      });
      const names = new Set(p.renew.map((t) => t.name));
      const bad = read.filter((c) => names.has(c.name) && c.status !== 'ok' && c.status !== 'warning');
      if (bad.length > 0)
        return {
          ok: false,
          text: `not valid after renewal: ${bad.map((c) => `${c.name} (${c.status}${c.problem ? `: ${c.problem}` : ''})`).join(', ')}`,
        };
      const served = await checkServing(p.serving, p.root);
      const old = served.filter((s) => s.error === null && s.servedSerial !== s.fileSerial);
      const unread = served.filter((s) => s.error !== null);
      const words = (s: (typeof served)[number]) =>
        `${s.pod} on ${s.address} serves ${s.servedSerial}, the file has ${s.fileSerial}`;
      if (p.restart && (old.length > 0 || unread.length > 0))
        return {
          ok: false,
          text: `not serving the new certificate: ${[...old.map(words), ...unread.map((s) => `${s.pod}: ${s.error}`)].join('; ')}`,
        };
      const fresh = served.filter((s) => s.error === null && s.servedSerial === s.fileSerial);
      return {
        ok: true,
        detail: `${names.size} valid until ${day(p.notAfter)}${fresh.length > 0 ? `; served now: ${fresh.map((s) => `${s.pod} ${s.address}`).join(', ')}` : ''}${old.length > 0 ? `; still the old: ${old.map(words).join('; ')}` : ''}`,
      };
    },
  };
}
