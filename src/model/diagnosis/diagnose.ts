// The diagnosis: every rule's causes, a finding for each failing pod that no cause explains, the
// cascade folded into the cause it comes from (the scheduler failing because the API server is down is
// a consequence, not a finding), ranked so that the first is the most likely root cause. Pure.
import { API_SERVER_POD } from '../../node/apiserver.js';
import type { PodView } from '../pod-view.js';
import { type Cause, cause, evidence, failureWords, fix, isFailing, LAYER } from './cause.js';
import { certificateCauses } from './cert-causes.js';
import { etcdCauses } from './etcd-causes.js';
import { manifestCauses } from './manifest-causes.js';
import { diskCauses, interruptedCauses, kubeletCauses, runtimeCauses } from './node-causes.js';
import { badFlagCauses, podFailure } from './pod-causes.js';
import type { Diagnosis, DoctorInput } from './types.js';

/** Who needs whom on a kubeadm control plane: the API server needs etcd, the rest need the API server. */
const NEEDS: Record<string, string[]> = {
  [API_SERVER_POD]: ['etcd'],
  'kube-controller-manager': [API_SERVER_POD],
  'kube-scheduler': [API_SERVER_POD],
};
const DEPTH: Record<string, number> = { etcd: 0, [API_SERVER_POD]: 1 };
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function diagnose(input: DoctorInput): Diagnosis[] {
  const causes: Cause[] = [
    ...interruptedCauses(input),
    ...kubeletCauses(input),
    ...runtimeCauses(input),
    ...diskCauses(input),
    ...certificateCauses(input),
    ...manifestCauses(input),
    ...etcdCauses(input),
    ...badFlagCauses(input),
  ];
  const failing = input.model.pods.filter(isFailing);
  const byName = new Map(failing.map((p) => [p.name, p]));
  // Down: failing pods, and components gone because kubelet cannot load their manifest.
  const down = new Set(failing.map((p) => p.name));
  for (const c of causes) if (c.code === 'manifest-unparsable' && c.subject) down.add(c.subject);
  const apiProbe = input.model.apiServer;
  if (apiProbe && !apiProbe.ok) down.add(API_SERVER_POD);

  const explained = (name: string) => causes.some((c) => c.explains === 'all' || c.explains.has(name));
  const needsDown = (name: string) => (NEEDS[name] ?? []).some((d) => down.has(d));
  const unexplained = failing
    .filter((p) => !explained(p.name) && !needsDown(p.name))
    .sort((a, b) => (DEPTH[a.name] ?? 2) - (DEPTH[b.name] ?? 2));
  for (const pod of unexplained) causes.push(podFailure(pod, input));
  if (
    apiProbe &&
    !apiProbe.ok &&
    !byName.has(API_SERVER_POD) &&
    !explained(API_SERVER_POD) &&
    !needsDown(API_SERVER_POD)
  ) {
    causes.push(apiServerUnanswered(apiProbe.url, apiProbe.error ?? `HTTP ${apiProbe.statusCode}`));
  }

  for (const c of causes) c.consequences.push(...consequencesOf(c, causes, down, byName));
  // The root cause first: among equally severe findings, one that explains something down (or a change
  // breakglass left half done) before one that explains nothing, then the deeper layer.
  const weight = (c: Cause) =>
    c.rank === LAYER.interrupted ||
    (c.explains === 'all' ? down.size > 0 : [...c.explains].some((name) => down.has(name)))
      ? 0
      : 1;
  return causes
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || weight(a) - weight(b) || a.rank - b.rank,
    )
    .map(({ rank: _rank, explains: _explains, ...finding }) => finding);
}

/**
 * What fails because of a cause: the pods it explains that have no finding of their own, then, through
 * who needs whom, every component that is down because of those.
 */
function consequencesOf(c: Cause, all: Cause[], down: Set<string>, failing: Map<string, PodView>): string[] {
  const ownCause = (name: string) =>
    all.some((o) => o !== c && o.explains !== 'all' && o.explains.has(name) && o.rank <= LAYER.component);
  const roots = c.explains === 'all' ? [...failing.keys()] : [...c.explains];
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, because: string | null) => {
    if (seen.has(name)) return;
    seen.add(name);
    // A pod with a finding of its own carries its own cascade.
    if (name !== c.subject && because === null && ownCause(name)) return;
    if (name !== c.subject) {
      const pod = failing.get(name);
      if (pod || because !== null) {
        const words = pod ? failureWords(pod) : `${name} is down`;
        out.push(because ? `${words}: it needs ${because}` : words);
      }
    }
    for (const [dependent, needs] of Object.entries(NEEDS)) {
      if (needs.includes(name) && down.has(dependent) && !ownCause(dependent)) visit(dependent, name);
    }
  };
  for (const name of roots) if (down.has(name)) visit(name, null);
  if (seen.has(API_SERVER_POD) && c.code !== 'apiserver-down')
    out.push('the API server is down: kubectl, the controllers and every dashboard are blind');
  return out;
}

function apiServerUnanswered(url: string, why: string): Cause {
  return cause(LAYER.apiserver, [API_SERVER_POD], {
    code: 'apiserver-down',
    severity: 'error',
    title: `the API server does not answer (${why}) and no kube-apiserver pod is in the manifest directory`,
    subject: API_SERVER_POD,
    evidence: [evidence(`${url}: ${why}`, 'health probe')],
    fix: fix(
      'put its manifest back (breakglass enable kube-apiserver, if it is in the holding directory)',
      'breakglass status',
    ),
  });
}

/** Whether the node needs the operator: any finding but the informational ones. */
export function somethingWrong(findings: Diagnosis[]): boolean {
  return findings.some((f) => f.severity !== 'info');
}
