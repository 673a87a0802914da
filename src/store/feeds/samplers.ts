// The slow gauges: etcd's disk (the device under its data directory) and the node's vitals, every 5 s;
// a new sample repaints at most every 5 s, a failure at once.
import { vitalsPaths } from '../../node/file-systems.js';
import { watchDisk } from '../../sources/disk/watch.js';
import { watchVitals } from '../../sources/vitals.js';
import type { Feed, FeedHost } from '../feed.js';

const SAMPLE_MS = 5_000;

export function startDiskFeed(host: FeedHost, etcdDataDir: string): Feed {
  return watchDisk(
    etcdDataDir,
    SAMPLE_MS,
    (sample) =>
      host.update((s) => ({ ...s, disk: { value: sample, error: null, at: Date.now() } }), 'background'),
    (err) => host.update((s) => ({ ...s, disk: { ...s.disk, error: err.message, at: Date.now() } })),
  );
}

export function startVitalsFeed(host: FeedHost, root: string, etcdDataDir: string): Feed {
  return watchVitals(
    { paths: vitalsPaths(root, etcdDataDir) },
    SAMPLE_MS,
    (sample) =>
      host.update((s) => ({ ...s, vitals: { value: sample, error: null, at: Date.now() } }), 'background'),
    (err) => host.update((s) => ({ ...s, vitals: { ...s.vitals, error: err.message, at: Date.now() } })),
  );
}
