// kubelet's back-off (k8s.io/client-go/util/flowcontrol.Backoff) for restarting containers and sandboxes.

const MAX_BACKOFF_MS = 300_000;
/** kubelet's flowcontrol.Backoff forgets a container's back-off after 2 x the maximum without a failure. */
const BACKOFF_RESET_MS = 2 * MAX_BACKOFF_MS;

interface BackoffEntry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, BackoffEntry>();

  constructor(private readonly baseMs: number) {}

  /** IsInBackOffSince: how much longer to wait after the failure at failedAt; 0 when not in back-off. */
  remainingMs(key: string, failedAt: number, now: number): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.delayMs - (now - failedAt)) : 0;
  }

  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? this.baseMs;
  }

  /** Next: the base delay the first time (or after a long quiet spell), else double up to the maximum. */
  next(key: string, failedAt: number): void {
    const entry = this.entries.get(key);
    const fresh = !entry || failedAt - entry.lastUpdate > BACKOFF_RESET_MS;
    const delayMs = fresh ? this.baseMs : Math.min(entry.delayMs * 2, MAX_BACKOFF_MS);
    this.entries.set(key, { delayMs, lastUpdate: failedAt });
  }

  forgetPod(uid: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(`${uid}/`)) this.entries.delete(key);
  }
}

export function formatDelay(ms: number): string {
  if (ms < 60_000) return `${ms / 1000}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return seconds === 0 ? `${minutes}m0s` : `${minutes}m${seconds}s`;
}
