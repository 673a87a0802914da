// What the container runtime runs: listed at once, again soon after each runtime event (or the runtime
// adapter's poll, for containerd 1.6), and every 30 s for safety; only a change is news. A runtime that
// cannot be chosen or does not answer is one line in its slot, retried every 5 s.
import type { RuntimeReading } from '../../model/facts.js';
import type { NodeLayout } from '../../node/discover.js';
import { connectRuntime } from '../../sources/runtime/read-once.js';
import type { Runtime } from '../../sources/runtime/types.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';

const RETRY_MS = 5_000;
const SAFETY_RELIST_MS = 30_000;

export interface RuntimeFeed extends Feed {
  /** List again after delayMs (0: now); a listing in flight is followed by one more. */
  poke(delayMs: number): void;
  /** The runtime's read client, for the log feed; null when there is none. */
  readonly client: Runtime | null;
}

export function startRuntimeFeed(host: FeedHost, layout: NodeLayout): RuntimeFeed {
  const connected = connectRuntime({ root: layout.root, runtimeEndpoint: layout.runtimeEndpoint });
  if ('error' in connected) {
    host.update((s) => ({ ...s, runtime: { ...s.runtime, error: connected.error, at: Date.now() } }));
    return { poke: () => {}, client: null, close: () => {} };
  }
  const { runtime, choice } = connected;
  host.update((s) => ({ ...s, runtime: { ...s.runtime, choice } }));
  let timer: NodeJS.Timeout | null = null;
  /** When the pending listing is due (ms since the epoch). */
  let dueAt = 0;
  let listing = false;
  let again = false;
  let signature = '';

  const schedule = (delayMs: number): NodeJS.Timeout => {
    timer = setTimeout(() => void list(), delayMs);
    dueAt = Date.now() + delayMs;
    return timer;
  };
  // A poke never postpones a listing already due sooner, and brings forward one due later (the 30 s
  // safety re-list must not swallow an event).
  const poke = (delayMs: number) => {
    if (host.closed) return;
    if (listing) {
      again = true;
      return;
    }
    if (timer) {
      if (dueAt <= Date.now() + delayMs) return;
      clearTimeout(timer);
    }
    schedule(delayMs);
  };

  const list = async () => {
    timer = null;
    if (host.closed) return;
    listing = true;
    let next = SAFETY_RELIST_MS;
    try {
      const info = await runtime.info();
      const [sandboxes, containers] = await Promise.all([runtime.listSandboxes(), runtime.listContainers()]);
      const reading: RuntimeReading = { info, sandboxes, containers };
      const now = signatureOf(reading);
      if (now !== signature || host.snapshot.runtime.error !== null) {
        signature = now;
        host.update((s) => ({
          ...s,
          runtime: { ...s.runtime, value: reading, error: null, at: Date.now() },
        }));
      }
    } catch (err) {
      next = RETRY_MS;
      host.update((s) => ({ ...s, runtime: { ...s.runtime, error: errnoMessage(err), at: Date.now() } }));
    } finally {
      listing = false;
    }
    if (again) {
      again = false;
      next = 100;
    }
    // Unref'd: the safety re-list alone keeps no process alive.
    if (!host.closed && !timer) schedule(next).unref();
  };

  const subscription = runtime.subscribe(() => poke(100));
  poke(0);
  return {
    poke,
    client: runtime,
    close() {
      if (timer) clearTimeout(timer);
      subscription.close();
      runtime.close();
    },
  };
}

/** What the runtime said, as a string that changes exactly when something on screen would. */
function signatureOf(r: RuntimeReading): string {
  return JSON.stringify([
    r.info.name,
    r.info.version,
    r.sandboxes.map((x) => [x.id, x.state]),
    r.containers.map((c) => [c.id, c.state, c.attempt, c.restartCount, c.exitCode, c.reason]),
  ]);
}
