// How soon the screen hears of a change, by its urgency: the store's throttle, as a pure function.

/**
 * 'now': something the operator acts on (a pod, a unit, a probe turning): on screen within notifyMs.
 * 'log': new log lines, at most LOG_NOTIFY_MS apart: a flood is unreadable faster anyway, and keys stay
 * quick. 'background': a new sample of a slow gauge (disk, vitals, etcd, a probe's latency): with the next
 * repaint, at the latest after BACKGROUND_NOTIFY_MS. An idle node then costs a repaint every few seconds,
 * not one per sample.
 */
export type Urgency = 'now' | 'log' | 'background';

export const LOG_NOTIFY_MS = 250;
export const BACKGROUND_NOTIFY_MS = 5_000;

/** When the screen must hear of a change of this urgency. */
export function notifyDue(urgency: Urgency, now: number, lastNotify: number, notifyMs: number): number {
  switch (urgency) {
    case 'now':
      return Math.max(now, lastNotify + notifyMs);
    case 'log':
      return Math.max(now, lastNotify + LOG_NOTIFY_MS);
    case 'background':
      return now + BACKGROUND_NOTIFY_MS;
  }
}
