// The UI state as a tiny store around the pure state machine (src/ui/state/ui-state.ts): keys and news
// about the running change are events dispatched into it, one after another, each seeing the state the
// one before left (keys typed faster than a frame included); the screen renders what it holds.
import { useMemo, useSyncExternalStore } from 'react';
import { type Effect, initialUiState, reduceUi, type UiEvent, type UiState } from '../state/ui-state.js';

export class UiStore {
  private state: UiState = initialUiState();
  private readonly listeners = new Set<() => void>();

  get current(): UiState {
    return this.state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The event applied; the effect it asks for, for the caller to carry out. */
  dispatch = (event: UiEvent): Effect | null => {
    const { state, effect } = reduceUi(this.state, event);
    if (state !== this.state) {
      this.state = state;
      for (const listener of this.listeners) listener();
    }
    return effect;
  };
}

export function useUi(): { ui: UiState; store: UiStore } {
  const store = useMemo(() => new UiStore(), []);
  const ui = useSyncExternalStore(store.subscribe, () => store.current);
  return { ui, store };
}
