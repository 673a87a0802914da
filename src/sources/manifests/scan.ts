// Reads a static pod directory exactly as kubelet lists it (every non-dot regular file is a pod,
// subdirectories are skipped) and lints what it finds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoMessage } from '../../util/errors.js';
import { errnoCode, sha256 } from '../../util/fsx.js';
import { escapeName, hasControlCharacters } from '../../util/sanitize.js';
import { hasManifestExtension, strayCopy } from './names.js';
import { parseManifestText } from './parse.js';
import type { Finding, ManifestDirSnapshot, ManifestFile, Severity } from './types.js';

/** Larger than any real manifest: worth a warning. kubeadm's are 2-5 KiB. */
export const LARGE_MANIFEST_BYTES = 256 * 1024;
/**
 * kubelet reads at most 10 MiB of a manifest and rejects a file that reaches it (maxConfigLength in
 * pkg/kubelet/config/file.go, k8s.io/utils/io.ReadAtMost). Not read at all from this size on.
 */
export const MAX_READ_BYTES = 10 * 1024 * 1024;

export interface ScanOptions {
  nodeName: string;
  /** 'manifests': kubelet reads it, so every kubelet rule applies. 'holding': files kubelet does not see. */
  role: 'manifests' | 'holding';
}

export function scanManifestDir(dir: string, options: ScanOptions): ManifestDirSnapshot {
  const snapshot: ManifestDirSnapshot = { dir, error: null, files: [], findings: [] };
  let names: Buffer[];
  try {
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) {
      snapshot.error = `${dir} is not a directory`;
      return snapshot;
    }
    if (options.role === 'manifests') snapshot.findings.push(...directoryFindings(dir, stat));
    names = fs.readdirSync(dir, { encoding: 'buffer' });
  } catch (err) {
    snapshot.error =
      errnoCode(err) === 'ENOENT' ? `${dir} does not exist` : `cannot read ${dir}: ${errnoMessage(err)}`;
    return snapshot;
  }
  names.sort(Buffer.compare);
  for (const rawName of names) {
    if (rawName[0] === 0x2e) continue; // dot files: kubelet ignores them, and so does the operator's view
    snapshot.files.push(readEntry(dir, rawName, options));
  }
  if (options.role === 'manifests') addDuplicateFindings(snapshot.files);
  return snapshot;
}

function directoryFindings(dir: string, stat: fs.Stats): Finding[] {
  const out: Finding[] = [];
  if ((stat.mode & 0o077) !== 0) {
    out.push({
      file: escapeName(dir),
      severity: 'warning',
      code: 'dir-mode',
      message: `directory mode ${octal(stat.mode)} is looser than 0700 (kubeadm and the CIS benchmark use 0700 or stricter)`,
    });
  }
  if (stat.uid !== 0) {
    out.push({
      file: escapeName(dir),
      severity: 'warning',
      code: 'dir-owner',
      message: `directory owned by uid ${stat.uid}, not root`,
    });
  }
  return out;
}

