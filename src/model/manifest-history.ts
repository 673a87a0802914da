// The history of a static pod's manifest as the operator reads it: its versions newest first, which ones
// the pod ran healthy on, the last known healthy one (what `revert` puts back), what a new observation of
// the node adds to the history, and what the recorder observes on the node. Pure: the records come from
// src/sources/manifest-history.ts and go to src/ops/manifest-history.ts.
import type { HealthyRecord, HistoryRecord, HistorySource, VersionRecord } from '../node/history-paths.js';
import type { NodeModel } from './node.js';
import type { PodView } from './pod-view.js';

export interface Version {
  sha256: string;
  size: number;
  /** When the file started holding these bytes (a kubeadm backup: its directory's mtime). */
  at: string;
  source: HistorySource;
  /** The pod ran, its probe answering, on these bytes at least once. */
  healthy: boolean;
  /** The last time it was seen so. */
  healthyAt: string | null;
  /** The pod UIDs it ran healthy with (kubelet's hash of the file): a pod running with one runs it. */
  podUids: string[];
}

/**
 * The versions, newest first: the version records in time order (the log's order among equal times),
 * a record with the same bytes as the one before it folded into it.
 */
export function versionsOf(records: readonly HistoryRecord[]): Version[] {
  const healthy = new Map<string, string>();
  const uids = new Map<string, string[]>();
  for (const r of records) {
    if (r.type !== 'healthy') continue;
    const before = healthy.get(r.sha256);
    if (!before || Date.parse(r.at) > Date.parse(before)) healthy.set(r.sha256, r.at);
    const list = uids.get(r.sha256) ?? [];
    if (r.podUid && !list.includes(r.podUid)) uids.set(r.sha256, [...list, r.podUid]);
  }
  const out: Version[] = [];
  for (const r of chronological(records)) {
    if (out.at(-1)?.sha256 === r.sha256) continue;
    const at = healthy.get(r.sha256) ?? null;
    out.push({
      sha256: r.sha256,
      size: r.size,
      at: r.at,
      source: r.source,
      healthy: at !== null,
      healthyAt: at,
      podUids: uids.get(r.sha256) ?? [],
    });
  }
  return out.reverse();
}

/**
 * The versions in the order the file held them. What breakglass saw is in the log's own order, which
 * stays true when the clock jumps (a skewed clock being fixed is part of many outages). kubeadm's
 * backups are found later than they were made: each goes before the first sighting after its time.
 */
function chronological(records: readonly HistoryRecord[]): VersionRecord[] {
  const versions = records.filter((r): r is VersionRecord => r.type === 'version');
  const seen = versions.filter((r) => r.source !== 'kubeadm-backup');
  const backups = versions
    .filter((r) => r.source === 'kubeadm-backup')
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const out: VersionRecord[] = [];
  let next = 0;
  for (const r of seen) {
    while (next < backups.length && Date.parse(backups[next]!.at) <= Date.parse(r.at))
      out.push(backups[next++]!);
    out.push(r);
  }
  return [...out, ...backups.slice(next)];
}

/** The newest version the pod was healthy on; null when none was. */
export function lastKnownHealthy(versions: readonly Version[]): Version | null {
  return versions.find((v) => v.healthy) ?? null;
}

/** What one look at a manifest file says. */
export interface Observation {
  sha256: string;
  size: number;
  /** When it was seen (now), or a kubeadm backup's directory mtime. */
  at: string;
  source: HistorySource;
  /** The pod runs on these bytes and answers its probe. */
  healthy: boolean;
  /** Its UID then, when known. */
  podUid?: string | null;
}

/**
 * The records an observation adds: a version when the file's bytes differ from its newest version (a
 * kubeadm backup only when the bytes are not in the history at all: it is an old version), and a healthy
 * mark the first time the pod is seen healthy on them. Nothing when the history already says it all,
 * so a look that finds nothing new writes nothing.
 */
export function appendsFor(records: readonly HistoryRecord[], obs: Observation): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  const newest = chronological(records).at(-1);
  const known = records.some((r) => r.type === 'version' && r.sha256 === obs.sha256);
  const isNew = obs.source === 'kubeadm-backup' ? !known : newest?.sha256 !== obs.sha256;
  if (isNew) {
    out.push({ v: 1, type: 'version', sha256: obs.sha256, size: obs.size, at: obs.at, source: obs.source });
  }
  const marks = records.filter((r) => r.type === 'healthy' && r.sha256 === obs.sha256);
  // Marked once per pod UID: the first time, and again only to learn a UID it had not recorded.
  const uidKnown = !obs.podUid || marks.some((r) => r.type === 'healthy' && r.podUid === obs.podUid);
  if (obs.healthy && obs.source !== 'kubeadm-backup' && (marks.length === 0 || !uidKnown)) {
    const mark: HealthyRecord = { v: 1, type: 'healthy', sha256: obs.sha256, at: obs.at };
    if (obs.podUid) mark.podUid = obs.podUid;
    out.push(mark);
  }
  return out;
}

/** Runtime timestamps have a second's granularity on some runtimes; mtimes are finer. */
const START_SLACK_MS = 2_000;
/**
 * How long a container must have run before its pod counts as healthy on the file: a component with a
 * bad flag starts, runs a moment and exits, and the last probe can still be the old container's answer.
 */
