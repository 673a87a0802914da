// Carries out a confirmed change: its procedure run by a child breakglass (src/procedures/child.ts), each
// event the child reports dispatched into the UI state, the log pane moved to the pod the running step
// restarts, the outcome at the end; the store is told to look again at the node. Nothing here touches
// the node itself. A restart's child only follows the detached run: closing the screen stops nothing.

import { nodeModel } from '../model/node.js';
import { type ActionRequest, planAction } from '../procedures/catalog.js';
import { type ChildCommand, runInChild } from '../procedures/child.js';
import type { Outcome } from '../procedures/procedure.js';
import type { NodeStore } from '../store/store.js';
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
        dispatch({
          type: 'action-started',
          request,
          title: request.kind,
          podKey: null,
          at,
          resumable: false,
        });
        finish(dispatch, store, {
          ok: false,
          text: 'what this was about is gone from the screen (the node changed); nothing was done',
        });
        return;
      }
      dispatch({
        type: 'action-started',
        request,
        title: planned.plan.title,
        podKey: planned.podKey,
        at,
        resumable: planned.resumable === true,
      });
      const running = runInChild(child, planned.args, (event) => {
        dispatch({ type: 'action-event', event, at: Date.now() });
        if (event.event === 'step' && event.id.startsWith('restart:')) {
          const name = event.id.slice('restart:'.length);
          // Its key stays when its manifest is out (a move restart may have taken it by now).
          const pods = nodeModel(store.snapshot).pods.filter((p) => p.name === name && p.fileName);
          const pod = pods.find((p) => p.enabled) ?? pods[0];
          if (pod) dispatch({ type: 'action-pod', podKey: pod.key });
        }
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
