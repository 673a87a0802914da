// Free space of the file system holding a path: statfs(2), which answers for the path itself, whichever
// mount holds it, in one system call.
import * as fs from 'node:fs';
import { errnoCode } from '../../util/fsx.js';
import { escapeName } from '../../util/sanitize.js';
import { DEFAULT_IO_TIMEOUT_MS, reasonOf, withTimeout } from '../../util/timeout.js';
import type { IoOptions } from './device.js';

export interface FreeSpace {
  totalBytes: number;
  /** What an unprivileged writer can still use (f_bavail), as df shows it. */
  availableBytes: number;
  /** df's Use%: used / (used + available), so root-reserved blocks count as neither. */
  usedPct: number;
  inodesTotal: number;
  inodesFree: number;
  /** null on file systems without an inode limit (btrfs reports 0 inodes). */
  inodesUsedPct: number | null;
}

/**
 * One statfs(2) per path at a time: a hung file system (dead NFS server) blocks a libuv thread for as
 * long as it hangs, so a second caller waits on the same call instead of taking another thread.
 */
const pendingStatfs = new Map<string, Promise<fs.StatsFs>>();

function statfsOnce(target: string): Promise<fs.StatsFs> {
  const pending = pendingStatfs.get(target);
  if (pending) return pending;
  const call = fs.promises.statfs(target).finally(() => pendingStatfs.delete(target));
  pendingStatfs.set(target, call);
  return call;
}

/** Free space of the file system holding `target` (statfs answers for the path itself). */
export async function freeSpace(target: string, options: IoOptions = {}): Promise<FreeSpace> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  let st: fs.StatsFs;
  try {
    st = await withTimeout(statfsOnce(target), timeoutMs, `statfs of ${escapeName(target)}`);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new Error(`${escapeName(target)} does not exist`);
    throw new Error(`cannot read free space of ${escapeName(target)}: ${reasonOf(error)}`);
  }
  const used = Math.max(0, st.blocks - st.bfree);
  const usable = used + st.bavail;
  return {
    totalBytes: st.blocks * st.bsize,
    availableBytes: st.bavail * st.bsize,
    usedPct: usable > 0 ? (used / usable) * 100 : 0,
    inodesTotal: st.files,
    inodesFree: st.ffree,
    inodesUsedPct: st.files > 0 ? ((st.files - st.ffree) / st.files) * 100 : null,
  };
}
