// What a feed sees of the store: the latest snapshot, a way to replace it, and timers that die with it.
// Each feed (src/store/feeds/) opens one source, writes its slot, and fails alone.
import type { Urgency } from './notify.js';
import type { NodeSnapshot } from './snapshot.js';

export interface FeedHost {
  readonly snapshot: NodeSnapshot;
  readonly closed: boolean;
  /** A new snapshot from the current one; the screen hears of it as soon as the urgency allows. */
  update(change: (s: NodeSnapshot) => NodeSnapshot, urgency?: Urgency): void;
  /** A log buffer grew: tell the screen, no new snapshot. */
  touch(urgency?: Urgency): void;
  /** A timer that dies with the store. */
  later(work: () => void, ms: number): void;
}

export interface Feed {
  close(): void | Promise<void>;
}
