// Carries out a confirmed change: its procedure run by a child breakglass (src/procedures/child.ts), each
// event the child reports dispatched into the UI state as progress, the outcome at the end; the store is
// told to look again at the node. Nothing here touches the node itself.
import { type ActionRequest, planAction } from '../procedures/catalog.js';
import { type ChildCommand, runInChild } from '../procedures/child.js';
import type { Outcome, ProcedureEvent } from '../procedures/procedure.js';
import type { NodeStore } from '../store/store.js';
import { sanitizeLine } from '../util/sanitize.js';
import type { UiEvent } from './state/ui-state.js';

export interface ActionRunner {
  run(request: ActionRequest): void;
  stopWaiting(): void;
}

export function actionRunner(
  store: NodeStore,
  child: ChildCommand,
  dispatch: (event: UiEvent) => void,
): ActionRunner {
  let cancel: (() => void) | null = null;
  return {
    run(request) {
      const planned = planAction(request, store.snapshot);
      const at = Date.now();
      if (!planned) {
        dispatch({ type: 'action-started', request, title: request.kind, podKey: null, at });
        finish(dispatch, store, {
          ok: false,
          text: 'that static pod is gone from the screen (the directory changed); nothing was done',
        });
        return;
      }
      dispatch({ type: 'action-started', request, title: planned.plan.title, podKey: planned.podKey, at });
      const running = runInChild(child, planned.args, (event) => {
        const text = progressText(event);
        if (text) dispatch({ type: 'action-progress', text: `${clock()} ${text}` });
      });
      cancel = running.cancel;
      void running.done.then((outcome) => {
        cancel = null;
        finish(dispatch, store, outcome);
      });
    },
    stopWaiting() {
      cancel?.();
    },
  };
}

function finish(dispatch: (event: UiEvent) => void, store: NodeStore, outcome: Outcome): void {
  dispatch({ type: 'action-finished', outcome: { ok: outcome.ok, text: outcome.text } });
  store.refresh();
}

function progressText(event: ProcedureEvent): string | null {
  switch (event.event) {
    case 'step':
      return `${event.index + 1}. ${sanitizeLine(event.text)}`;
    case 'progress':
      return `   ${sanitizeLine(event.text)}`;
    case 'step-done':
      return event.ok ? null : `   ✗ ${sanitizeLine(event.text ?? 'failed')}`;
    case 'plan':
    case 'started':
      return null;
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
