// The block device under a path (etcd's data dir) and its I/O rates, read from the kernel: stat(2) for
// the device number, /proc/diskstats for the counters, /proc/self/mountinfo and sysfs for what the
// device is, statfs(2) for free space. Read-only, no processes spawned, every read bounded by a timeout.
//
// /proc/diskstats (Documentation/admin-guide/iostats.rst), 1-based fields:
//   1 major  2 minor  3 name
//   4 reads completed  5 reads merged  6 sectors read  7 ms reading
//   8 writes completed  9 writes merged  10 sectors written  11 ms writing
//   12 I/Os in progress  13 ms doing I/O (io_ticks)  14 weighted ms doing I/O
//   15-18 discards (kernel >= 4.18)  19 flush requests completed  20 ms flushing (kernel >= 5.5)
// A "sector" there is always 512 bytes, whatever the device's own sector size.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoMessage } from '../util/errors.js';
import { errnoCode } from '../util/fsx.js';
import { escapeName, sanitizeLine } from '../util/sanitize.js';
import { sampleEvery } from './sampler.js';

export const DISKSTATS_PATH = '/proc/diskstats';
export const MOUNTINFO_PATH = '/proc/self/mountinfo';
export const DEFAULT_DISK_INTERVAL_MS = 2000;
/** Reads of /proc and sysfs answer in microseconds; a second means something is badly wrong. */
export const DEFAULT_IO_TIMEOUT_MS = 2000;
const SECTOR_BYTES = 512;
/** MB as iostat -m counts them. */
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Timeouts

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** "3 s", "2.5 s", "800 ms": a duration as an operator reads it. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(1))} s`;
}

/**
 * Waits for `work` at most `ms`; then rejects with "<what> timed out after N s". The work itself is
 * not cancelled (a file system call cannot be), only no longer waited for.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new TimeoutError(`${what} timed out after ${formatDuration(ms)}`)),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** An Error whose message is one plain sentence: system errors are put in words, others kept. */
export function plainError(error: unknown): Error {
  if (error instanceof Error && !errnoCode(error)) return error;
  return new Error(reasonOf(error));
}

/** One plain sentence for any failure: errno words, a timeout's own message, else the message. */
export function reasonOf(error: unknown): string {
  if (error instanceof TimeoutError) return error.message;
  return sanitizeLine(errnoMessage(error));
}

// ---------------------------------------------------------------------------------------------
// /proc/diskstats (pure)

export interface DiskStats {
  major: number;
  minor: number;
  name: string;
  readsCompleted: number;
  readsMerged: number;
  sectorsRead: number;
  msReading: number;
  writesCompleted: number;
  writesMerged: number;
  sectorsWritten: number;
  msWriting: number;
  iosInProgress: number;
  ioTicksMs: number;
  weightedIoMs: number;
  /** Fields 19-20, kernel >= 5.5; null on older kernels. */
  flushesCompleted: number | null;
  msFlushing: number | null;
}

/** Every line of /proc/diskstats with at least the 14 classic fields; anything else is skipped. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = f.map((v, i) => (i === 2 ? Number.NaN : Number(v)));
    if (!n.slice(0, 2).every(Number.isInteger) || !n.slice(3, 14).every(Number.isFinite)) continue;
    const hasFlush = f.length >= 20 && Number.isFinite(n[18]) && Number.isFinite(n[19]);
    out.push({
      major: n[0]!,
      minor: n[1]!,
      name: f[2]!,
      readsCompleted: n[3]!,
      readsMerged: n[4]!,
      sectorsRead: n[5]!,
      msReading: n[6]!,
      writesCompleted: n[7]!,
      writesMerged: n[8]!,
      sectorsWritten: n[9]!,
      msWriting: n[10]!,
      iosInProgress: n[11]!,
      ioTicksMs: n[12]!,
      weightedIoMs: n[13]!,
      flushesCompleted: hasFlush ? n[18]! : null,
      msFlushing: hasFlush ? n[19]! : null,
    });
  }
  return out;
}

export function findDevice(stats: DiskStats[], major: number, minor: number): DiskStats | undefined {
  return stats.find((s) => s.major === major && s.minor === minor);
}

export interface DiskRates {
  elapsedMs: number;
  readIops: number;
  readMBps: number;
  writeIops: number;
  writeMBps: number;
  /** Average time a read took (queue + service), ms; null when no read completed in the interval. */
  readAwaitMs: number | null;
  /** ms spent writing / writes completed, like iostat's w_await; null when no write completed. */
  writeAwaitMs: number | null;
  /** Share of the interval the device had I/O in flight (io_ticks), 0-100. */
  utilizationPct: number;
  /** Requests in flight at the second read. */
  inFlight: number;
  /** Flush requests per second (etcd's fdatasync ends in one); null on kernels before 5.5. */
  flushIops: number | null;
  flushAwaitMs: number | null;
  /** A counter went backwards (the device was re-created, or a 32-bit counter wrapped): rates are 0. */
  reset: boolean;
}

/** Rates between two reads of the same device, `elapsedMs` apart. Pure. */
export function diskRates(prev: DiskStats, next: DiskStats, elapsedMs: number): DiskRates {
  const keys = [
    'readsCompleted',
    'sectorsRead',
    'msReading',
    'writesCompleted',
    'sectorsWritten',
    'msWriting',
    'ioTicksMs',
  ] as const;
  const reset = keys.some((k) => next[k] < prev[k]);
  const d = (k: (typeof keys)[number]) => (reset ? 0 : next[k] - prev[k]);
  const seconds = elapsedMs > 0 ? elapsedMs / 1000 : Number.POSITIVE_INFINITY;
  const reads = d('readsCompleted');
  const writes = d('writesCompleted');
  let flushIops: number | null = null;
  let flushAwaitMs: number | null = null;
  if (
    prev.flushesCompleted !== null &&
    next.flushesCompleted !== null &&
    prev.msFlushing !== null &&
    next.msFlushing !== null
  ) {
    const flushes = next.flushesCompleted - prev.flushesCompleted;
    const flushMs = next.msFlushing - prev.msFlushing;
    const ok = !reset && flushes >= 0 && flushMs >= 0;
    flushIops = ok ? flushes / seconds : 0;
    flushAwaitMs = ok && flushes > 0 ? flushMs / flushes : null;
  }
  return {
    elapsedMs,
    readIops: reads / seconds,
    readMBps: (d('sectorsRead') * SECTOR_BYTES) / MB / seconds,
    writeIops: writes / seconds,
    writeMBps: (d('sectorsWritten') * SECTOR_BYTES) / MB / seconds,
    readAwaitMs: reads > 0 ? d('msReading') / reads : null,
    writeAwaitMs: writes > 0 ? d('msWriting') / writes : null,
    utilizationPct: elapsedMs > 0 ? Math.min(100, (d('ioTicksMs') / elapsedMs) * 100) : 0,
    inFlight: next.iosInProgress,
    flushIops,
    flushAwaitMs,
    reset,
  };
}

// ---------------------------------------------------------------------------------------------
// /proc/self/mountinfo (pure)

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

// ---------------------------------------------------------------------------------------------
// The device under a path

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

async function readText(file: string, timeoutMs: number): Promise<string> {
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

// ---------------------------------------------------------------------------------------------
// Free space

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

// ---------------------------------------------------------------------------------------------
// The sampler

export interface DiskSample {
  at: Date;
  device: BlockDevice;
  stats: DiskStats;
  /** null on the first sample (rates need two reads). */
  rates: DiskRates | null;
}

export interface Watcher {
  close(): void;
}

/**
 * Samples the device under `target` every `intervalMs`: one read of /proc/diskstats per tick, nothing
 * spawned. The device is looked up once (again after a failure). A tick never overlaps the previous one.
 */
export function watchDisk(
  target: string,
  intervalMs: number = DEFAULT_DISK_INTERVAL_MS,
  onSample: (sample: DiskSample) => void,
  onError: (error: Error) => void,
  options: IoOptions = {},
): Watcher {
  const timeoutMs = options.timeoutMs ?? Math.min(DEFAULT_IO_TIMEOUT_MS, Math.max(intervalMs, 100));
  let device: BlockDevice | null = null;
  let prev: { stats: DiskStats; atMs: number } | null = null;
  const read = async (): Promise<DiskSample> => {
    if (!device) device = await deviceOf(target, { timeoutMs });
    const text = await readText(DISKSTATS_PATH, timeoutMs);
    const atMs = performance.now();
    const stats = findDevice(parseDiskstats(text), device.major, device.minor);
    if (!stats) {
      const gone = device.name;
      device = null;
      prev = null;
      throw new Error(`${escapeName(gone)} is no longer in ${DISKSTATS_PATH}`);
    }
    const rates = prev ? diskRates(prev.stats, stats, atMs - prev.atMs) : null;
    prev = { stats, atMs };
    return { at: new Date(), device, stats, rates };
  };
  return sampleEvery(intervalMs, read, onSample, onError);
}
