// Which versions the history keeps: at most `perFile` versions of each manifest file and `totalBytes` of
// stored bytes in all, the oldest dropped first, never a file's newest version nor its newest healthy one
// (what `revert` would put back). Pure: the logs in, the logs to rewrite and the objects to remove out.
import type { HistoryRecord } from '../node/history-paths.js';
import { versionsOf } from './manifest-history.js';

export const HISTORY_LIMITS = { perFile: 50, totalBytes: 64 * 1024 * 1024 };

export interface HistoryLog {
  /** The log's key (its file name's): how the rewrite names it. */
  key: string;
  records: readonly HistoryRecord[];
}

export interface PruneChoice {
  /** The logs to rewrite, with the records they keep (one version record per version, its last healthy mark). */
  rewrite: { key: string; records: HistoryRecord[] }[];
  /** Objects no kept version refers to any more, and stored objects no log names (a crash between an
   * object's write and its record's). */
  removeObjects: string[];
}

interface Entry {
  key: string;
  record: HistoryRecord & { type: 'version' };
  protected: boolean;
  dropped: boolean;
}

export function pruneChoice(
  logs: readonly HistoryLog[],
  limits: { perFile: number; totalBytes: number } = HISTORY_LIMITS,
  stored: readonly string[] = [],
): PruneChoice {
  const entries = new Map<string, Entry[]>();
  for (const log of logs) entries.set(log.key, entriesOf(log));
  for (const list of entries.values()) {
    // Oldest first: drop from the front until the file is within its limit.
    let kept = list.length;
    for (const e of list) {
      if (kept <= limits.perFile) break;
      if (e.protected) continue;
      e.dropped = true;
      kept--;
    }
  }
  const all = [...entries.values()].flat();
  const byAge = all
    .filter((e) => !e.protected)
    .sort((a, b) => Date.parse(a.record.at) - Date.parse(b.record.at));
  let bytes = keptBytes(all);
  for (const e of byAge) {
    if (bytes <= limits.totalBytes) break;
    if (e.dropped) continue;
    e.dropped = true;
    bytes = keptBytes(all);
  }
  const referenced = new Set(all.filter((e) => !e.dropped).map((e) => e.record.sha256));
  const everywhere = new Set([...all.map((e) => e.record.sha256), ...stored]);
  const rewrite: PruneChoice['rewrite'] = [];
  for (const log of logs) {
    const list = entries.get(log.key)!;
    const compact = compacted(log.records, list);
    if (compact.length < log.records.length) rewrite.push({ key: log.key, records: compact });
  }
  return { rewrite, removeObjects: [...everywhere].filter((sha) => !referenced.has(sha)).sort() };
}

/** The versions of one log, oldest first, with its newest and its newest healthy protected. */
function entriesOf(log: HistoryLog): Entry[] {
  const versions = versionsOf(log.records);
  const newest = versions[0]?.sha256;
  const healthy = versions.find((v) => v.healthy)?.sha256;
  // versionsOf folds repeats; each version keeps its first record (the one whose `at` it shows).
  return versions.reverse().map((v, i, list) => {
    const record = log.records.find(
      (r): r is HistoryRecord & { type: 'version' } =>
        r.type === 'version' && r.sha256 === v.sha256 && r.at === v.at,
    )!;
    const isNewest = i === list.length - 1;
    const isNewestHealthy =
      v.sha256 === healthy && !list.slice(i + 1).some((later) => later.sha256 === healthy);
    return {
      key: log.key,
      record,
      protected: (isNewest && v.sha256 === newest) || isNewestHealthy,
      dropped: false,
    };
  });
}

function keptBytes(all: Entry[]): number {
  const sizes = new Map<string, number>();
  for (const e of all) if (!e.dropped) sizes.set(e.record.sha256, e.record.size);
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

/** The records a log keeps: its kept versions in time order, and the last healthy mark of each. */
function compacted(records: readonly HistoryRecord[], list: Entry[]): HistoryRecord[] {
  const kept = list.filter((e) => !e.dropped).map((e) => e.record);
  const shas = new Set(kept.map((r) => r.sha256));
  const lastHealthy = new Map<string, HistoryRecord>();
  for (const r of records) {
    if (r.type !== 'healthy' || !shas.has(r.sha256)) continue;
    const before = lastHealthy.get(r.sha256);
    if (!before || Date.parse(r.at) >= Date.parse(before.at)) lastHealthy.set(r.sha256, r);
  }
  return [...kept, ...lastHealthy.values()];
}
