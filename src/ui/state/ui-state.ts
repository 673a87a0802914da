// Everything the screen is doing, in one state machine: which view, which pod is selected, where the log
// viewer stands, which dialog is open, and the change that runs and its progress. Pure: an event (an
// intent from a key, or news about the running change) and the current state give the next state and
// the effects for the app to carry out. Views render this state.
import type { ActionKind, ActionRequest } from '../../procedures/catalog.js';
import type { Outcome, ProcedureEvent } from '../../procedures/procedure.js';
import { type ActionProgress, reduceProgress, startedProgress } from './action-state.js';
import type { Intent, KeyMode } from './keymap.js';
import { clamp, initialLogView, type LogViewState, type ReadonlyLog, reduceLogView } from './log-view.js';

export type Screen = 'main' | 'logs' | 'manifest' | 'certs' | 'audit';

export type LogSource = { kind: 'journal' } | { kind: 'container'; podKey: string };

export type Overlay = { kind: 'help' } | { kind: 'confirm'; request: ActionRequest } | { kind: 'progress' };

/** The change that runs or ran last: what was asked, and how it goes (outcome null while it runs). */
export interface ActionState extends ActionProgress {
  request: ActionRequest;
}

export interface UiState {
  screen: Screen;
  overlay: Overlay | null;
  selected: number;
  logSource: LogSource;
  log: LogViewState;
  /** First line shown in the manifest, certificates and audit views. */
  scroll: number;
  /** The manifest view shows the diff from the last version its pod ran healthy on. */
  manifestDiff: boolean;
  message: { text: string; level: 'info' | 'warning' | 'error' } | null;
  /** The change that runs or ran last; its progress overlay shows it. */
  action: ActionState | null;
}

/** What the state machine needs to know about the node and the screen: plain data. */
export interface UiFacts {
  readOnly: boolean;
  /** The static pod rows in screen order: enabled true/false, or null (a broken file, a pod without manifest). */
  pods: { key: string; enabled: boolean | null }[];
  /** The log the viewer shows. */
  log: ReadonlyLog;
  logPageSize: number;
  /** Lines of the manifest/certs/audit view, for scrolling. */
  viewLength: number;
  viewPageSize: number;
  kubeletUnit: string;
  runtimeUnit: string | null;
  /** The last restart, when it did not finish (failed, interrupted): P shows it with retry / roll back. */
  unfinishedRestart: ActionProgress | null;
}

export type UiEvent =
  /** A key's meaning, with what the screen showed when it was pressed. */
  | { type: 'intent'; intent: Intent; facts: UiFacts }
  | {
      type: 'action-started';
      request: ActionRequest;
      title: string;
      podKey: string | null;
      at: number;
      resumable: boolean;
    }
  | { type: 'action-event'; event: ProcedureEvent; at: number }
  /** The pod the running step changes: its log is the one to watch. */
  | { type: 'action-pod'; podKey: string }
  | { type: 'action-finished'; outcome: Outcome }
  /** A restart runs while the screen opens: follow it. */
  | { type: 'attach' }
  /** Something to tell when the screen opens (how the last restart ended). */
  | { type: 'notice'; text: string; level: 'info' | 'warning' | 'error' };

export type Effect =
  | { kind: 'quit' }
  | { kind: 'run'; request: ActionRequest }
  | { kind: 'stop-waiting' }
  | { kind: 'refresh' }
  /** The terminal handed to a command that needs it (the editor of `breakglass edit`). */
  | { kind: 'handoff'; request: ActionRequest };

export interface Step {
  state: UiState;
  effect: Effect | null;
}

export function initialUiState(): UiState {
  return {
    screen: 'main',
    overlay: null,
    selected: 0,
    logSource: { kind: 'journal' },
    log: initialLogView(),
    scroll: 0,
    manifestDiff: false,
    message: null,
    action: null,
  };
}

