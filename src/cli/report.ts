// What `status` and `lint` print: plain text for people and JSON for scripts. Pure.

import { allFindings, countBySeverity, type StaticPod, staticPodsOf } from '../model/staticpods.js';
import type { Located } from '../node/discover.js';
import type { Intent } from '../ops/intent.js';
import type { Finding, HealthEndpoint } from '../sources/manifests/types.js';
import { escapeName, sanitizeLine } from '../util/sanitize.js';
import type { NodeView } from './context.js';

export interface StatusJson {
  node: { name: string; root: string };
  paths: Record<string, Located<string | null>>;
  problems: string[];
  manifestDir: { path: string; error: string | null };
  staticPods: StaticPodJson[];
  findings: Finding[];
  interruptedChange: Intent | null;
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
  findings: Finding[];
}

export function statusJson(view: NodeView, interrupted: Intent | null): StatusJson {
  const { layout } = view;
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
      nodeName: layout.nodeName,
    },
    problems: layout.problems,
    manifestDir: { path: view.manifests.dir, error: view.manifests.error },
    staticPods: staticPodsOf(view.manifests, view.holding).map(staticPodJson),
    findings: allFindings(view.manifests),
    interruptedChange: interrupted,
  };
}

function staticPodJson(sp: StaticPod): StaticPodJson {
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
  lines.push('static pods');
  if (status.staticPods.length === 0) lines.push('  (none: the manifest directory is empty)');
  const rows = status.staticPods.map((p) => [
    p.enabled ? (p.loadedByKubelet ? 'enabled' : 'ignored') : 'disabled',
    show(p.name ?? '(no pod)'),
    p.file,
    findingSummary(p.findings),
  ]);
  lines.push(...table(['STATE', 'POD', 'FILE', 'FINDINGS'], rows));
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
