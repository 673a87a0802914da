// What `status` and `lint` print: plain text for people and JSON for scripts. Pure.

import { type ContainerView, joinRuntime, type PodRuntime } from '../model/runtime.js';
import { allFindings, countBySeverity, type StaticPod, staticPodsOf } from '../model/staticpods.js';
import type { Located } from '../node/discover.js';
import type { Intent } from '../ops/intent.js';
import type { Finding, HealthEndpoint } from '../sources/manifests/types.js';
import { escapeName, sanitizeLine } from '../util/sanitize.js';
import type { NodeView } from './context.js';
import type { RuntimeSnapshot } from './runtime-view.js';

export interface StatusJson {
  node: { name: string; root: string };
  paths: Record<string, Located<string | null>>;
  problems: string[];
  manifestDir: { path: string; error: string | null };
  runtime: RuntimeJson;
  staticPods: StaticPodJson[];
  /** Pods kubelet started from a file whose manifest is gone, still running: kubelet may never stop them. */
  podsWithoutManifest: { podName: string; namespace: string; containers: ContainerJson[] }[];
  findings: Finding[];
  interruptedChange: Intent | null;
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
  findings: Finding[];
}

export function statusJson(view: NodeView, interrupted: Intent | null, runtime: RuntimeSnapshot): StatusJson {
  const { layout } = view;
  const staticPods = staticPodsOf(view.manifests, view.holding);
  const joined = joinRuntime(staticPods, runtime.sandboxes, runtime.containers);
  const runtimeKnown = runtime.error === null;
  return {
    node: { name: layout.nodeName.value, root: layout.root },
    paths: {
      manifests: layout.manifests,
      holding: layout.holding,
      stateDir: layout.stateDir,
      kubeletConfig: layout.kubeletConfig,
      runtimeEndpoint: layout.runtimeEndpoint,
      pki: layout.pki,
      etcdDataDir: view.etcdDataDir,
      podLogsDir: layout.podLogsDir,
      nodeName: layout.nodeName,
    },
    problems: layout.problems,
    manifestDir: { path: view.manifests.dir, error: view.manifests.error },
    runtime: {
      kind: runtime.choice?.kind ?? null,
      endpoint: runtime.choice?.endpoint ?? null,
      source: runtime.choice?.source ?? null,
      name: runtime.info?.name ?? null,
      version: runtime.info?.version ?? null,
      apiVersion: runtime.info?.apiVersion ?? null,
      error: runtime.error,
    },
    staticPods: staticPods.map((sp) =>
      staticPodJson(sp, runtimeKnown ? joined.byStaticPod.get(sp) : undefined),
    ),
    podsWithoutManifest: joined.podsWithoutManifest.map((p) => ({
      podName: p.podName,
      namespace: p.namespace,
      containers: p.containers.map(containerJson),
    })),
    findings: allFindings(view.manifests),
    interruptedChange: interrupted,
  };
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

function staticPodJson(sp: StaticPod, runtime: PodRuntime | undefined): StaticPodJson {
  const m = sp.manifest;
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
  if (status.interruptedChange) {
    const i = status.interruptedChange;
    lines.push(
      `! an interrupted ${i.action} of ${show(i.displayName)} (pid ${i.pid}, ${show(i.startedAt)}) waits: run \`breakglass recover\``,
    );
    lines.push('');
  }
  if (status.manifestDir.error) {
    lines.push(`! static pod directory: ${show(status.manifestDir.error)}`);
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
    containersSummary(p, status.runtime.error === null),
    findingSummary(p.findings),
  ]);
  lines.push(...table(['MANIFEST', 'POD', 'FILE', 'CONTAINERS', 'FINDINGS'], rows));
  for (const p of status.staticPods.filter((x) => !x.enabled && x.running)) {
    lines.push(
      `  ! ${show(p.name)} is disabled but still runs: kubelet ignores removed manifests after a restart while the API server is down; stop it with \`breakglass stop ${show(p.name)}\``,
    );
  }
  for (const p of status.podsWithoutManifest) {
    lines.push(
      `  ! ${show(p.namespace)}/${show(p.podName)} runs with no manifest left (${p.containers.map((c) => `${show(c.name)} ${c.state}`).join(', ')}): stop it with \`breakglass stop ${show(p.podName)}\``,
    );
  }
  const findings = status.findings;
  if (findings.length > 0) {
    lines.push('');
    lines.push('findings');
    lines.push(...findings.map(findingLine));
  }
  return `${lines.join('\n')}\n`;
}

export function lintText(findings: Finding[], dir: string): string {
  if (findings.length === 0) return `${show(dir)}: no findings\n`;
  const { errors, warnings } = countBySeverity(findings);
  return `${findings.map(findingLine).join('\n')}\n\n${errors} error(s), ${warnings} warning(s) in ${show(dir)}\n`;
}

export function findingLine(f: Finding): string {
  const where = f.line === undefined ? '' : `:${f.line}:${f.column ?? 1}`;
  return `  ${f.severity.padEnd(7)} ${sanitizeLine(f.file)}${where}: ${sanitizeLine(f.message)}`;
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