const none = (state: UiState): Step => ({ state, effect: null });
const say = (state: UiState, text: string, level: 'info' | 'warning' | 'error' = 'info'): Step =>
  none({ ...state, message: { text, level } });

/** What the keys mean now. */
export function keyMode(state: UiState): KeyMode {
  if (state.log.searchInput !== null) return 'search';
  if (state.overlay?.kind === 'help') return 'help';
  if (state.overlay?.kind === 'confirm') return 'confirm';
  if (state.overlay?.kind === 'progress') return actionRunning(state) ? 'progress-running' : 'progress-done';
  if (state.screen === 'main') return 'main';
  if (state.screen === 'logs') return 'logs';
  return state.screen === 'manifest' ? 'manifest' : state.screen === 'certs' ? 'certs' : 'view';
}

/** Confirmed and not finished (also in the moment before the app reports it started). */
export function actionRunning(state: UiState): boolean {
  return state.overlay?.kind === 'progress' && (state.action === null || state.action.outcome === null);
}

export function reduceUi(state: UiState, event: UiEvent): Step {
  switch (event.type) {
    case 'intent':
      return intent(clampSelection(state, event.facts.pods.length), event.intent, event.facts);
    case 'action-started':
      return none({
        ...state,
        action: { request: event.request, ...startedProgress(event.title, event.at, event.resumable) },
        // The component's own log while it changes.
        logSource: event.podKey ? { kind: 'container', podKey: event.podKey } : { kind: 'journal' },
      });
    case 'action-event':
      return state.action
        ? none({
            ...state,
            action: { ...state.action, ...reduceProgress(state.action, event.event, event.at) },
          })
        : none(state);
    case 'action-pod':
      return none({ ...state, logSource: { kind: 'container', podKey: event.podKey } });
    case 'notice':
      return state.message ? none(state) : say(state, event.text, event.level);
    case 'attach':
      return {
        state: { ...state, overlay: { kind: 'progress' }, action: null, message: null },
        effect: { kind: 'run', request: { kind: 'attach-restart', target: '' } },
      };
    case 'action-finished':
      return none({
        ...state,
        action: state.action ? { ...state.action, outcome: event.outcome } : null,
        message: { text: event.outcome.text, level: event.outcome.ok ? 'info' : 'error' },
      });
  }
}

function intent(state: UiState, i: Intent, facts: UiFacts): Step {
  const mode = keyMode(state);
  switch (mode) {
    case 'search':
    case 'logs':
      return logIntent(state, i, facts);
    case 'help':
      return i.kind === 'close' ? none({ ...state, overlay: null }) : none(state);
    case 'progress-done':
      return progressDoneIntent(state, i, facts);
    case 'confirm':
      return confirmIntent(state, i);
    case 'progress-running':
      return i.kind === 'stop-waiting' ? { state, effect: { kind: 'stop-waiting' } } : none(state);
    case 'main':
      return mainIntent(state, i, facts);
    default:
      return viewIntent(state, i, facts);
  }
}

/** A restart that failed: retry it from the failed step, roll back what ran, start anew, or leave it. */
function progressDoneIntent(state: UiState, i: Intent, facts: UiFacts): Step {
  if (i.kind === 'close') return none({ ...state, overlay: null });
  const failed = state.action?.resumable && state.action.outcome && !state.action.outcome.ok;
  if (!failed || (i.kind !== 'retry' && i.kind !== 'rollback' && i.kind !== 'new-restart'))
    return none(state);
  if (facts.readOnly) return say(state, 'read-only: breakglass was started with --read-only', 'warning');
  const kind =
    i.kind === 'retry'
      ? 'resume-restart'
      : i.kind === 'rollback'
        ? 'rollback-restart'
        : 'restart-control-plane';
  return ask(state, { kind, target: '' });
}

