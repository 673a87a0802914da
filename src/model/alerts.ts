// The things an operator must not miss, decided once for every screen and command: an interrupted
// change, a manifest directory that cannot be read, kubelet not running, a stray copy kubelet runs, a
// disabled pod still running, a pod with no manifest left, certificates not valid, etcd in trouble (an alarm,
// no quorum or leader, a database near its quota). Each says what is wrong
// and, where breakglass can do it, the fix; the TUI shows a fix as its key, the CLI as its command.
// Pure.
import { EXPIRY_WARNING_DAYS } from '../node/kubeadm-pki.js';
import { escapeName } from '../util/sanitize.js';
import { etcdProblems } from './etcd-cluster.js';
import type { NodeFacts } from './facts.js';

export type AlertCode =
  | 'interrupted-change'
  | 'interrupted-procedure'
  | 'procedure-failed'
  | 'manifest-dir'
  | 'kubelet-not-active'
  | 'broken-manifest'
  | 'stray-copy'
  | 'still-running'
  | 'no-manifest'
  | 'from-url'
  | 'certificate-invalid'
  | 'certificate-expiring'
  | 'etcd'
  | 'lint-findings';

/** What fixes it, as an action breakglass has (the TUI: a key; the CLI: a command). */
export type FixAction =
  | 'recover'
  | 'resume-restart'
  | 'stop-pod'
  | 'disable'
  | 'restart-kubelet'
  | 'restart-unit'
  | 'show-manifest'
  | 'show-certs'
  | 'etcd-reclaim';

export interface Fix {
  action: FixAction;
  /** The static pod (a file name or a mirror pod name) or unit it applies to. */
  target: string | null;
}

export interface Alert {
  code: AlertCode;
  severity: 'error' | 'warning';
  /** One line in the operator's words, without the fix. Names from the node are already escaped. */
  message: string;
  fix: Fix | null;
}

/** The node-wide alerts, most urgent first; `podAlerts` are those of the static pods, in row order. */
export function nodeAlerts(facts: NodeFacts, podAlerts: Alert[], findingCount: number): Alert[] {
  const out: Alert[] = [];
  const intent = facts.intent;
  if (intent) {
    out.push({
      code: 'interrupted-change',
      severity: 'error',
      message: `an interrupted ${intent.action} of ${intent.displayName} (pid ${intent.pid}, ${intent.startedAt}) waits`,
      fix: { action: 'recover', target: null },
    });
  }
  out.push(...procedureAlerts(facts));
  if (facts.dirs.manifests.error) {
    out.push({
      code: 'manifest-dir',
      severity: 'error',
      message: `manifest directory: ${facts.dirs.manifests.error}`,
      fix: null,
    });
  }
  const kubelet = facts.kubeletUnit.value;
  if (kubelet && kubelet.loadState === 'loaded' && kubelet.activeState !== 'active') {
    out.push({
      code: 'kubelet-not-active',
      severity: 'error',
      message: `${kubelet.name} is ${kubelet.activeState}/${kubelet.subState}: no static pod is started, stopped or restarted`,
      fix: { action: 'restart-kubelet', target: facts.kubeletUnit.name },
    });
  }
  out.push(...podAlerts);
  out.push(...certificateAlerts(facts));
  out.push(...etcdAlerts(facts));
  if (findingCount > 0) {
    out.push({
      code: 'lint-findings',
      severity: 'warning',
      message: `${findingCount} lint finding(s) in the static pod directory`,
      fix: { action: 'show-manifest', target: null },
    });
  }
  return out;
}

function certificateAlerts(facts: NodeFacts): Alert[] {
  const certs = facts.certs.value ?? [];
  const mismatched = certs.filter((c) => c.keyMatches === false);
  const pairs: Alert[] =
    mismatched.length === 0
      ? []
      : [
          {
            code: 'certificate-invalid',
            severity: 'error',
            message: `${certificateNames(mismatched.map((c) => c.name))} not for ${mismatched.length === 1 ? 'its key' : 'their keys'}`,
            fix: { action: 'show-certs', target: null },
          },
        ];
  return [...pairs, ...datesAlerts(certs)];
}

function datesAlerts(certs: NodeFacts['certs']['value'] & {}): Alert[] {
  const invalid = certs.filter((c) => c.status === 'expired' || c.status === 'not-yet-valid');
  if (invalid.length > 0) {
    return [
      {
        code: 'certificate-invalid',
        severity: 'error',
        message: `${certificateNames(invalid.map((c) => c.name))} not valid now`,
        fix: { action: 'show-certs', target: null },
      },
    ];
  }
  const expiring = certs.filter((c) => c.status === 'warning');
  if (expiring.length === 0) return [];
  return [
    {
      code: 'certificate-expiring',
      severity: 'warning',
      message: `${certificateNames(expiring.map((c) => c.name))} ${expiring.length === 1 ? 'expires' : 'expire'} within ${EXPIRY_WARNING_DAYS} days`,
      fix: { action: 'show-certs', target: null },
    },
  ];
}

/** An alarm, no quorum, no leader, a database near its quota: etcd's own word (its API). */
function etcdAlerts(facts: NodeFacts): Alert[] {
  const view = facts.etcdCluster.value;
  if (!view) return [];
  return etcdProblems(view).map((p) => ({
    code: 'etcd',
    severity: p.severity,
    message: p.text,
    fix:
      p.code === 'etcd-quota' || (p.code === 'etcd-alarm' && /NOSPACE/.test(p.text))
        ? { action: 'etcd-reclaim', target: null }
        : null,
  }));
}

/** "certificate apiserver", or "11 certificates (apiserver, etcd-server, ... and 8 more)": one line, its fix in view. */
function certificateNames(names: string[]): string {
  if (names.length === 1) return `certificate ${names[0]}`;
  const shown = names.slice(0, 3).join(', ');
  return `${names.length} certificates (${shown}${names.length > 3 ? ` and ${names.length - 3} more` : ''})`;
}

/** A procedure cut short (recover puts back what it took), or the last one that did not finish. */
function procedureAlerts(facts: NodeFacts): Alert[] {
  const { current, last } = facts.procedures;
  if (current && !current.runnerAlive && current.end === null) {
    const done = current.steps.filter((s) => s.status === 'done').length;
    const away = current.movedOut.map((m) => m.displayName).join(', ');
    return [
      {
        code: 'interrupted-procedure',
        severity: 'error',
        message: `an interrupted ${current.command} (pid ${current.pid}, ${current.startedAt}) did ${done} of ${current.steps.length} steps${away ? `; moved out and not back yet: ${away}` : ''}`,
        fix: { action: 'recover', target: null },
      },
    ];
  }
  if (!current && last?.end && !last.end.ok && last.command === 'restart') {
    return [
      {
        code: 'procedure-failed',
        severity: 'warning',
        message: `the last restart (${last.end.at}) ${last.end.interrupted ? 'was interrupted' : 'failed'}: ${escapeName(last.end.text)}`,
        fix: { action: 'resume-restart', target: null },
      },
    ];
  }
  return [];
}
