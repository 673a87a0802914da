// The cgroups containerd.service's containers leave behind when the systemd container goes, found through
// their task bundles and removed once empty.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { taskBundleFiles } from '../daemons/containerd.js';
import { SYSTEMD_CONTAINER } from './container.js';

const POLL_MS = 200;
const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP_REMOVE_TRIES = 25;

/** The cgroup path (linux.cgroupsPath) of every task bundle under a containerd state dir. */
export function runtimeCgroupPaths(containerdState: string): string[] {
  return taskBundleFiles(containerdState, 'config.json').flatMap((config) => {
    const cgroupsPath = config ? (JSON.parse(config) as OciConfig).linux?.cgroupsPath : undefined;
    // A systemd-style "slice:prefix:name" is systemd's to remove; this lab's config uses cgroupfs paths.
    return cgroupsPath && !cgroupsPath.includes(':') ? [cgroupsPath] : [];
  });
}

interface OciConfig {
  linux?: { cgroupsPath?: string };
}

/** rmdir in every cgroup v1 hierarchy; the last processes may still be exiting, so a few tries. */
export async function removeEmptyCgroups(cgroupPaths: string[]): Promise<void> {
  const hierarchies = listDir(CGROUP_ROOT).map((name) => path.join(CGROUP_ROOT, name));
  let left = hierarchies
    .flatMap((h) => cgroupPaths.map((p) => path.join(h, p)))
    .filter((d) => fs.existsSync(d));
  for (let attempt = 0; left.length > 0 && attempt < CGROUP_REMOVE_TRIES; attempt++) {
    if (attempt > 0) await sleep(POLL_MS);
    left = left.filter((dir) => !tryRmdir(dir));
  }
  if (left.length > 0)
    throw new Error(`cgroups still in use after ${SYSTEMD_CONTAINER} stopped: ${left.join(' ')}`);
}

function tryRmdir(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