function confirmIntent(state: UiState, i: Intent): Step {
  if (state.overlay?.kind !== 'confirm') return none(state);
  const request = state.overlay.request;
  if (i.kind === 'confirm')
    return {
      state: { ...state, overlay: { kind: 'progress' }, action: null, message: null },
      effect: { kind: 'run', request },
    };
  if (i.kind === 'cancel') return say({ ...state, overlay: null }, 'cancelled: nothing was changed');
  // The control-plane restart offers (never requires) the node cordoned for its time.
  if (i.kind === 'toggle-cordon' && request.kind === 'restart-control-plane') {
    const target = request.target === 'cordon' ? '' : 'cordon';
    return none({ ...state, overlay: { kind: 'confirm', request: { ...request, target } } });
  }
  return none(state);
}

function mainIntent(state: UiState, i: Intent, facts: UiFacts): Step {
  const count = facts.pods.length;
  const selectedKey = facts.pods[Math.min(state.selected, count - 1)]?.key ?? null;
  switch (i.kind) {
    case 'help':
      return none({ ...state, overlay: { kind: 'help' }, message: null });
    case 'quit':
      return { state, effect: { kind: 'quit' } };
    case 'refresh':
      return { state, effect: { kind: 'refresh' } };
    case 'up':
      return none({ ...state, selected: Math.max(0, state.selected - 1), message: null });
    case 'down':
      return none({
        ...state,
        selected: Math.max(0, Math.min(count - 1, state.selected + 1)),
        message: null,
      });
    case 'top':
      return none({ ...state, selected: 0 });
    case 'bottom':
      return none({ ...state, selected: Math.max(0, count - 1) });
    case 'toggle-pane': {
      const logSource: LogSource =
        state.logSource.kind === 'journal' && selectedKey
          ? { kind: 'container', podKey: selectedKey }
          : { kind: 'journal' };
      return none({ ...state, logSource, log: initialLogView() });
    }
    case 'open-logs': {
      const logSource: LogSource = selectedKey
        ? { kind: 'container', podKey: selectedKey }
        : { kind: 'journal' };
      return none({ ...state, screen: 'logs', logSource, log: initialLogView(), message: null });
    }
    case 'open-journal':
      return none({ ...state, screen: 'logs', logSource: { kind: 'journal' }, log: initialLogView() });
    case 'open':
      return none({ ...state, screen: i.screen, scroll: 0, message: null });
    case 'action':
      return actionIntent(state, i.action, selectedKey, facts);
    default:
      return none(state);
  }
}

function actionIntent(state: UiState, action: ActionKind, selectedKey: string | null, facts: UiFacts): Step {
  if (facts.readOnly) return say(state, 'read-only: breakglass was started with --read-only', 'warning');
  if (action === 'restart-kubelet') return ask(state, { kind: action, target: facts.kubeletUnit });
  if (action === 'etcd-reclaim') return ask(state, { kind: action, target: '' });
  if (action === 'restart-control-plane') {
    // The last restart did not finish: show it first, with its way out (retry, roll back, leave).
    if (facts.unfinishedRestart) {
      const request: ActionRequest = { kind: 'attach-restart', target: '' };
      return none({
        ...state,
        overlay: { kind: 'progress' },
        action: { request, ...facts.unfinishedRestart },
      });
    }
    return ask(state, { kind: action, target: '' });
  }
  if (action === 'restart-runtime') {
    if (!facts.runtimeUnit)
      return say(state, "the runtime's systemd unit is not known on this node", 'warning');
    return ask(state, { kind: action, target: facts.runtimeUnit });
  }
  if (!selectedKey) return say(state, 'no static pod selected', 'warning');
  const enabled = facts.pods.find((p) => p.key === selectedKey)?.enabled ?? null;
  if (enabled === null && selectedKey.startsWith('url:'))
    return say(
      state,
      "this pod comes from kubelet's URL (staticPodURL): change it where that URL serves it",
      'warning',
    );
  if (enabled === null)
    return say(
      state,
      'this row is not a static pod breakglass can move (see the manifest view: m)',
      'warning',
    );
  if (action === 'disable' && !enabled) return say(state, 'already disabled: press e to enable it');
  if (action === 'enable' && enabled) return say(state, 'already enabled: press d to disable it');
  if (action === 'restart-pod' && !enabled)
    return say(state, 'disabled pods do not run: press e to enable it');
  return ask(state, { kind: action, target: selectedKey });
}

