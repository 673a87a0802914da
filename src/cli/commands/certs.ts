// `breakglass certs [--json]`: kubeadm's certificates and kubeconfigs as `kubeadm certs check-expiration`
// lists them, with the CA that signs each (and whether its key is on the node) and the static pods whose
// flags name it. `breakglass certs renew [NAME...|--all] [--no-restart] [--days N] [--yes]`: renewed by
// kubeadm's rules and the pods that use them restarted (procedures/cert-renew.ts).
import * as path from 'node:path';
import { renewalPlan } from '../../model/cert-renewal.js';
import type { NodeFacts } from '../../model/facts.js';
import { type NodeModel, nodeModel } from '../../model/node.js';
import { KUBECONFIGS, LEAF_CERTS } from '../../node/kubeadm-pki.js';
import { appendAudit } from '../../ops/audit.js';
import { refreshUserKubeconfig, staleAdminCopy } from '../../ops/pki/user-kubeconfig.js';
import { renewCerts } from '../../procedures/cert-renew.js';
import {
  certRenewParams,
  DEFAULT_VALIDITY_DAYS,
  renewalInputOf,
  servingOf,
} from '../../procedures/cert-renew-params.js';
import type { CertificateInfo } from '../../sources/certs.js';
import { checkServing, type ServingCheck } from '../../sources/serving-cert.js';
import { NodeStore } from '../../store/store.js';
import { waitFor } from '../../store/watch.js';
import { BreakglassError } from '../../util/errors.js';
import { escapeName, terminalSafeJson } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { commandFlagArgs, nodeFlagArgs } from '../flags.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io } from '../io.js';
import { discover, storeOptions } from '../node.js';
import { runProcedureCommand } from '../run-procedure.js';

/** What the record keeps of the flags: those that shape the plan, not those that say how to ask. */
const NOT_RECORDED = ['yes', 'json'] as const;

export async function certs(args: CliArgs, io: Io): Promise<number> {
  const [sub, ...names] = args.targets;
  if (sub === undefined) return list(args, io);
  if (sub !== 'renew')
    throw new BreakglassError(`certs takes nothing, or renew [NAME...]; not "${escapeName(sub)}"`, 'usage');
  if (names.length > 0 && args.flags.all)
    throw new BreakglassError('certs renew takes NAMEs or --all, not both', 'usage');
  const code = await runProcedureCommand(args, io, {
    procedure: renewCerts,
    feeds: ['runtime', 'health', 'certs'],
    confirm: true,
    params: (model, facts) =>
      certRenewParams(model, facts, {
        names,
        all: args.flags.all,
        days: args.flags.days ?? DEFAULT_VALIDITY_DAYS,
        restart: !args.flags.noRestart,
        readOnly: args.flags.readOnly,
        gateSeconds: args.flags.gateTimeout,
      }),
    // Detached and durable, as the guided restart: a dropped SSH session does not stop it half-way.
    durable: {
      doing: 'renew certificates',
      argv: [
        'certs',
        'renew',
        ...names,
        ...commandFlagArgs(args.flags, 'certs', NOT_RECORDED),
        ...nodeFlagArgs(args.flags),
      ],
      recordArgs: ['renew', ...names, ...commandFlagArgs(args.flags, 'certs', NOT_RECORDED)],
    },
    result: (p) => ({
      renewed: p.renew.map((t) => t.name),
      skipped: p.skipped,
      restarted: p.restart?.pods.map((x) => x.name) ?? [],
      notRestarted: p.restart ? [] : p.users,
      notAfter: p.notAfter.toISOString(),
    }),
  });
  if (code === EXIT_OK) await offerUserKubeconfig(args, io);
  return code;
}

/** The operator behind sudo keeps kubectl working: their copy of admin.conf refreshed, when asked. */
async function offerUserKubeconfig(args: CliArgs, io: Io): Promise<void> {
  const layout = await discover(args.flags);
  const adminConf = path.join(layout.root, 'etc/kubernetes/admin.conf');
  const stale = staleAdminCopy(layout.root, adminConf, process.env.SUDO_USER);
  if (!stale) return;
  const shown = escapeName(stale.file);
  if (!io.ask || args.flags.json || args.flags.yes) {
    io.err(
      `breakglass: ${shown} (${escapeName(stale.user)}'s kubectl) still holds the old admin certificate: cp ${escapeName(adminConf)} ${shown}\n`,
    );
    return;
  }
  const answer = await io.ask(
    `Refresh ${shown} (${escapeName(stale.user)}'s kubectl) from the new admin.conf? The old one is kept beside it. [y/N] `,
  );
  if (!/^y/i.test(answer.trim())) return;
  const kept = refreshUserKubeconfig(stale, adminConf);
  appendAudit(layout.stateDir.value, {
    action: 'refresh-kubeconfig',
    file: shown,
    outcome: 'ok',
    message: `from ${escapeName(adminConf)}; the old one kept in ${escapeName(kept)}`,
  });
  io.out(`${shown} refreshed; the old one is ${escapeName(kept)}\n`);
}

