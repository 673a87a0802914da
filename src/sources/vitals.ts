// Node vitals that explain outages: memory available, load, CPU iowait and steal, processes blocked
// on I/O, pressure stall information, and free space (and inodes) on the file systems a control plane
// lives on. Every part is read on its own and fails on its own; nothing is spawned.
//
// Memory comes from systeminformation's si.mem(): on Linux it is one read of /proc/meminfo (checked in
// node_modules/systeminformation/lib/memory.js, and loading the package spawns nothing either).
//
// Free space uses statfs(2) (fs.promises.statfs), not si.fsSize(). Checked in
// node_modules/systeminformation/lib/filesystem.js (5.33.23), fsSize() on Linux:
//   - runs `execSync('cat /proc/mounts')` (a shell, synchronously, no timeout: it blocks the event
//     loop), then exec('export LC_ALL=C; df -kPTx squashfs') through a shell, also with no timeout: a
//     hung NFS mount hangs df and the promise never settles; after a failure it runs `df -kPT` again;
//   - lists every mount and keeps those whose device name or mount point contains the asked "drive" as
//     a case-insensitive substring: it answers for mounts whose names contain the string, not for the
//     file system holding a path (/var/lib/etcd on the root file system matches nothing, "/var/log"
//     also matches a mount at /var/log/pods/x);
//   - it drops tmpfs-like file systems (tmpfs, devtmpfs, squashfs, ...) whose source is not a path.
// So the claim holds: si.fsSize spawns df and matches by mount point. statfs answers for the path
// itself, whichever mount holds it, in one system call, and spawns nothing.
// statfs answers for the path itself, whichever mount holds it, in one system call.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { LabelledPath } from '../node/file-systems.js';
import { escapeName } from '../util/sanitize.js';
import { DEFAULT_IO_TIMEOUT_MS, plainError, reasonOf, withTimeout } from '../util/timeout.js';
import { splitDev } from './disk/device.js';
import { type FreeSpace, freeSpace } from './disk/free-space.js';
import { sampleEvery } from './sampler.js';

export const DEFAULT_VITALS_INTERVAL_MS = 5000;
export const PROC_STAT_PATH = '/proc/stat';

// ---------------------------------------------------------------------------------------------
// /proc/stat (pure)

/** The aggregate "cpu" line, in USER_HZ ticks. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  /** Already counted in user/nice by the kernel: never added to the total. */
  guest: number;
  guestNice: number;
}

export interface ProcStat {
  cpu: CpuTimes;
  cpuCount: number;
  /** Processes runnable now. */
  procsRunning: number | null;
  /** Processes in uninterruptible sleep, almost always waiting for a disk (or NFS). */
  procsBlocked: number | null;
}

export function parseProcStat(text: string): ProcStat {
  let cpu: CpuTimes | null = null;
  let cpuCount = 0;
  let procsRunning: number | null = null;
  let procsBlocked: number | null = null;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      const n = f.slice(1).map(Number);
      const at = (i: number) => (Number.isFinite(n[i]) ? n[i]! : 0);
      cpu = {
        user: at(0),
        nice: at(1),
        system: at(2),
        idle: at(3),
        iowait: at(4),
        irq: at(5),
        softirq: at(6),
        steal: at(7),
        guest: at(8),
        guestNice: at(9),
      };
    } else if (/^cpu\d+$/.test(f[0] ?? '')) cpuCount++;
    else if (f[0] === 'procs_running') procsRunning = Number(f[1]);
    else if (f[0] === 'procs_blocked') procsBlocked = Number(f[1]);
  }
  if (!cpu) throw new Error(`no cpu line in ${PROC_STAT_PATH}`);
  return { cpu, cpuCount, procsRunning, procsBlocked };
}

export interface CpuPercents {
  userPct: number;
  systemPct: number;
  /** Idle with a disk request outstanding: high means the CPUs wait for storage. */
  iowaitPct: number;
  /** Taken by the hypervisor: high means a noisy neighbour or an overcommitted host. */
  stealPct: number;
  idlePct: number;
  /** Everything but idle and iowait. */
  busyPct: number;
}

/** Shares of the time between two /proc/stat reads (pure). A counter that went back counts as 0. */
export function cpuPercents(prev: CpuTimes, next: CpuTimes): CpuPercents {
  // iowait is known to go backwards on some kernels; irq and softirq are rare but treated the same.
  const d = (k: keyof CpuTimes) => Math.max(0, next[k] - prev[k]);
  const user = d('user') + d('nice');
  const system = d('system') + d('irq') + d('softirq');
  const idle = d('idle');
  const iowait = d('iowait');
  const steal = d('steal');
  const total = user + system + idle + iowait + steal;
  const pct = (v: number) => (total > 0 ? (v / total) * 100 : 0);
  return {
    userPct: pct(user),
    systemPct: pct(system),
    iowaitPct: pct(iowait),
    stealPct: pct(steal),
    idlePct: pct(idle),
    busyPct: pct(user + system + steal),
  };
}