function ask(state: UiState, request: ActionRequest): Step {
  return none({ ...state, overlay: { kind: 'confirm', request }, message: null });
}

function logIntent(state: UiState, i: Intent, facts: UiFacts): Step {
  if (i.kind === 'help') return none({ ...state, overlay: { kind: 'help' }, message: null });
  if (i.kind === 'back') return none({ ...state, screen: 'main', log: { ...state.log, searchInput: null } });
  if (i.kind === 'next-source')
    return none({
      ...state,
      logSource: nextLogSource(
        state.logSource,
        facts.pods.map((p) => p.key),
      ),
      log: initialLogView(),
    });
  const { log, message } = reduceLogView(state.log, i, facts.log, facts.logPageSize);
  return none({ ...state, log, message: message === undefined ? state.message : message });
}

function viewIntent(state: UiState, i: Intent, facts: UiFacts): Step {
  const max = Math.max(0, facts.viewLength - facts.viewPageSize);
  const page = Math.max(1, facts.viewPageSize - 1);
  const to = (scroll: number) => none({ ...state, scroll: clamp(scroll, 0, max) });
  switch (i.kind) {
    case 'help':
      return none({ ...state, overlay: { kind: 'help' }, message: null });
    case 'back':
      return none({ ...state, screen: 'main', scroll: 0, manifestDiff: false });
    case 'toggle-diff':
      return none({ ...state, manifestDiff: !state.manifestDiff, scroll: 0 });
    case 'action':
      if (i.action === 'renew-certs') {
        if (facts.readOnly)
          return say(state, 'read-only: breakglass was started with --read-only', 'warning');
        return ask(state, { kind: 'renew-certs', target: '' });
      }
      return manifestAction(state, i.action, facts);
    case 'up':
      return to(state.scroll - 1);
    case 'down':
      return to(state.scroll + 1);
    case 'page-up':
      return to(state.scroll - page);
    case 'page-down':
      return to(state.scroll + page);
    case 'top':
      return to(0);
    case 'bottom':
      return to(max);
    case 'other-pod': {
      const count = facts.pods.length;
      if (count === 0) return none(state);
      return none({ ...state, selected: (state.selected + i.delta + count) % count, scroll: 0 });
    }
    default:
      return none(state);
  }
}

/** The manifest view's own actions on the pod it shows: revert it, or edit it. */
function manifestAction(state: UiState, action: ActionKind, facts: UiFacts): Step {
  if (facts.readOnly) return say(state, 'read-only: breakglass was started with --read-only', 'warning');
  const pod = facts.pods[Math.min(state.selected, facts.pods.length - 1)];
  if (pod?.enabled !== true) return say(state, 'only an enabled manifest is reverted or edited', 'warning');
  if (action === 'edit')
    return { state, effect: { kind: 'handoff', request: { kind: 'edit', target: pod.key } } };
  return action === 'revert' ? ask(state, { kind: 'revert', target: pod.key }) : none(state);
}

/** The journal, then each static pod's containers, and round again. */
export function nextLogSource(current: LogSource, podKeys: string[]): LogSource {
  if (current.kind === 'journal') return podKeys[0] ? { kind: 'container', podKey: podKeys[0] } : current;
  const i = podKeys.indexOf(current.podKey);
  const next = podKeys[i + 1];
  return next ? { kind: 'container', podKey: next } : { kind: 'journal' };
}

/** After the rows change (a pod appeared or went), keep the selection inside them. */
export function clampSelection(state: UiState, rowCount: number): UiState {
  const selected = clamp(state.selected, 0, Math.max(0, rowCount - 1));
  return selected === state.selected ? state : { ...state, selected };
}