export interface CertJson {
  name: string;
  kind: CertificateInfo['kind'];
  path: string;
  subject: string | null;
  notAfter: string | null;
  residualDays: number | null;
  status: CertificateInfo['status'];
  problem: string | null;
  /** Whether it is for the key beside it (null: no key to compare). */
  keyMatches: boolean | null;
  /** The CA that signs it (its file under the PKI directory), and whether that CA's key is on the node. */
  signer: string | null;
  signerKeyOnNode: boolean | null;
  usedBy: string[];
  /** Where a pod serves it now, and whether what it serves is this file (the same serial). */
  serving: {
    pod: string;
    address: string;
    servedSerial: string | null;
    sameAsFile: boolean | null;
    error: string | null;
  }[];
  /** What `certs renew` would do with it: null when it renews it, else why not. */
  notRenewed: string | null;
}

async function list(args: CliArgs, io: Io): Promise<number> {
  const layout = await discover(args.flags);
  const store = new NodeStore({ ...storeOptions(args.flags, layout), notifyMs: 50 });
  try {
    store.start(['certs']);
    const signal = io.signal ?? new AbortController().signal;
    await waitFor(store, (_, facts) => facts.certs.at !== null, 8, signal);
    const facts = store.snapshot;
    const model = nodeModel(facts);
    const served = await checkServing(servingOf(model), facts.layout.root);
    const rows = certRows(model, facts, served);
    io.out(args.flags.json ? `${terminalSafeJson({ certificates: rows }, 2)}\n` : certsText(rows));
    return rows.some(
      (r) =>
        r.status === 'expired' ||
        r.status === 'not-yet-valid' ||
        r.status === 'error' ||
        r.keyMatches === false,
    )
      ? EXIT_PROBLEMS
      : EXIT_OK;
  } finally {
    await store.close();
  }
}

function certRows(model: NodeModel, facts: NodeFacts, served: ServingCheck[]): CertJson[] {
  const input = renewalInputOf(model, facts);
  const { certs, caKeys } = input;
  const plan = renewalPlan(input, { names: [], all: true });
  const signerOf = (name: string): string | null =>
    LEAF_CERTS.find((s) => s.name === name)?.signer ??
    (KUBECONFIGS.some((k) => k.name === name) ? 'ca' : null);
  const now = Date.now();
  return certs.map((c) => {
    const target = plan.renew.find((t) => t.name === c.name);
    const signer = signerOf(c.name);
    return {
      name: c.name,
      kind: c.kind,
      path: c.path,
      subject: c.subject,
      notAfter: c.notAfter?.toISOString() ?? null,
      residualDays: c.notAfter ? Math.floor((c.notAfter.getTime() - now) / 86_400_000) : null,
      status: c.status,
      problem: c.problem,
      keyMatches: c.keyMatches,
      signer,
      signerKeyOnNode: signer === null ? null : caKeys.has(signer),
      usedBy: target?.users ?? [],
      serving: served
        .filter((s) => target?.certFile === s.certFile)
        .map((s) => ({
          pod: s.pod,
          address: s.address,
          servedSerial: s.servedSerial,
          sameAsFile: s.error === null ? s.servedSerial === s.fileSerial : null,
          error: s.error,
        })),
      notRenewed: target
        ? null
        : c.kind === 'ca'
          ? 'a CA: never renewed'
          : (plan.skipped.find((s) => s.name === c.name)?.why ?? 'not renewed'),
    };
  });
}

function certsText(rows: CertJson[]): string {
  const header = ['CERTIFICATE', 'EXPIRES', 'RESIDUAL', 'STATUS', 'SIGNED BY', 'USED BY'];
  const body = rows.map((r) => [
    r.name,
    r.notAfter ? r.notAfter.replace('T', ' ').slice(0, 16) : '-',
    r.residualDays === null ? '-' : r.residualDays < 0 ? 'expired' : `${r.residualDays}d`,
    r.keyMatches === false ? `${r.status}, NOT ITS KEY` : r.status,
    r.signer === null ? '-' : `${r.signer}${r.signerKeyOnNode ? '' : ' (no key here)'}`,
    r.usedBy.join(', ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const problems = rows.filter((r) => r.problem).map((r) => `! ${r.name}: ${escapeName(r.problem!)}`);
  for (const r of rows)
    for (const s of r.serving.filter((x) => x.sameAsFile === false))
      problems.push(
        `! ${s.pod} on ${s.address} serves another ${r.name} than the file (serial ${s.servedSerial}): it loads the file when it restarts`,
      );
  return `${[line(header), ...body.map(line), ...(problems.length ? ['', ...problems] : [])].join('\n')}\n`;
}
