// What `status` prints: the model of the node as JSON for scripts, and as plain text for people. Pure.
import type { Alert } from '../../model/alerts.js';
import type { NodeFacts } from '../../model/facts.js';
import type { NodeModel } from '../../model/node.js';
import type { PodPhase, PodView } from '../../model/pod-view.js';
import type { ContainerView } from '../../model/runtime.js';
import { countBySeverity } from '../../model/static-pods.js';
import type { Located } from '../../node/discover.js';
import type { Intent } from '../../node/state-dir.js';
import type { Finding, HealthEndpoint } from '../../sources/manifests/types.js';
import { escapeName, sanitizeLine } from '../../util/sanitize.js';
import { cliFix } from './fixes.js';
import { findingLine } from './lint.js';

/** An alert as scripts read it: the fix as the command that does it. */
export interface AlertJson {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  fix: string | null;
}

export interface StatusJson {
  node: { name: string; root: string };
  paths: Record<string, Located<string | null>>;
  problems: string[];
  manifestDir: { path: string; error: string | null };
  runtime: RuntimeJson;
  staticPods: StaticPodJson[];
  /** Pods kubelet started from a file whose manifest is gone, still running: kubelet may never stop them. */
  podsWithoutManifest: RuntimeOnlyPodJson[];
  /** Static pods kubelet runs from its HTTP source (staticPodURL / --manifest-url): no file here stops them. */
  podsFromUrl: RuntimeOnlyPodJson[];
  findings: Finding[];
  interruptedChange: Intent | null;
  /** Everything an operator must not miss, most urgent first (the pods' alerts among them). */
  alerts: AlertJson[];
}

export interface RuntimeOnlyPodJson {
  podName: string;
  namespace: string;
  phase: PodPhase;
  alerts: AlertJson[];
  containers: ContainerJson[];
}

export interface RuntimeJson {
  kind: string | null;
  endpoint: string | null;
  source: string | null;
  name: string | null;
  version: string | null;
  apiVersion: string | null;
  error: string | null;
}

export interface ContainerJson {
  name: string;
  state: string;
  attempt: number;
  restartCount: number;
  exitCode: number | null;
  reason: string | null;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  image: string;
  id: string;
  podUid: string;
  logPath: string | null;
  lastTermination: { exitCode: number | null; reason: string | null; finishedAt: string | null } | null;
}

export interface StaticPodJson {
  name: string | null;
  namespace: string | null;
  mirrorPodName: string | null;
  file: string;
  enabled: boolean;
  loadedByKubelet: boolean;
  kind: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  sha256: string | null;
  hostNetwork: boolean | null;
  declaredContainers: { name: string; image: string }[];
  health: HealthEndpoint | null;
  /** From the runtime: empty when nothing of the pod exists there (or the runtime could not be read). */
  sandboxes: { id: string; state: string; attempt: number; createdAt: string | null; podUid: string }[];
  containers: ContainerJson[];
  /** Something of the pod runs; null when the runtime could not be read. */
  running: boolean | null;
  /** What the TUI's STATE column says, as a stable word (see the README). */
  phase: PodPhase;
  alerts: AlertJson[];
  findings: Finding[];
}

export function statusJson(facts: NodeFacts, model: NodeModel): StatusJson {
  const { layout } = facts;
  const runtime = facts.runtime;
  const reading = runtime.value;
  const viewOf = new Map(model.pods.filter((p) => p.staticPod).map((p) => [p.staticPod, p]));
  return {
    node: { name: layout.nodeName.value, root: layout.root },
    paths: {
      manifests: layout.manifests,
      holding: layout.holding,
      stateDir: layout.stateDir,
      kubeletConfig: layout.kubeletConfig,
      runtimeEndpoint: layout.runtimeEndpoint,
      pki: layout.pki,
      etcdDataDir: facts.etcdDataDir,
      staticPodURL: layout.staticPodURL,
      podLogsDir: layout.podLogsDir,
      nodeName: layout.nodeName,
    },
    problems: layout.problems,
    manifestDir: { path: facts.dirs.manifests.dir, error: facts.dirs.manifests.error },
    runtime: {
      kind: runtime.choice?.kind ?? null,
      endpoint: runtime.choice?.endpoint ?? null,
      source: runtime.choice?.source ?? null,
      name: reading?.info.name ?? null,
      version: reading?.info.version ?? null,
      apiVersion: reading?.info.apiVersion ?? null,
      error: runtime.error,
    },
    // In the directories' own order, as `lint` lists them; each with what its row in the TUI shows.
    staticPods: model.staticPods.map((sp) => staticPodJson(viewOf.get(sp)!)),
    podsWithoutManifest: model.pods.filter((p) => p.origin === 'none').map(runtimeOnlyPodJson),
    podsFromUrl: model.pods.filter((p) => p.origin === 'url').map(runtimeOnlyPodJson),
    findings: model.findings,
    interruptedChange: facts.intent,
    alerts: model.alerts.map(alertJson),
  };
}

function runtimeOnlyPodJson(p: PodView): RuntimeOnlyPodJson {
  return {
    podName: p.podName!,
    namespace: p.namespace!,
    phase: p.phase,
    alerts: p.alerts.map(alertJson),
    containers: p.containers.map(containerJson),
  };
}

export function alertJson(a: Alert): AlertJson {
  return { code: a.code, severity: a.severity, message: a.message, fix: cliFix(a.fix) };
}

