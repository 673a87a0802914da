// The static pods as an operator reads them: one view per pod, joined from the manifest directory, the
// holding directory, the runtime and the health probes, with its phase and alerts. The TUI's table and
// `status` both show these. Pure: the words and judgements, no I/O, no React.
import type { Finding } from '../sources/manifests/types.js';
import { escapeName } from '../util/sanitize.js';
import type { Alert } from './alerts.js';
import type { HealthView } from './facts.js';
import type { ContainerView, PodRuntime, PodWithoutManifest, RuntimeOnlyPod } from './runtime.js';
import type { StaticPod } from './static-pods.js';

export type PodPhase =
  | 'running'
  | 'starting'
  | 'crash-loop'
  | 'exited'
  | 'not-started'
  | 'disabled'
  | 'still-running'
  | 'orphan'
  | 'broken'
  | 'unknown';

export interface PodView {
  /** 'file:<file name>' (the same whether enabled or disabled), 'held:<file name>' for a second copy in the holding directory, 'orphan:<namespace>/<pod>', 'url:<namespace>/<pod>'. */
  key: string;
  /** Where kubelet has the pod from: a manifest file here, its HTTP source, or nowhere any more. */
  origin: 'file' | 'url' | 'none';
  /** The pod's name, or the file name when the file does not decode to a pod. */
  name: string;
  /** The file name, escaped for display; null for a pod without manifest. */
  file: string | null;
  /** The exact file name for the ops layer; null when there is no file. */
  fileName: string | null;
  enabled: boolean | null;
  loadedByKubelet: boolean;
  staticPod: StaticPod | null;
  /** The runtime's mirror pod name and namespace, when known. */
  podName: string | null;
  namespace: string | null;
  phase: PodPhase;
  /** A few words for the state column. */
  stateText: string;
  restarts: number | null;
  /** When the current container started (or was created). */
  since: Date | null;
  lastExit: string | null;
  health: HealthView | null;
  findings: Finding[];
  /** The worst finding's severity, for the row's colour. */
  severity: 'error' | 'warning' | null;
  /** What must be impossible to miss about it (a stray copy kubelet runs, a disabled pod still running). */
  alerts: Alert[];
  containers: ContainerView[];
  /** What the runtime has of it; null when the runtime could not be read or has nothing of it. */
  runtime: PodRuntime | null;
}

export interface PodInputs {
  staticPods: StaticPod[];
  /** Runtime per static pod; null when the runtime could not be read. */
  runtime: Map<StaticPod, PodRuntime> | null;
  podsWithoutManifest: PodWithoutManifest[];
  /** Running static pods from kubelet's HTTP source. */
  podsFromUrl: RuntimeOnlyPod[];
  /** Health by pod name (metadata.name). */
  health: ReadonlyMap<string, HealthView>;
}

export function podViews(inputs: PodInputs): PodView[] {
  const rows = inputs.staticPods.map((sp) => viewOf(sp, inputs));
  // A pod keeps its key when it is disabled or enabled (its file moves), so the selection and the log
  // pane stay with it; only a second file of the same name in the holding directory gets its own.
  const enabledFiles = new Set(rows.filter((r) => r.enabled).map((r) => r.fileName));
  for (const r of rows) {
    if (r.enabled === false && enabledFiles.has(r.fileName)) r.key = `held:${r.fileName}`;
  }
  for (const orphan of inputs.podsWithoutManifest) rows.push(orphanView(orphan));
  for (const pod of inputs.podsFromUrl) rows.push(urlView(pod));
  // Enabled first (what kubelet runs), then disabled, then pods from the URL, then pods with no
  // manifest; by name within each.
  const group = (r: PodView) =>
    r.enabled === true ? 0 : r.enabled === false ? 1 : r.origin === 'url' ? 2 : 3;
  return rows.sort(
    (a, b) =>
      group(a) - group(b) || a.name.localeCompare(b.name) || (a.file ?? '').localeCompare(b.file ?? ''),
  );
}

function viewOf(sp: StaticPod, inputs: PodInputs): PodView {
  const pr = inputs.runtime?.get(sp) ?? null;
  const main = pr ? mainContainer(pr) : null;
  const severity: PodView['severity'] = sp.findings.some((f) => f.severity === 'error')
    ? 'error'
    : sp.findings.some((f) => f.severity === 'warning')
      ? 'warning'
      : null;
  const stray = sp.findings.find((f) => f.code === 'stray-copy');
  const base = {
    key: `file:${sp.manifest.name}`,
    origin: 'file' as const,
    name: sp.name ?? sp.file,
    file: sp.file,
    fileName: sp.manifest.name,
    enabled: sp.enabled,
    loadedByKubelet: sp.loadedByKubelet,
    staticPod: sp,
    podName: sp.mirrorPodName,
    namespace: sp.namespace,
    findings: sp.findings,
    severity,
    containers: pr?.containers ?? [],
    runtime: pr,
    restarts: main ? totalRestarts(pr!) : null,
    since: main ? (main.startedAt ?? main.createdAt) : null,
    lastExit: main ? lastExitText(main) : null,
    health: sp.enabled && sp.name ? (inputs.health.get(sp.name) ?? null) : null,
  };
  if (!sp.pod) {
    return {
      ...base,
      phase: 'broken',
      stateText: sp.loadedByKubelet ? 'kubelet rejects it' : 'not a pod',
      alerts:
        sp.enabled && sp.loadedByKubelet
          ? [
              {
                code: 'broken-manifest',
                severity: 'error',
                message: `${sp.file}: ${firstError(sp.findings)}`,
                fix: { action: 'show-manifest', target: sp.manifest.name },
              },
            ]
          : [],
    };
  }
  if (!sp.enabled) {
    const running = pr?.running ?? false;
    return {
      ...base,
      phase: running ? 'still-running' : 'disabled',
      stateText: running ? 'STILL RUNNING' : 'disabled',
      alerts: running
        ? [
            {
              code: 'still-running',
              severity: 'error',
              message: `${base.name} is disabled but still runs: kubelet ignored the removal (restarted while the API server was down?)`,
              fix: { action: 'stop-pod', target: base.name },
            },
          ]
        : [],
    };
  }
  const alerts: Alert[] = stray
    ? [
        {
          code: 'stray-copy',
          severity: 'error',
          message: `${sp.file}: stray copy, kubelet RUNS it (${stray.message})`,
          fix: { action: 'disable', target: sp.manifest.name },
        },
      ]
    : [];
  if (!inputs.runtime) return { ...base, phase: 'unknown', stateText: 'runtime unreadable', alerts };
  if (!pr || (!main && !pr.running))
    return { ...base, phase: 'not-started', stateText: 'not started', alerts };
  if (!main) return { ...base, phase: 'starting', stateText: 'sandbox ready', alerts };
  return { ...base, ...phaseOf(main), alerts };
}

