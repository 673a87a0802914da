// Where breakglass keeps every version of every static pod manifest it saw, and the format of that
// history, which the recorder (src/ops/manifest-history.ts) writes and the readers (src/sources/
// manifest-history.ts, `breakglass history`, `revert`) read:
//
//   <state-dir>/manifest-history/            mode 0700
//     objects/<sha256>                        each version's bytes once, content-addressed, mode 0600
//     <file name>.jsonl                       per manifest file: one JSON record a line, append-only
//     lock                                    flock(2): one writer at a time, across processes
//
// A file name that is not plain ([A-Za-z0-9._-], no leading dot) is written as `%<hex of its bytes>`.
// The log is appended with one write per line and fsynced; a reader skips a line it cannot parse (the
// torn last line of a writer killed mid-write). It is rewritten whole (temp file, fsync, rename, fsync
// dir) only when old versions are dropped.
import * as path from 'node:path';

export function historyDir(stateDir: string): string {
  return path.join(stateDir, 'manifest-history');
}

export function historyObjectsDir(stateDir: string): string {
  return path.join(historyDir(stateDir), 'objects');
}

export function historyObjectPath(stateDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`);
  return path.join(historyObjectsDir(stateDir), sha256);
}

const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const LOG_SUFFIX = '.jsonl';

/** The manifest file's history log, by its exact file name (bytes, for names that are not UTF-8). */
export function historyLogPath(stateDir: string, fileName: string | Buffer): string {
  return path.join(historyDir(stateDir), `${historyKeyOf(fileName)}${LOG_SUFFIX}`);
}

export function historyKeyOf(fileName: string | Buffer): string {
  const raw = typeof fileName === 'string' ? Buffer.from(fileName) : fileName;
  const text = raw.toString('utf8');
  if (Buffer.from(text).equals(raw) && PLAIN_NAME.test(text)) return text;
  return `%${raw.toString('hex')}`;
}

/** The file name a log belongs to, from the log's own name; null for a file that is no history log. */
export function fileNameOfLog(logName: string): Buffer | null {
  if (!logName.endsWith(LOG_SUFFIX)) return null;
  const key = logName.slice(0, -LOG_SUFFIX.length);
  if (key.startsWith('%')) return /^%([0-9a-f]{2})+$/.test(key) ? Buffer.from(key.slice(1), 'hex') : null;
  return PLAIN_NAME.test(key) ? Buffer.from(key) : null;
}

/**
 * Where a version came from: breakglass saw it in the manifest directory ('seen') or the holding
 * directory ('held'), kubeadm left it in /etc/kubernetes/tmp/kubeadm-backup-manifests-* ('kubeadm-backup'),
 * or `revert` put it back ('revert').
 */
export const HISTORY_SOURCES = ['seen', 'held', 'kubeadm-backup', 'revert', 'edit'] as const;
export type HistorySource = (typeof HISTORY_SOURCES)[number];

/** The file held these bytes from `at` on (for a kubeadm backup: its directory's mtime). */
export interface VersionRecord {
  v: 1;
  type: 'version';
  sha256: string;
  size: number;
  at: string;
  source: HistorySource;
}

/** The pod ran and its probe answered (or it has none and ran) on these bytes, at `at`. */
export interface HealthyRecord {
  v: 1;
  type: 'healthy';
  sha256: string;
  at: string;
  /** The pod's UID then: kubelet's hash of the file, so a pod running with it runs these bytes. */
  podUid?: string;
}

export type HistoryRecord = VersionRecord | HealthyRecord;

/** One record per line; lines that do not parse (a torn last line) or that breakglass does not know: skipped. */
export function parseHistoryLog(text: string): { records: HistoryRecord[]; skipped: number } {
  const records: HistoryRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const record = parseRecord(line);
    if (record) records.push(record);
    else skipped++;
  }
  return { records, skipped };
}

function parseRecord(line: string): HistoryRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (r.v !== 1 || typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) return null;
  if (typeof r.at !== 'string' || Number.isNaN(Date.parse(r.at))) return null;
  if (r.type === 'healthy') {
    const record: HealthyRecord = { v: 1, type: 'healthy', sha256: r.sha256, at: r.at };
    if (typeof r.podUid === 'string') record.podUid = r.podUid;
    return record;
  }
  if (r.type !== 'version' || typeof r.size !== 'number') return null;
  const source = r.source;
  if (!HISTORY_SOURCES.includes(source as HistorySource)) return null;
  return { v: 1, type: 'version', sha256: r.sha256, size: r.size, at: r.at, source: source as HistorySource };
}

export function historyLine(record: HistoryRecord): string {
  return JSON.stringify(record);
}