/** One entry of the directory, read and linted on its own (no cross-file findings). */
export function readEntry(dir: string, rawName: Buffer, options: ScanOptions): ManifestFile {
  const name = rawName.toString('utf8');
  const validUtf8 = Buffer.from(name, 'utf8').equals(rawName);
  const displayName = validUtf8 ? escapeName(name) : escapeInvalidBytes(rawName);
  const rawPath = Buffer.concat([Buffer.from(`${dir}/`), rawName]);
  const file: ManifestFile = {
    name,
    displayName,
    rawName,
    path: path.join(dir, name),
    kind: 'other',
    loadedByKubelet: false,
    symlinkTarget: null,
    mode: 0,
    uid: 0,
    gid: 0,
    size: 0,
    mtimeMs: 0,
    ctimeMs: 0,
    sha256: null,
    text: null,
    pods: [],
    findings: [],
  };
  const add = (
    severity: Severity,
    code: string,
    message: string,
    extra?: { line?: number; column?: number },
  ) => {
    file.findings.push({ file: displayName, severity, code, message, ...extra });
  };
  const kubelet = options.role === 'manifests';

  if (!validUtf8) add('warning', 'name-encoding', 'file name is not valid UTF-8 (shown with \\x escapes)');
  else if (hasControlCharacters(name)) {
    add(
      'warning',
      'name-control-chars',
      'file name contains control or invisible characters (shown escaped)',
    );
  }

  let lstat: fs.Stats;
  let stat: fs.Stats;
  try {
    lstat = fs.lstatSync(rawPath);
  } catch (err) {
    add('error', 'unreadable', `cannot stat: ${errnoMessage(err)}`);
    return file;
  }
  fillStat(file, lstat);
  if (lstat.isSymbolicLink()) {
    file.kind = 'symlink';
    file.symlinkTarget = escapeName(fs.readlinkSync(rawPath, 'utf8'));
    try {
      stat = fs.statSync(rawPath);
    } catch (err) {
      add(
        'error',
        'symlink-dangling',
        `symlink to ${file.symlinkTarget} which cannot be read: ${errnoMessage(err)}`,
      );
      return file;
    }
    if (kubelet) {
      add(
        'warning',
        'symlink',
        `symlink to ${file.symlinkTarget}: kubelet follows it; edits to the target change the pod`,
      );
    }
  } else {
    stat = lstat;
  }

  if (stat.isDirectory()) {
    file.kind = file.kind === 'symlink' ? 'symlink' : 'directory';
    if (kubelet) add('warning', 'subdirectory', 'subdirectory: kubelet ignores it, so no pod in it runs');
    return file;
  }
  if (!stat.isFile()) {
    if (kubelet)
      add('warning', 'not-regular', `not a regular file (${describeType(stat)}): kubelet skips it`);
    return file;
  }
  if (file.kind !== 'symlink') file.kind = 'file';
  file.loadedByKubelet = kubelet;
  if (file.kind === 'symlink') fillStat(file, stat);

  if (kubelet) {
    const stray = strayCopy(name);
    if (stray) {
      add(
        'error',
        'stray-copy',
        `${stray.reason}: kubelet loads every file whose name does not start with a dot, so this runs as a pod too; move it out of the directory`,
      );
    } else if (!hasManifestExtension(name)) {
      add(
        'warning',
        'unusual-name',
        'name has no .yaml, .yml or .json extension: kubelet loads it as a pod anyway',
      );
    }
    if ((stat.mode & 0o077) !== 0) {
      add('warning', 'mode', `mode ${octal(stat.mode)} is looser than 0600 (kubeadm writes 0600)`);
    }
    if (stat.uid !== 0) add('warning', 'owner', `owned by uid ${stat.uid}, not root`);
  }

  if (stat.size === 0) {
    add('error', 'empty', 'empty file: kubelet cannot decode a pod from it');
    file.sha256 = sha256('');
    return file;
  }
  if (stat.size >= MAX_READ_BYTES) {
    add('error', 'huge', `${stat.size} bytes: kubelet rejects manifests of 10 MiB or more; not read`);
    return file;
  }
  if (stat.size > LARGE_MANIFEST_BYTES) {
    add('warning', 'large', `${stat.size} bytes: unusually large for a manifest (kubeadm's are a few KiB)`);
  }

  let data: Buffer;
  try {
    data = fs.readFileSync(rawPath);
  } catch (err) {
    add('error', 'unreadable', `cannot read: ${errnoMessage(err)}`);
    return file;
  }
  file.sha256 = sha256(data);
  const text = data.toString('utf8');
  if (data.includes(0) || !Buffer.from(text, 'utf8').equals(data)) {
    add('error', 'binary', 'binary content (NUL bytes or invalid UTF-8): not a manifest');
    return file;
  }
  if (data.length <= LARGE_MANIFEST_BYTES) file.text = text;
  const parsed = parsedOnce(text, file.sha256, options.nodeName);
  file.pods = parsed.pods;
  for (const f of parsed.findings) {
    const extra: { line?: number; column?: number } = {};
    if (f.line !== undefined) extra.line = f.line;
    if (f.column !== undefined) extra.column = f.column;
    add(f.severity, f.code, f.message, extra);
  }
  return file;
}

/**
 * The same bytes parse the same: a re-scan (inotify, the 20 s re-list, each start-up reader) parses only
 * files whose content changed. YAML parsing is most of a scan's cost; a few recent contents are kept.
 */
const parsedByContent = new Map<string, ReturnType<typeof parseManifestText>>();
const PARSED_KEPT = 64;

