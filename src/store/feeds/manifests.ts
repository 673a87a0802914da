// The static pod directory and the holding directory, kept in view (inotify plus kubelet's own 20 s
// re-list), and the intent log of a change cut short, read again with every change of the directories.
import { manifestDirsOf, type NodeLayout } from '../../node/discover.js';
import { pendingIntent, procedureState } from '../../sources/breakglass-state.js';
import { scanBoth } from '../../sources/manifests/scan.js';
import { type ManifestWatcher, watchManifestDirs } from '../../sources/manifests/watch.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';

export interface ManifestsFeed extends Feed {
  /** Read both directories again now (after a change breakglass made). */
  rescan(): void;
}

export function dirOptions(layout: NodeLayout) {
  return {
    manifests: layout.manifests.value,
    holding: layout.holding.value,
    nodeName: layout.nodeName.value,
  };
}

/** `onChange` runs after each change of the directories: what follows the manifests re-arms there. */
export function startManifestsFeed(host: FeedHost, layout: NodeLayout, onChange: () => void): ManifestsFeed {
  const stateDir = layout.stateDir.value;
  let watcher: ManifestWatcher | null = null;
  try {
    watcher = watchManifestDirs(manifestDirsOf(layout), (dirs) => {
      host.update((s) => ({
        ...s,
        dirs,
        intent: pendingIntent(stateDir),
        procedures: procedureState(stateDir),
      }));
      onChange();
    });
  } catch (err) {
    host.update((s) => ({
      ...s,
      dirs: { ...s.dirs, manifests: { ...s.dirs.manifests, error: errnoMessage(err) } },
    }));
  }
  return {
    rescan() {
      host.update((s) => ({
        ...s,
        dirs: scanBoth(manifestDirsOf(layout)),
        intent: pendingIntent(stateDir),
        procedures: procedureState(stateDir),
      }));
      onChange();
    },
    close: () => watcher?.close(),
  };
}
