// The whole PKI directory and the kubeconfigs copied into the state directory (0700) before a single
// certificate is renewed, fsynced, with a list of every file's sha256 beside them: what a roll back, or
// an operator, puts back. Refused before anything is written when the state directory's file system
// has no room for it (twice its size and a MiB: a few hundred KiB, so a disk nearly full for other
// reasons does not stop a renewal).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BreakglassError, errnoMessage } from '../../util/errors.js';
import { fsyncDir, sha256Of, writeFileDurable } from '../../util/fsx.js';
import { escapeName } from '../../util/sanitize.js';
import { ensurePrivateDir } from '../dirs.js';
import { bytes } from '../snapshot-space.js';

const HEADROOM = 1024 * 1024;

export interface PkiBackupRequest {
  stateDir: string;
  pkiDir: string;
  /** The kubeconfig files (those that exist are copied). */
  kubeconfigs: string[];
}

export interface PkiBackup {
  dir: string;
  files: number;
  bytes: number;
}

export function pkiBackupsDir(stateDir: string): string {
  return path.join(stateDir, 'pki-backups');
}

export function backupPki(request: PkiBackupRequest, now = new Date()): PkiBackup {
  const sources = [
    ...walk(request.pkiDir).map((file) => ({
      file,
      under: path.join('pki', path.relative(request.pkiDir, file)),
    })),
    ...request.kubeconfigs
      .filter((file) => fs.existsSync(file))
      .map((file) => ({ file, under: path.join('kubeconfigs', path.basename(file)) })),
  ];
  const size = sources.reduce((n, s) => n + fs.statSync(s.file).size, 0);
  ensurePrivateDir(request.stateDir, 'state directory');
  const refusal = spaceRefusal(request.stateDir, size);
  if (refusal) throw new BreakglassError(refusal, 'no-space');
  const root = pkiBackupsDir(request.stateDir);
  ensurePrivateDir(root, 'certificate backups');
  const dir = path.join(root, `${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    const lines: string[] = [];
    for (const { file, under } of sources) {
      const target = path.join(dir, under);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      const data = fs.readFileSync(file);
      writeFileDurable(target, data, fs.statSync(file).mode & 0o777);
      lines.push(`${sha256Of(target)}  ${file}`);
    }
    for (const d of new Set(sources.map((s) => path.dirname(path.join(dir, s.under))))) fsyncDir(d);
    writeFileDurable(path.join(dir, 'SHA256SUMS'), `${lines.join('\n')}\n`, 0o600);
    fsyncDir(root);
  } catch (err) {
    throw new BreakglassError(
      `cannot back up the certificates into ${escapeName(dir)}: ${errnoMessage(err)}; no certificate changed`,
      'io',
    );
  }
  return { dir, files: sources.length, bytes: size };
}

/** Every regular file under dir (a symlink is not followed: its target is not the PKI's). */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

function spaceRefusal(dir: string, size: number): string | null {
  const stat = fs.statfsSync(dir);
  const free = stat.bavail * stat.bsize;
  if (free < 2 * size + HEADROOM)
    return `not enough space in ${escapeName(dir)} to back up the certificates first (${bytes(size)}): ${bytes(free)} free; nothing changed`;
  return null;
}