function containerJson(c: ContainerView): ContainerJson {
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    name: c.name,
    state: c.state,
    attempt: c.attempt,
    restartCount: c.restartCount,
    exitCode: c.exitCode,
    reason: c.reason,
    createdAt: iso(c.createdAt),
    startedAt: iso(c.startedAt),
    finishedAt: iso(c.finishedAt),
    image: c.image,
    id: c.id,
    podUid: c.podUid,
    logPath: c.logPath,
    lastTermination: c.lastTermination && {
      ...c.lastTermination,
      finishedAt: iso(c.lastTermination.finishedAt),
    },
  };
}

function staticPodJson(view: PodView): StaticPodJson {
  const sp = view.staticPod!;
  const m = sp.manifest;
  const runtime = view.runtime;
  return {
    name: sp.name,
    namespace: sp.namespace,
    mirrorPodName: sp.mirrorPodName,
    file: sp.file,
    enabled: sp.enabled,
    loadedByKubelet: sp.loadedByKubelet,
    kind: m.kind,
    mode: `0${m.mode.toString(8)}`,
    uid: m.uid,
    gid: m.gid,
    size: m.size,
    sha256: m.sha256,
    hostNetwork: sp.pod?.hostNetwork ?? null,
    declaredContainers: sp.pod?.containers.map((c) => ({ name: c.name, image: c.image })) ?? [],
    health: sp.pod?.health ?? null,
    sandboxes:
      runtime?.sandboxes.map((x) => ({
        id: x.id,
        state: x.state,
        attempt: x.attempt,
        createdAt: x.createdAt?.toISOString() ?? null,
        podUid: x.podUid,
      })) ?? [],
    containers: runtime?.containers.map(containerJson) ?? [],
    running: runtime ? runtime.running : null,
    phase: view.phase,
    alerts: view.alerts.map(alertJson),
    findings: sp.findings,
  };
}

/** Every string from the node is escaped before it reaches the terminal. */
const show = (s: string | null | undefined): string => (s == null ? '-' : escapeName(s));

export function statusText(status: StatusJson): string {
  const lines: string[] = [];
  lines.push(
    `node ${show(status.node.name)}${status.node.root === '/' ? '' : `  (root ${show(status.node.root)})`}`,
  );
  lines.push('');
  const width = Math.max(...Object.keys(status.paths).map((k) => k.length));
  for (const [key, located] of Object.entries(status.paths)) {
    lines.push(
      `  ${key.padEnd(width)}  ${show(located.value ?? 'not configured')}   (${show(located.source)})`,
    );
  }
  for (const problem of status.problems) lines.push(`  ! ${show(problem)}`);
  lines.push('');
  // The lint findings are listed in full below; every other alert is a line of its own.
  const alerts = status.alerts.filter((a) => a.code !== 'lint-findings').map(alertLine);
  if (status.manifestDir.error) {
    const others = status.alerts.filter((a) => a.code !== 'manifest-dir' && a.code !== 'lint-findings');
    lines.push(...others.map(alertLine), `! static pod directory: ${show(status.manifestDir.error)}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(runtimeLine(status.runtime));
  lines.push('');
  lines.push('static pods');
  if (status.staticPods.length === 0) lines.push('  (none: the manifest directory is empty)');
  const rows = status.staticPods.map((p) => [
    p.enabled ? (p.loadedByKubelet ? 'enabled' : 'ignored') : 'disabled',
    show(p.name ?? '(no pod)'),
    p.file,
    p.phase,
    containersSummary(p, status.runtime.error === null),
    findingSummary(p.findings),
  ]);
  lines.push(...table(['MANIFEST', 'POD', 'FILE', 'PHASE', 'CONTAINERS', 'FINDINGS'], rows));
  if (alerts.length > 0) lines.push('', ...alerts);
  const findings = status.findings;
  if (findings.length > 0) {
    lines.push('');
    lines.push('findings');
    lines.push(...findings.map(findingLine));
  }
  return `${lines.join('\n')}\n`;
}

/** "! kube-scheduler is disabled but still runs: ...; stop it with `breakglass stop kube-scheduler`" */
export function alertLine(a: AlertJson): string {
  return `${a.severity === 'error' ? '!' : '*'} ${sanitizeLine(a.message)}${a.fix ? `; ${a.fix}` : ''}`;
}

function runtimeLine(r: RuntimeJson): string {
  if (r.error !== null) return `runtime  ! ${show(r.error)}`;
  const api = r.kind === 'cri' ? `CRI ${show(r.apiVersion)}` : `Engine API ${show(r.apiVersion)}`;
  return `runtime  ${show(r.name)} ${show(r.version)} (${api}) at ${show(r.endpoint)}   (${show(r.source)})`;
}

/** "running, 3 restarts, last exit 1 (Error)" style, one container after another. */
function containersSummary(p: StaticPodJson, runtimeKnown: boolean): string {
  if (!runtimeKnown) return '?';
  if (p.containers.length === 0) return p.enabled && p.loadedByKubelet ? 'none' : '-';
  return p.containers
    .map((c) => {
      const parts = [c.state];
      if (c.restartCount > 0) parts.push(`${c.restartCount} restart${c.restartCount > 1 ? 's' : ''}`);
      const exit = c.state === 'exited' ? c : c.lastTermination;
      if (exit && exit.exitCode !== null)
        parts.push(`exit ${exit.exitCode}${exit.reason ? ` ${show(exit.reason)}` : ''}`);
      return p.containers.length > 1 ? `${show(c.name)}: ${parts.join(', ')}` : parts.join(', ');
    })
    .join('; ');
}

function findingSummary(findings: Finding[]): string {
  const { errors, warnings } = countBySeverity(findings);
  const parts = [];
  if (errors) parts.push(`${errors} error${errors > 1 ? 's' : ''}`);
  if (warnings) parts.push(`${warnings} warning${warnings > 1 ? 's' : ''}`);
  return parts.join(', ');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}
