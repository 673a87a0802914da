// The sampler of etcd's disk: the device under a path and its I/O rates, one read of /proc/diskstats
// per tick, nothing spawned.
import { escapeName } from '../../util/sanitize.js';
import { DEFAULT_IO_TIMEOUT_MS } from '../../util/timeout.js';
import { type Sampler, sampleEvery } from '../sampler.js';
import { type BlockDevice, deviceOf, type IoOptions, readText } from './device.js';
import {
  DISKSTATS_PATH,
  type DiskRates,
  type DiskStats,
  diskRates,
  findDevice,
  parseDiskstats,
} from './diskstats.js';

export const DEFAULT_DISK_INTERVAL_MS = 2000;

export interface DiskSample {
  at: Date;
  device: BlockDevice;
  stats: DiskStats;
  /** null on the first sample (rates need two reads). */
  rates: DiskRates | null;
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
): Sampler {
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
