// The store as a procedure sees the node: the facts and model now, and a wait for them to change.
import type { NodeFacts } from '../model/facts.js';
import { type NodeModel, nodeModel } from '../model/node.js';
import type { NodeWatch } from '../procedures/procedure.js';
import { probe } from '../sources/health.js';
import type { NodeStore } from './store.js';

export function storeWatch(store: NodeStore): NodeWatch {
  return {
    facts: () => store.snapshot,
    model: () => nodeModel(store.snapshot),
    waitFor: (done, seconds, signal) => waitFor(store, done, seconds, signal),
    rescan: () => store.rescanManifests(),
    probeNow: () => store.probeNow(),
    probe: (endpoint) => probe(endpoint),
    lastLogLines: (pod, lines) => store.logTail(pod, lines),
  };
}

/** Resolves true once `done` holds for the store's facts, false after `seconds` or on abort. */
export function waitFor(
  store: NodeStore,
  done: (model: NodeModel, facts: NodeFacts) => boolean,
  seconds: number,
  signal: AbortSignal,
): Promise<boolean> {
  const holds = () => done(nodeModel(store.snapshot), store.snapshot);
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    if (holds()) return resolve(true);
    const finish = (value: boolean) => {
      unsubscribe();
      clearTimeout(timeout);
      clearInterval(tick);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const check = () => {
      if (holds()) finish(true);
    };
    const onAbort = () => finish(false);
    const unsubscribe = store.subscribe(check);
    const timeout = setTimeout(() => finish(false), seconds * 1000);
    // Health results and slow runtimes: look again each second even without an event.
    const tick = setInterval(check, 1_000);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
