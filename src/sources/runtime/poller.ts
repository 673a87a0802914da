// Polling for runtimes without an event stream: fast while things change, backing off when idle,
// so an idle node costs almost nothing and a change is still seen within a second.
import type { RuntimeEvent } from './types.js';

export const FAST_POLL_MS = 250;
export const IDLE_POLL_MS = 750;
/** How long after the last change polling stays fast. */
export const FAST_WINDOW_MS = 10_000;

export class ChangePoller {
  private timer: NodeJS.Timeout | null = null;
  private last: string | null = null;
  private lastChangeAt = Date.now();
  private stopped = false;
  private failing = false;

  constructor(
    private readonly read: () => Promise<string>,
    private readonly onEvent: (event: RuntimeEvent) => void,
  ) {}

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      const now = await this.read();
      if (this.failing) {
        this.failing = false;
        this.onEvent({ kind: 'resync', reason: 'runtime answers again' });
      }
      if (this.last !== null && now !== this.last) {
        this.lastChangeAt = Date.now();
        this.onEvent({ kind: 'changed', containerId: null, sandboxId: null, what: 'poll' });
      }
      this.last = now;
    } catch {
      this.failing = true;
    }
    if (this.stopped) return;
    const fast = Date.now() - this.lastChangeAt < FAST_WINDOW_MS;
    this.timer = setTimeout(() => void this.tick(), fast ? FAST_POLL_MS : IDLE_POLL_MS);
    this.timer.unref();
  }
}
