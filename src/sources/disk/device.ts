// The block device under a path (etcd's data dir), read from the kernel: stat(2) for the device number,
// /proc/diskstats to find it, /proc/self/mountinfo and sysfs for what the device is. Read-only, no
// processes spawned, every read bounded by a timeout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeName } from '../../util/sanitize.js';
import { DEFAULT_IO_TIMEOUT_MS, reasonOf, withTimeout } from '../../util/timeout.js';
import { DISKSTATS_PATH, type DiskStats, findDevice, parseDiskstats } from './diskstats.js';

export const MOUNTINFO_PATH = '/proc/self/mountinfo';

export interface MountInfo {
  /** st_dev of files on this mount, "major:minor" (0:N for btrfs, overlay, tmpfs). */
  devNum: string;
  /** The directory in the file system that is mounted (a bind mount's subdirectory). */
  root: string;
  mountPoint: string;
  fsType: string;
  /** What was mounted: /dev/loop0, /dev/mapper/vg-root, tmpfs, overlay, ... */
  source: string;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    out.push({
      devNum: f[2]!,
      root: unescapeMount(f[3]!),
      mountPoint: unescapeMount(f[4]!),
      fsType: f[dash + 1]!,
      source: unescapeMount(f[dash + 2]!),
    });
  }
  return out;
}

/** The mount a (real) path lives on: the longest mount point that contains it, last mounted wins. */
export function mountOf(mounts: MountInfo[], realPath: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const inside =
      m.mountPoint === '/' || realPath === m.mountPoint || realPath.startsWith(`${m.mountPoint}/`);
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

export type DeviceKind = 'loop' | 'device-mapper' | 'partition' | 'disk' | 'md' | 'other';

export interface BlockDevice {
  /** The path asked about. */
  path: string;
  major: number;
  minor: number;
  /** Its name in /proc/diskstats: loop0, dm-0, nvme0n1p2, sda1, ... */
  name: string;
  kind: DeviceKind;
  /** device-mapper's own name (vg-root, luks-...), from sysfs. */
  dmName: string | null;
  /** The whole disk a partition belongs to. */
  parentDisk: string | null;
  /** The file behind a loop device. */
  loopBackingFile: string | null;
  fsType: string | null;
  mountPoint: string | null;
  /** What was mounted (/dev/loop0, /dev/mapper/...), as mountinfo says. */
  mountSource: string | null;
}

export interface IoOptions {
  timeoutMs?: number;
}

/** Linux's dev_t encoding (glibc gnu_dev_major/minor). */
export function splitDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

export async function readText(file: string, timeoutMs: number): Promise<string> {
  return withTimeout(fs.promises.readFile(file, 'utf8'), timeoutMs, `reading ${escapeName(file)}`);
}

async function readSys(file: string, timeoutMs: number): Promise<string | null> {
  try {
    return (await readText(file, timeoutMs)).trim();
  } catch {
    return null;
  }
}

function kindOf(name: string): DeviceKind {
  if (/^loop\d+$/.test(name)) return 'loop';
  if (/^dm-\d+$/.test(name)) return 'device-mapper';
  if (/^md\d+/.test(name)) return 'md';
  return 'disk';
}

/**
 * The block device that holds `target`: stat(2)'s st_dev, found in /proc/diskstats by major:minor.
 * File systems with an anonymous st_dev (btrfs, 0:N) are followed through mountinfo to the device
 * they were mounted from. Rejects with one plain sentence (tmpfs, overlay, NFS: no block device).
 */
export async function deviceOf(target: string, options: IoOptions = {}): Promise<BlockDevice> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  let dev: bigint;
  let real: string;
  try {
    const shown = escapeName(target);
    dev = (await withTimeout(fs.promises.stat(target, { bigint: true }), timeoutMs, `stat of ${shown}`)).dev;
    real = await withTimeout(fs.promises.realpath(target), timeoutMs, `resolving ${shown}`);
  } catch (error) {
    throw new Error(`cannot stat ${escapeName(target)}: ${reasonOf(error)}`);
  }
  const { major, minor } = splitDev(dev);
  let diskstats: DiskStats[];
  let mounts: MountInfo[] = [];
  try {
    diskstats = parseDiskstats(await readText(DISKSTATS_PATH, timeoutMs));
  } catch (error) {
    throw new Error(`cannot read ${DISKSTATS_PATH}: ${reasonOf(error)}`);
  }
  try {
    mounts = parseMountInfo(await readText(MOUNTINFO_PATH, timeoutMs));
  } catch {
    // Only used to name the file system and for anonymous device numbers: go on without it.
  }
  const devNum = `${major}:${minor}`;
  const onDev = mounts.filter((m) => m.devNum === devNum);
  const mount = onDev.length > 0 ? (mountOf(onDev, real) ?? onDev[0]) : mountOf(mounts, real);

  let entry = findDevice(diskstats, major, minor);
  if (!entry && mount?.source.startsWith('/dev/')) {
    // btrfs and friends: st_dev is anonymous; the mount source names the real device.
    try {
      const rdev = (
        await withTimeout(
          fs.promises.stat(mount.source, { bigint: true }),
          timeoutMs,
          `stat of ${mount.source}`,
        )
      ).rdev;
      const source = splitDev(rdev);
      entry = findDevice(diskstats, source.major, source.minor);
    } catch {
      // reported below
    }
  }
  if (!entry) {
    const what = mount
      ? `a ${escapeName(mount.fsType)} file system (${escapeName(mount.source)})`
      : `device ${devNum}`;
    throw new Error(`${escapeName(target)} is on ${what}, which is not a block device in ${DISKSTATS_PATH}`);
  }
  const sys = `/sys/dev/block/${entry.major}:${entry.minor}`;
  let kind = kindOf(entry.name);
  let parentDisk: string | null = null;
  if (kind === 'disk' && (await readSys(`${sys}/partition`, timeoutMs)) !== null) {
    kind = 'partition';
    try {
      const link = await withTimeout(fs.promises.realpath(sys), timeoutMs, `resolving ${sys}`);
      parentDisk = path.basename(path.dirname(link));
    } catch {
      parentDisk = null;
    }
  }
  return {
    path: target,
    major: entry.major,
    minor: entry.minor,
    name: entry.name,
    kind,
    dmName: kind === 'device-mapper' ? await readSys(`${sys}/dm/name`, timeoutMs) : null,
    parentDisk,
    loopBackingFile: kind === 'loop' ? await readSys(`${sys}/loop/backing_file`, timeoutMs) : null,
    fsType: mount?.fsType ?? null,
    mountPoint: mount?.mountPoint ?? null,
    mountSource: mount?.source ?? null,
  };
}