/** /proc/pressure/<resource>: the "some" line's avg10 (share of the last 10 s some task stalled). */
export function parsePressure(text: string): { someAvg10: number; fullAvg10: number | null } | null {
  const avg10 = (kind: string) => {
    const m = new RegExp(`^${kind}\\s.*\\bavg10=([0-9.]+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const some = avg10('some');
  return some === null ? null : { someAvg10: some, fullAvg10: avg10('full') };
}

// ---------------------------------------------------------------------------------------------
// Reading

export type Part<T> = ({ ok: true } & T) | { ok: false; error: string };

export interface MemoryVitals {
  totalBytes: number;
  /** MemAvailable: what can be had without swapping. */
  availableBytes: number;
  availablePct: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

export interface FileSystemVitals extends FreeSpace {
  /** st_dev "major:minor": paths with the same one share a file system. */
  devNum: string;
}

/** A file system to watch, as src/node/file-systems.ts names them. */
export type VitalsPath = LabelledPath;

export interface VitalsSample {
  at: Date;
  memory: Part<MemoryVitals>;
  load: { one: number; five: number; fifteen: number; cpus: number };
  /** null on the first sample (needs two reads of /proc/stat). */
  cpu: Part<CpuPercents> | null;
  procs: Part<{ running: number | null; blocked: number | null }>;
  /** null where the kernel has no PSI (before 4.20, or psi=0). */
  pressure: {
    cpu: number | null;
    memory: number | null;
    io: number | null;
  };
  filesystems: (VitalsPath & Part<FileSystemVitals>)[];
}

export interface VitalsOptions {
  paths: VitalsPath[];
  timeoutMs?: number;
}

async function readMemory(timeoutMs: number): Promise<Part<MemoryVitals>> {
  try {
    // Loaded with the first sample, not at start-up (its 23 modules are ~20 ms before a first frame).
    const { default: si } = await import('systeminformation');
    const m = await withTimeout(si.mem(), timeoutMs, 'reading /proc/meminfo');
    return {
      ok: true,
      totalBytes: m.total,
      availableBytes: m.available,
      availablePct: m.total > 0 ? (m.available / m.total) * 100 : 0,
      swapTotalBytes: m.swaptotal,
      swapUsedBytes: m.swapused,
    };
  } catch (error) {
    return { ok: false, error: `memory: ${reasonOf(error)}` };
  }
}

async function readFileSystem(
  p: VitalsPath,
  timeoutMs: number,
): Promise<VitalsPath & Part<FileSystemVitals>> {
  try {
    // statfs first: its failure is the one worded for the operator ("... does not exist").
    const space = await freeSpace(p.path, { timeoutMs });
    const st = await withTimeout(
      fs.promises.stat(p.path, { bigint: true }),
      timeoutMs,
      `stat of ${escapeName(p.path)}`,
    );
    const { major, minor } = splitDev(st.dev);
    return { ...p, ok: true, ...space, devNum: `${major}:${minor}` };
  } catch (error) {
    return { ...p, ok: false, error: plainError(error).message };
  }
}

async function readPressure(resource: string, timeoutMs: number): Promise<number | null> {
  try {
    const text = await withTimeout(
      fs.promises.readFile(`/proc/pressure/${resource}`, 'utf8'),
      timeoutMs,
      `reading /proc/pressure/${resource}`,
    );
    return parsePressure(text)?.someAvg10 ?? null;
  } catch {
    return null;
  }
}

/**
 * Reads the vitals once. `prev` is the previous /proc/stat read (for CPU shares); the new one is
 * returned with the sample. Never rejects: each part carries its own error.
 */
export async function readVitals(
  options: VitalsOptions,
  prev: ProcStat | null,
): Promise<{ sample: VitalsSample; procStat: ProcStat | null }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
  const statRead = withTimeout(
    fs.promises.readFile(PROC_STAT_PATH, 'utf8'),
    timeoutMs,
    `reading ${PROC_STAT_PATH}`,
  )
    .then((text) => ({ ok: true as const, stat: parseProcStat(text) }))
    .catch((error: unknown) => ({ ok: false as const, error: reasonOf(error) }));
  const [memory, stat, filesystems, cpuPressure, memoryPressure, ioPressure] = await Promise.all([
    readMemory(timeoutMs),
    statRead,
    Promise.all(options.paths.map((p) => readFileSystem(p, timeoutMs))),
    readPressure('cpu', timeoutMs),
    readPressure('memory', timeoutMs),
    readPressure('io', timeoutMs),
  ]);
  const [one, five, fifteen] = os.loadavg() as [number, number, number];
  const sample: VitalsSample = {
    at: new Date(),
    memory,
    load: {
      one,
      five,
      fifteen,
      cpus: stat.ok ? stat.stat.cpuCount || os.availableParallelism() : os.availableParallelism(),
    },
    cpu: !stat.ok
      ? { ok: false, error: stat.error }
      : prev
        ? { ok: true, ...cpuPercents(prev.cpu, stat.stat.cpu) }
        : null,
    procs: stat.ok
      ? { ok: true, running: stat.stat.procsRunning, blocked: stat.stat.procsBlocked }
      : { ok: false, error: stat.error },
    pressure: { cpu: cpuPressure, memory: memoryPressure, io: ioPressure },
    filesystems,
  };
  return { sample, procStat: stat.ok ? stat.stat : prev };
}

export interface VitalsWatcher {
  close(): void;
}

/** Reads the vitals every `intervalMs` (first at once); reads never overlap. */
export function watchVitals(
  options: VitalsOptions,
  intervalMs: number = DEFAULT_VITALS_INTERVAL_MS,
  onSample: (sample: VitalsSample) => void,
  onError: (error: Error) => void,
): VitalsWatcher {
  let prev: ProcStat | null = null;
  const timeoutMs = options.timeoutMs ?? Math.min(DEFAULT_IO_TIMEOUT_MS, Math.max(intervalMs, 100));
  const read = async (): Promise<VitalsSample> => {
    const { sample, procStat } = await readVitals({ ...options, timeoutMs }, prev);
    prev = procStat;
    return sample;
  };
  return sampleEvery(intervalMs, read, onSample, onError);
}