export const SETTLED_MS = 10_000;

/**
 * The pod runs healthy on the file as it is now: running, its probe answering (a pod without a probe:
 * running), and a container running that started after the file was last written (so the answer comes
 * from these bytes, not from the pod the file's previous version made) and has run SETTLED_MS since.
 */
export function healthyOnFile(view: PodView, now: number): boolean {
  return healthyPodUid(view, now) !== null;
}

/** The UID of the pod that runs healthy on the file as it is now (see healthyOnFile); null when none does. */
export function healthyPodUid(view: PodView, now: number): string | null {
  const sp = view.staticPod;
  if (!sp?.pod || view.enabled !== true || view.phase !== 'running') return null;
  if (sp.pod.health && view.health?.ok !== true) return null;
  // mv and cp -p keep an old mtime; the rename that put the bytes here moved the ctime.
  const written = Math.max(sp.manifest.mtimeMs, sp.manifest.ctimeMs);
  const fresh = view.containers.find((c) => {
    const started = c.startedAt?.getTime() ?? null;
    return (
      c.state === 'running' &&
      started !== null &&
      started >= written - START_SLACK_MS &&
      now - started >= SETTLED_MS
    );
  });
  return fresh?.podUid ?? null;
}

/** A manifest file the recorder looks at: where it is, and what the look says. */
export interface FileObservation extends Observation {
  /** The exact file name (the history's key). */
  fileName: Buffer;
  displayName: string;
  path: string;
}

/**
 * What the node shows, for the history: every regular file in the manifest directory, and those in the
 * holding directory that have no namesake there (one file's history, not two interleaved).
 */
export function observationsOf(model: NodeModel, at: Date): FileObservation[] {
  const out: FileObservation[] = [];
  const enabled = new Set<string>();
  const files = model.pods.filter((p) => p.staticPod);
  for (const view of [...files.filter((p) => p.enabled), ...files.filter((p) => p.enabled === false)]) {
    const m = view.staticPod!.manifest;
    if (m.kind !== 'file' || m.sha256 === null) continue;
    const key = m.rawName.toString('hex');
    if (view.enabled) enabled.add(key);
    else if (enabled.has(key)) continue;
    out.push({
      fileName: m.rawName,
      displayName: m.displayName,
      path: m.path,
      sha256: m.sha256,
      size: m.size,
      at: at.toISOString(),
      source: view.enabled ? 'seen' : 'held',
      healthy: healthyOnFile(view, at.getTime()),
      podUid: healthyPodUid(view, at.getTime()),
    });
  }
  return out;
}

export type VersionChoice = { ok: true; version: Version } | { ok: false; text: string };

/** The version a SHA (or a unique prefix of one) names. */
export function versionByPrefix(versions: readonly Version[], prefix: string): VersionChoice {
  const p = prefix.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(p))
    return { ok: false, text: `"${prefix}" is not a sha256 or a prefix of one (4 to 64 hex digits)` };
  const matches = [
    ...new Map(versions.filter((v) => v.sha256.startsWith(p)).map((v) => [v.sha256, v])).values(),
  ];
  if (matches.length === 1) return { ok: true, version: matches[0]! };
  if (matches.length === 0) return { ok: false, text: `no version in the history starts with ${p}` };
  return { ok: false, text: `${p} is ambiguous: ${matches.map((v) => v.sha256.slice(0, 12)).join(', ')}` };
}

/**
 * What `revert` puts back: the version named (`to`), else the last known healthy one; refused when that
 * is what the file holds already.
 */
export function revertChoice(
  versions: readonly Version[],
  currentSha: string | null,
  to: string | null,
): VersionChoice {
  const chosen = to !== null ? versionByPrefix(versions, to) : lastKnownHealthyChoice(versions);
  if (!chosen.ok) return chosen;
  if (chosen.version.sha256 === currentSha) {
    return {
      ok: false,
      text:
        to !== null
          ? `the manifest holds ${currentSha.slice(0, 12)} already: nothing to revert`
          : `the manifest holds the last version known healthy (${currentSha.slice(0, 12)}) already: nothing to revert; --to SHA puts back another (see \`breakglass history\`)`,
    };
  }
  return chosen;
}

function lastKnownHealthyChoice(versions: readonly Version[]): VersionChoice {
  const v = lastKnownHealthy(versions);
  if (v) return { ok: true, version: v };
  return {
    ok: false,
    text:
      versions.length === 0
        ? 'no version of it is in the history yet'
        : 'no version in the history is known healthy: give one with --to SHA (see `breakglass history`)',
  };
}

export type { HealthyRecord, HistoryRecord, VersionRecord };

/**
 * The manifest file NAME means: a file name, a pod or mirror pod name, or `<NAME>.yaml` (a file whose
 * bad edit no longer decodes has no pod name); the enabled one first.
 */
export function historyView(model: NodeModel, name: string): PodView | null {
  const matches = model.pods.filter(
    (p) =>
      p.staticPod &&
      (p.fileName === name ||
        p.file === name ||
        p.staticPod.name === name ||
        p.podName === name ||
        p.fileName === `${name}.yaml`),
  );
  return matches.find((p) => p.enabled) ?? matches[0] ?? null;
}
