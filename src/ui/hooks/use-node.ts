// The screen subscribed to the store: a new fact or a new log line means a repaint (the store throttles
// how often it says so).
import { useCallback, useSyncExternalStore } from 'react';
import { type NodeModel, nodeModel } from '../../model/node.js';
import type { NodeSnapshot } from '../../store/snapshot.js';
import type { NodeStore } from '../../store/store.js';

export function useNode(store: NodeStore): { snapshot: NodeSnapshot; model: NodeModel } {
  useSyncExternalStore(
    useCallback((listener: () => void) => store.subscribe(listener), [store]),
    () => store.version,
  );
  const snapshot = store.snapshot;
  return { snapshot, model: nodeModel(snapshot) };
}
