// Container log files on disk, found without the runtime. kubelet's layout:
// <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log, with its rotations beside it as
// <restartCount>.log.<YYYYMMDD-hhmmss> and, older, .gz.
import type * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { rootPath } from '../../../node/root-fs.js';
import { isErrno } from '../../../util/fsx.js';
import { escapeName } from '../../../util/sanitize.js';

export const DEFAULT_POD_LOGS_DIR = '/var/log/pods';

export interface LogFile {
  /** For opening, not for display (the directory part comes from the caller). */
  path: string;
  /** `0.log`, `0.log.20240101-120000`, `0.log.20240101-120000.gz`. */
  name: string;
  restartCount: number;
  /** The rotation stamp (YYYYMMDD-hhmmss) of a rotated file; null for the live `<n>.log`. */
  rotatedAt: string | null;
  compressed: boolean;
  size: number;
  mtime: Date;
}

export interface ContainerLogDir {
  /** Display-safe (escapeName). */
  name: string;
  path: string;
  /** By restart count; for one count the rotated files oldest first, then the live `<n>.log`. */
  files: LogFile[];
}

export interface PodLogDir {
  path: string;
  namespace: string;
  podName: string;
  /** For static pods the config hash. Display-safe (escapeName). */
  podUid: string;
  mtime: Date;
  containers: ContainerLogDir[];
}

const LOG_FILE_NAME = /^(\d+)\.log(?:\.(\d{8}-\d{6})(\.gz)?)?$/;

export interface LogFileName {
  name: string;
  restartCount: number;
  rotatedAt: string | null;
  compressed: boolean;
}

function parseLogFileName(name: string): LogFileName | null {
  const match = LOG_FILE_NAME.exec(name);
  if (!match) return null;
  return {
    name,
    restartCount: Number(match[1]),
    rotatedAt: match[2] ?? null,
    compressed: match[3] !== undefined,
  };
}

function compareLogFiles(a: LogFileName, b: LogFileName): number {
  if (a.restartCount !== b.restartCount) return a.restartCount - b.restartCount;
  if (a.rotatedAt === b.rotatedAt) return 0;
  if (a.rotatedAt === null) return 1;
  if (b.rotatedAt === null) return -1;
  return a.rotatedAt < b.rotatedAt ? -1 : 1;
}

async function readDirOrEmpty(dir: string): Promise<fs.Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

export async function statOrNull(file: string): Promise<fs.Stats | null> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

async function readLogFileNames(dir: string): Promise<LogFileName[]> {
  const names = (await readDirOrEmpty(dir)).flatMap((entry) => parseLogFileName(entry.name) ?? []);
  return names.sort(compareLogFiles);
}

/** The log files of one container directory, in the order of ContainerLogDir.files. Dangling links are left out. */
export async function listLogFiles(dir: string): Promise<LogFile[]> {
  const files: LogFile[] = [];
  for (const name of await readLogFileNames(dir)) {
    const file = path.join(dir, name.name);
    const stat = await statOrNull(file);
    if (stat?.isFile()) files.push({ ...name, path: file, size: stat.size, mtime: stat.mtime });
  }
  return files;
}

/**
 * The log directories of a pod, every UID it had (newest first by mtime), with their containers
 * and log files. Filesystem only. A missing podLogsDir gives [].
 */
export async function findPodLogDirs(
  podLogsDir: string,
  namespace: string,
  podName: string,
): Promise<PodLogDir[]> {
  // Namespaces and pod names cannot hold '_', so the prefix is unambiguous and the rest is the UID.
  const prefix = `${namespace}_${podName}_`;
  const dirs: PodLogDir[] = [];
  for (const entry of await readDirOrEmpty(podLogsDir)) {
    const uid = entry.name.slice(prefix.length);
    if (!entry.name.startsWith(prefix) || uid === '' || uid.includes('_') || !entry.isDirectory()) continue;
    const dir = path.join(podLogsDir, entry.name);
    const stat = await statOrNull(dir);
    if (stat === null) continue;
    dirs.push({
      path: dir,
      namespace: escapeName(namespace),
      podName: escapeName(podName),
      podUid: escapeName(uid),
      mtime: stat.mtime,
      containers: await listContainerDirs(dir),
    });
  }
  return dirs.sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
}

async function listContainerDirs(podDir: string): Promise<ContainerLogDir[]> {
  const containers: ContainerLogDir[] = [];
  for (const entry of await readDirOrEmpty(podDir)) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(podDir, entry.name);
    containers.push({ name: escapeName(entry.name), path: dir, files: await listLogFiles(dir) });
  }
  return containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The file a tail of this container directory reads: the live `<n>.log` of the highest restart count,
 * or, when that is empty, its newest uncompressed rotation. Null when there is nothing to read.
 */
export async function pickLogFile(containerDir: string): Promise<LogFile | null> {
  const files = (await listLogFiles(containerDir)).filter((file) => !file.compressed);
  const newestRestart = files.at(-1)?.restartCount;
  const candidates = files.filter((file) => file.restartCount === newestRestart);
  return candidates.findLast((file) => file.size > 0) ?? null;
}

export async function newestLiveLog(containerDir: string): Promise<LogFileName | null> {
  return (await readLogFileNames(containerDir)).findLast((name) => name.rotatedAt === null) ?? null;
}

/** The live log of the next restart after `restartCount` (the smallest higher one: none is skipped). */
export async function nextRestartLog(
  containerDir: string,
  restartCount: number,
): Promise<LogFileName | null> {
  const names = await readLogFileNames(containerDir);
  return names.find((name) => name.rotatedAt === null && name.restartCount > restartCount) ?? null;
}

/**
 * The directory of a container's log files, from the log path its runtime reports: a node path, so
 * below --root first; as reported for a runtime of this machine (a lab beside a rescued root). null
 * when neither holds a log file.
 */
export async function containerLogDirOf(root: string, logPath: string): Promise<string | null> {
  for (const dir of [path.dirname(rootPath(root, logPath)), path.dirname(logPath)]) {
    if (await pickLogFile(dir)) return dir;
  }
  return null;
}
