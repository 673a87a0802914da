// /proc/diskstats (Documentation/admin-guide/iostats.rst), 1-based fields:
//   1 major  2 minor  3 name
//   4 reads completed  5 reads merged  6 sectors read  7 ms reading
//   8 writes completed  9 writes merged  10 sectors written  11 ms writing
//   12 I/Os in progress  13 ms doing I/O (io_ticks)  14 weighted ms doing I/O
//   15-18 discards (kernel >= 4.18)  19 flush requests completed  20 ms flushing (kernel >= 5.5)
// A "sector" there is always 512 bytes, whatever the device's own sector size. Pure.

export const DISKSTATS_PATH = '/proc/diskstats';
const SECTOR_BYTES = 512;
/** MB as iostat -m counts them. */
const MB = 1024 * 1024;

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