/** A static pod kubelet fetched from its URL: shown with its state, and that no file here stops it. */
function urlView(pod: RuntimeOnlyPod): PodView {
  const main = mainContainer(pod);
  const id = escapeName(`${pod.namespace}/${pod.podName}`);
  return {
    ...runtimeOnlyBase(pod, main),
    key: `url:${id}`,
    origin: 'url',
    ...(main ? phaseOf(main) : { phase: 'starting' as const, stateText: 'sandbox ready' }),
    severity: 'warning',
    alerts: [
      {
        code: 'from-url',
        severity: 'warning',
        message: `${id} comes from kubelet's HTTP source (staticPodURL / --manifest-url): moving files in the manifest directory does not stop it`,
        fix: null,
      },
    ],
  };
}

function runtimeOnlyBase(pod: RuntimeOnlyPod, main: ContainerView | null) {
  return {
    name: pod.podName,
    file: null,
    fileName: null,
    enabled: null,
    loadedByKubelet: false,
    staticPod: null,
    podName: pod.podName,
    namespace: pod.namespace,
    restarts: main ? totalRestarts(pod) : null,
    since: main ? (main.startedAt ?? main.createdAt) : null,
    lastExit: main ? lastExitText(main) : null,
    health: null,
    findings: [],
    containers: pod.containers,
    runtime: pod,
  };
}

function orphanView(pod: PodWithoutManifest): PodView {
  const main = mainContainer(pod);
  return {
    ...runtimeOnlyBase(pod, main),
    key: `orphan:${pod.namespace}/${pod.podName}`,
    origin: 'none',
    phase: 'orphan',
    stateText: 'NO MANIFEST',
    severity: 'warning',
    alerts: [
      {
        code: 'no-manifest',
        severity: 'error',
        message: `${escapeName(`${pod.namespace}/${pod.podName}`)} runs with no manifest left in either directory (kubelet kept it)`,
        fix: { action: 'stop-pod', target: pod.podName },
      },
    ],
  };
}

/** The container the row speaks for: the first that is not running, else the first. */
function mainContainer(pr: PodRuntime): ContainerView | null {
  return pr.containers.find((c) => c.state !== 'running') ?? pr.containers[0] ?? null;
}

function totalRestarts(pr: PodRuntime): number {
  return pr.containers.reduce((sum, c) => sum + Math.max(c.restartCount, c.attempt), 0);
}

function phaseOf(c: ContainerView): { phase: PodPhase; stateText: string } {
  switch (c.state) {
    case 'running':
      return { phase: 'running', stateText: 'running' };
    case 'created':
      return { phase: 'starting', stateText: 'created' };
    case 'exited':
      if (c.attempt > 0 || c.restartCount > 0) return { phase: 'crash-loop', stateText: 'crash-loop' };
      return { phase: 'exited', stateText: 'exited' };
    default:
      return { phase: 'unknown', stateText: 'unknown' };
  }
}

/** "137 OOMKilled", "1 Error": the last exit the operator needs to see, current or previous attempt. */
export function lastExitText(c: ContainerView): string | null {
  if (c.state === 'exited') return exitWords(c.exitCode, c.reason);
  if (c.lastTermination) return exitWords(c.lastTermination.exitCode, c.lastTermination.reason);
  return null;
}

function exitWords(code: number | null, reason: string | null): string | null {
  if (code === null && !reason) return null;
  return [code === null ? '?' : String(code), reason ?? signalName(code)].filter(Boolean).join(' ');
}

function signalName(code: number | null): string | null {
  if (code === 137) return '(SIGKILL)';
  if (code === 143) return '(SIGTERM)';
  if (code === 139) return '(SIGSEGV)';
  return null;
}

function firstError(findings: Finding[]): string {
  const f = findings.find((x) => x.severity === 'error') ?? findings[0];
  return f ? f.message : 'kubelet cannot load it';
}

/** "5s", "3m", "2h", "4d": compact ages for a narrow column. */
export function ageText(since: Date | null, now: number): string {
  if (!since) return '-';
  const s = Math.max(0, Math.floor((now - since.getTime()) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function healthText(h: HealthView | null): string {
  if (!h) return '-';
  if (h.ok) return `ok ${h.latencyMs === null ? '' : `${Math.round(h.latencyMs)}ms`}`.trim();
  if (h.statusCode !== null) return `HTTP ${h.statusCode}`;
  return h.error ?? 'failed';
}
