// Keeps the static pod directory (and the holding directory) in view: inotify through chokidar for
// changes as they happen, plus a full re-list every 20 s like kubelet's own, in case an event is lost.
import * as path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { type ManifestDirs, scanBoth } from './scan.js';
import type { ManifestDirSnapshot } from './types.js';

export interface WatchOptions {
  manifests: string;
  holding: string;
  nodeName: string;
  /** Events within this window are read as one change. */
  debounceMs?: number;
  relistMs?: number;
}

export interface ManifestWatcher {
  current(): ManifestDirs;
  close(): Promise<void>;
}

/** Calls onChange with fresh snapshots whenever either directory changes. */
export function watchManifestDirs(
  options: WatchOptions,
  onChange: (dirs: ManifestDirs) => void,
): ManifestWatcher {
  const debounceMs = options.debounceMs ?? 25;
  let state = scanBoth(options);
  let signature = signatureOf(state);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const rescan = () => {
    timer = null;
    if (closed) return;
    const next = scanBoth(options);
    rewatchAppeared(state, next);
    const nextSignature = signatureOf(next);
    if (nextSignature === signature) return;
    state = next;
    signature = nextSignature;
    onChange(state);
  };
  const schedule = () => {
    if (!closed && timer === null) timer = setTimeout(rescan, debounceMs);
  };

  const watcher: FSWatcher = watch([options.manifests, options.holding], {
    // Events only trigger a re-scan, so chokidar's 100 ms hold on unlinks (to pair them with an add) buys nothing.
    atomic: false,
    depth: 0,
    ignoreInitial: true,
    followSymlinks: false,
    // Only the entries matter: dot files are ignored by kubelet, so by us too.
    ignored: (p: string) => {
      const base = path.basename(p);
      return base.startsWith('.') && p !== options.manifests && p !== options.holding;
    },
  });
  // A directory created after the watch began (the holding directory at the first disable) is not
  // followed by the existing watch: add it again once it exists.
  const rewatchAppeared = (before: ManifestDirs, after: ManifestDirs) => {
    for (const key of ['manifests', 'holding'] as const) {
      if (before[key].error !== null && after[key].error === null) {
        watcher.unwatch(options[key]);
        watcher.add(options[key]);
        // Files created before the new watch is live send no event: look again once it is.
        for (const ms of [250, 1_000]) setTimeout(() => schedule(), ms).unref();
      }
    }
  };
  watcher.on('all', schedule);
  watcher.on('error', schedule);
  const relist = setInterval(schedule, options.relistMs ?? 20_000);
  relist.unref();

  return {
    current: () => state,
    async close() {
      closed = true;
      clearInterval(relist);
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** What a change is: names, kinds, modes, owners and content hashes (not read times). */
function signatureOf(dirs: ManifestDirs): string {
  const one = (s: ManifestDirSnapshot) =>
    JSON.stringify([
      s.error,
      s.findings,
      s.files.map((f) => [f.displayName, f.kind, f.mode, f.uid, f.gid, f.sha256]),
    ]);
  return `${one(dirs.manifests)}|${one(dirs.holding)}`;
}
