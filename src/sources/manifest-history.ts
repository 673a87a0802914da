// The manifest history read back (its format: src/node/history-paths.ts): a file's log, a version's
// bytes, every file that has a history; and kubeadm's own backups of the manifests it replaced
// (/etc/kubernetes/tmp/kubeadm-backup-manifests-<time>/<pod>.yaml), which count as versions too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  fileNameOfLog,
  type HistoryRecord,
  historyDir,
  historyLogPath,
  historyObjectPath,
  parseHistoryLog,
} from '../node/history-paths.js';
import { rootPath } from '../node/root-fs.js';
import { errnoMessage } from '../util/errors.js';
import { isErrno, sha256 } from '../util/fsx.js';

export interface HistoryLogReading {
  records: HistoryRecord[];
  /** Lines that did not parse: a writer killed mid-line leaves one. */
  skipped: number;
}

/** A file's history; none yet reads as empty. Throws (with errno words) when it cannot be read. */
export function readHistoryLog(stateDir: string, fileName: string | Buffer): HistoryLogReading {
  const file = historyLogPath(stateDir, fileName);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { records: [], skipped: 0 };
    throw new Error(`${file}: ${errnoMessage(err)}`);
  }
  return parseHistoryLog(text);
}

/** Every manifest file with a history, by its exact name, and its log's key. */
export function historyFiles(stateDir: string): { fileName: Buffer; key: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(historyDir(stateDir));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  return names.sort().flatMap((n) => {
    const fileName = fileNameOfLog(n);
    return fileName ? [{ fileName, key: n.slice(0, -'.jsonl'.length) }] : [];
  });
}

/** A version's bytes, checked against its name; null when the object is gone or does not match. */
export function readHistoryObject(stateDir: string, sha: string): Buffer | null {
  try {
    const data = fs.readFileSync(historyObjectPath(stateDir, sha));
    return sha256(data) === sha ? data : null;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** The stored objects and their sizes. */
export function historyObjects(stateDir: string): Map<string, number> {
  const dir = path.join(historyDir(stateDir), 'objects');
  const out = new Map<string, number>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return out;
    throw err;
  }
  for (const name of names) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    try {
      out.set(name, fs.statSync(path.join(dir, name)).size);
    } catch {
      // removed meanwhile by another recorder's pruning
    }
  }
  return out;
}

export interface KubeadmBackup {
  /** The manifest's file name, e.g. kube-apiserver.yaml. */
  fileName: string;
  path: string;
  /** The backup directory's mtime: when kubeadm replaced the manifest. */
  at: Date;
  data: Buffer;
}

const KUBEADM_TMP = '/etc/kubernetes/tmp';
const BACKUP_DIR = /^kubeadm-backup-manifests-/;
/** A manifest is a few KiB; a file far bigger than that in a backup directory is not one. */
const MAX_BACKUP_BYTES = 1024 * 1024;

/** kubeadm's backups of the manifests it replaced (upgrades), under --root. */
export function kubeadmBackups(root: string): { backups: KubeadmBackup[]; error: string | null } {
  const tmp = rootPath(root, KUBEADM_TMP);
  let dirs: string[];
  try {
    dirs = fs.readdirSync(tmp).filter((n) => BACKUP_DIR.test(n));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { backups: [], error: null };
    return { backups: [], error: `${tmp}: ${errnoMessage(err)}` };
  }
  const backups: KubeadmBackup[] = [];
  for (const dir of dirs.sort()) {
    const full = path.join(tmp, dir);
    try {
      const stat = fs.lstatSync(full);
      if (!stat.isDirectory()) continue;
      for (const name of fs.readdirSync(full)) {
        const file = path.join(full, name);
        const fstat = fs.lstatSync(file);
        if (!fstat.isFile() || fstat.size > MAX_BACKUP_BYTES || name.startsWith('.')) continue;
        backups.push({ fileName: name, path: file, at: stat.mtime, data: fs.readFileSync(file) });
      }
    } catch {
      // a backup directory that went away or cannot be read: the others still count
    }
  }
  return { backups, error: null };
}
