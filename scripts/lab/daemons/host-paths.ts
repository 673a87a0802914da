// Paths outside the lab dir that the daemons create whatever their flags: recorded as absent before the
// daemons start, removed again when they stop.
import * as fs from 'node:fs';
import type { Log } from '../packages.js';
import type { LabPaths } from './paths.js';

/**
 * containerd 1.6 shims put their sockets in a hard-coded /run/containerd/s, dockerd 20.10 makes
 * /run/docker/plugins and /etc/docker/key.json. Those absent before the lab are removed again by
 * stopDaemons (when empty).
 */
const HOST_PATHS_DAEMONS_CREATE = [
  '/run/containerd/s',
  '/run/containerd',
  '/run/docker/plugins',
  '/run/docker',
  '/etc/docker/key.json',
  '/etc/docker',
];

export function recordHostPathsAbsent(paths: LabPaths): void {
  const recorded = readHostPathsRecord(paths);
  const absent = HOST_PATHS_DAEMONS_CREATE.filter((p) => recorded.includes(p) || !fs.existsSync(p));
  fs.writeFileSync(paths.hostPathsRecord, `${JSON.stringify(absent, null, 2)}\n`);
}

function readHostPathsRecord(paths: LabPaths): string[] {
  try {
    return JSON.parse(fs.readFileSync(paths.hostPathsRecord, 'utf8')) as string[];
  } catch {
    return [];
  }
}

export function removeHostPathsCreated(paths: LabPaths, log: Log): void {
  const created = readHostPathsRecord(paths).filter((p) => fs.existsSync(p));
  for (const hostPath of created) {
    try {
      if (fs.statSync(hostPath).isDirectory()) fs.rmdirSync(hostPath);
      else fs.rmSync(hostPath);
      log(`removed ${hostPath} (the lab's daemons created it)`);
    } catch {
      // Not empty: another lab (or a real daemon since) uses it.
    }
  }
  fs.rmSync(paths.hostPathsRecord, { force: true });
}