function parsedOnce(text: string, sha: string, nodeName: string): ReturnType<typeof parseManifestText> {
  const key = `${sha}\0${nodeName}`;
  const hit = parsedByContent.get(key);
  if (hit) return hit;
  const parsed = parseManifestText(text, nodeName);
  if (parsedByContent.size >= PARSED_KEPT) parsedByContent.delete(parsedByContent.keys().next().value!);
  parsedByContent.set(key, parsed);
  return parsed;
}

/** Two loaded files that define the same pod: kubelet keeps one of them, and an old backup can win. */
function addDuplicateFindings(files: ManifestFile[]): void {
  const byPod = new Map<string, ManifestFile[]>();
  for (const file of files) {
    if (!file.loadedByKubelet) continue;
    for (const pod of file.pods) {
      const key = `${pod.namespace}/${pod.name}`;
      const list = byPod.get(key) ?? [];
      if (!list.includes(file)) list.push(file);
      byPod.set(key, list);
    }
  }
  for (const [key, list] of byPod) {
    if (list.length < 2) continue;
    const podName = key.slice(key.indexOf('/') + 1);
    // kubeadm writes <pod>.yaml; when exactly one file has that plain name and the others are stray
    // copies (a .bak, an editor's leftover), the copies are to blame and the plain file only hears of them.
    const plain = list.filter((f) => isPlainManifestName(f.name, podName));
    const copies = list.filter((f) => f !== plain[0]);
    const original =
      plain.length === 1 && copies.every((f) => f.findings.some((x) => x.code === 'stray-copy'))
        ? plain[0]!
        : null;
    for (const file of list) {
      const others = list.filter((f) => f !== file).map((f) => f.displayName);
      if (original === file) {
        file.findings.push({
          file: file.displayName,
          severity: 'warning',
          code: 'duplicate-pod',
          message: `pod ${escapeName(key)} is also defined by the stray ${others.length === 1 ? 'copy' : 'copies'} ${others.join(', ')}: kubelet may run a copy instead of this file`,
        });
        continue;
      }
      file.findings.push({
        file: file.displayName,
        severity: 'error',
        code: 'duplicate-pod',
        message: original
          ? `a second definition of pod ${escapeName(key)}, whose manifest is ${original.displayName}: kubelet runs only one of them, and which one is not defined`
          : `pod ${escapeName(key)} is also defined by ${others.join(', ')}: kubelet runs only one of them, and which one is not defined`,
      });
    }
  }
}

/** `<pod>.yaml`, `.yml` or `.json`: the name kubeadm (and every installer) gives a pod's manifest. */
function isPlainManifestName(fileName: string, podName: string): boolean {
  return ['.yaml', '.yml', '.json'].some((ext) => fileName === `${podName}${ext}`);
}

function fillStat(file: ManifestFile, stat: fs.Stats): void {
  file.mode = stat.mode & 0o7777;
  file.uid = stat.uid;
  file.gid = stat.gid;
  file.size = stat.size;
  file.mtimeMs = stat.mtimeMs;
  file.ctimeMs = stat.ctimeMs;
}

function describeType(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'unknown type';
}

function escapeInvalidBytes(raw: Buffer): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const len = utf8SequenceLength(raw, i);
    if (len === 0) {
      out += `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      out += escapeName(raw.subarray(i, i + len).toString('utf8'));
      i += len;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when the bytes there are not one. */
function utf8SequenceLength(raw: Buffer, i: number): number {
  for (const len of [1, 2, 3, 4]) {
    const slice = raw.subarray(i, i + len);
    if (slice.length < len) break;
    const decoded = slice.toString('utf8');
    if (!decoded.includes('\uFFFD') && Buffer.from(decoded, 'utf8').equals(slice)) return len;
  }
  return 0;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/** The manifest directory and the holding directory, read now. */
export interface ManifestDirs {
  manifests: ManifestDirSnapshot;
  holding: ManifestDirSnapshot;
}

export function scanBoth(dirs: { manifests: string; holding: string; nodeName: string }): ManifestDirs {
  return {
    manifests: scanManifestDir(dirs.manifests, { nodeName: dirs.nodeName, role: 'manifests' }),
    holding: scanManifestDir(dirs.holding, { nodeName: dirs.nodeName, role: 'holding' }),
  };
}
