// What the screen is doing: which view, which pod is selected, where the log viewer stands, which dialog
// is open. Pure: a key and the current state give the next state and at most one effect for the app to
// carry out (an action on the node, quitting). Views render this state; only src/ui/keys.ts feeds it keys.

export type Screen = 'main' | 'logs' | 'manifest' | 'certs' | 'audit';

export type ActionKind =
  | 'disable'
  | 'enable'
  | 'restart-pod'
  | 'stop-pod'
  | 'restart-kubelet'
  | 'restart-runtime';

export interface ActionRequest {
  kind: ActionKind;
  /** The static pod's key (see PodRow.key) for pod actions; the unit name for unit actions. */
  target: string;
}

export type LogSource = { kind: 'journal' } | { kind: 'container'; podKey: string };

export interface LogViewState {
  /** Stick to the newest line. */
  follow: boolean;
  /** Index of the newest line shown when not following (the bottom of the window). */
  anchor: number;
  wrap: boolean;
  /** The active search, matched case-insensitively. */
  search: string | null;
  /** What is being typed after '/', or null when not typing. */
  searchInput: string | null;
  /** A line the viewer jumped to (search match, next error), highlighted. */
  mark: number | null;
}

export type Overlay =
  | { kind: 'help' }
  | { kind: 'confirm'; request: ActionRequest }
  | { kind: 'progress'; request: ActionRequest; done: boolean };

export interface UiState {
  screen: Screen;
  overlay: Overlay | null;
  selected: number;
  logSource: LogSource;
  log: LogViewState;
  /** First line shown in the manifest, certificates and audit views. */
  scroll: number;
  message: { text: string; level: 'info' | 'warning' | 'error' } | null;
}

/** The subset of Ink's Key the model reads (kept here so the model does not import Ink). */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

/** What the app knows that the keys depend on. */
export interface KeyContext {
  readOnly: boolean;
  /** Keys of the static pod rows, in screen order. */
  podKeys: string[];
  /** Whether the row can be acted on: enabled or disabled, or null (a broken file, a pod without manifest). */
  podEnabled: (key: string) => boolean | null;
  /** Lines in the log the viewer shows. */
  logLength: number;
  /** Lines the log viewer shows at once. */
  logPageSize: number;
  /** Index of the next (+1) or previous (-1) line matching the search or being an error, or -1. */
  findInLog: (from: number, direction: 1 | -1, what: 'search' | 'error', search: string | null) => number;
  /** Lines of the manifest/certs/audit view, for scrolling. */
  viewLength: number;
  viewPageSize: number;
  kubeletUnit: string;
  runtimeUnit: string | null;
  /** An action is still running: its progress cannot be dismissed. */
  actionRunning: boolean;
}

export type Effect =
  | { kind: 'quit' }
  | { kind: 'run'; request: ActionRequest }
  | { kind: 'cancel-action' }
  | { kind: 'refresh' };

export interface KeyResult {
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
    message: null,
  };
}

function initialLogView(): LogViewState {
  return { follow: true, anchor: 0, wrap: false, search: null, searchInput: null, mark: null };
}

const none = (state: UiState): KeyResult => ({ state, effect: null });

export function handleKey(state: UiState, input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  // Typing a search takes every key until enter or esc.
  if (state.log.searchInput !== null) return typeSearch(state, input, key, ctx);
  if (state.overlay) return overlayKey(state, state.overlay, input, key, ctx);
  if (input === '?') return none({ ...state, overlay: { kind: 'help' }, message: null });
  switch (state.screen) {
    case 'main':
      return mainKey(state, input, key, ctx);
    case 'logs':
      return logsKey(state, input, key, ctx);
    default:
      return scrollViewKey(state, input, key, ctx);
  }
}

function overlayKey(
  state: UiState,
  overlay: Overlay,
  input: string,
  key: KeyPress,
  ctx: KeyContext,
): KeyResult {
  switch (overlay.kind) {
    case 'help':
      if (key.escape || key.return || input === 'q' || input === '?')
        return none({ ...state, overlay: null });
      return none(state);
    case 'confirm':
      if (input === 'y' || input === 'Y') {
        return {
          state: {
            ...state,
            overlay: { kind: 'progress', request: overlay.request, done: false },
            message: null,
          },
          effect: { kind: 'run', request: overlay.request },
        };
      }
      if (key.escape || input === 'n' || input === 'N' || input === 'q') {
        return none({
          ...state,
          overlay: null,
          message: { text: 'cancelled: nothing was changed', level: 'info' },
        });
      }
      return none(state);
    case 'progress':
      if (ctx.actionRunning) {
        // Cancelling stops the waiting, never a change half-made: the ops layer finishes or rolls back the move.
        if (input === 'c' || (key.ctrl && input === 'c')) return { state, effect: { kind: 'cancel-action' } };
        return none(state);
      }
      if (key.escape || key.return || input === 'q') return none({ ...state, overlay: null });
      return none(state);
  }
}

function mainKey(state: UiState, input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  const count = ctx.podKeys.length;
  const selectedKey = ctx.podKeys[Math.min(state.selected, count - 1)] ?? null;
  if (input === 'q') return { state, effect: { kind: 'quit' } };
  if (key.upArrow || input === 'k')
    return none({ ...state, selected: Math.max(0, state.selected - 1), message: null });
  if (key.downArrow || input === 'j') {
    return none({ ...state, selected: Math.max(0, Math.min(count - 1, state.selected + 1)), message: null });
  }
  if (key.home || input === 'g') return none({ ...state, selected: 0 });
  if (key.end || input === 'G') return none({ ...state, selected: Math.max(0, count - 1) });
  if (key.tab) {
    const logSource: LogSource =
      state.logSource.kind === 'journal' && selectedKey
        ? { kind: 'container', podKey: selectedKey }
        : { kind: 'journal' };
    return none({ ...state, logSource, log: initialLogView() });
  }
  if (key.return || input === 'l') {
    const logSource: LogSource = selectedKey
      ? { kind: 'container', podKey: selectedKey }
      : { kind: 'journal' };
    return none({ ...state, screen: 'logs', logSource, log: initialLogView(), message: null });
  }
  if (input === 'L')
    return none({ ...state, screen: 'logs', logSource: { kind: 'journal' }, log: initialLogView() });
  if (input === 'm') return none({ ...state, screen: 'manifest', scroll: 0, message: null });
  if (input === 'c') return none({ ...state, screen: 'certs', scroll: 0, message: null });
  if (input === 'a') return none({ ...state, screen: 'audit', scroll: 0, message: null });
  if (key.ctrl && input === 'r') return { state, effect: { kind: 'refresh' } };

  const action = actionForKey(input);
  if (!action) return none(state);
  if (ctx.readOnly) {
    return none({
      ...state,
      message: { text: 'read-only: breakglass was started with --read-only', level: 'warning' },
    });
  }
  if (action === 'restart-kubelet') return confirm(state, { kind: action, target: ctx.kubeletUnit });
  if (action === 'restart-runtime') {
    if (!ctx.runtimeUnit) {
      return none({
        ...state,
        message: { text: "the runtime's systemd unit is not known on this node", level: 'warning' },
      });
    }
    return confirm(state, { kind: action, target: ctx.runtimeUnit });
  }
  if (!selectedKey) return none({ ...state, message: { text: 'no static pod selected', level: 'warning' } });
  const enabled = ctx.podEnabled(selectedKey);
  if (enabled === null) {
    return none({
      ...state,
      message: {
        text: 'this row is not a static pod breakglass can move (see the manifest view: m)',
        level: 'warning',
      },
    });
  }
  if (action === 'disable' && !enabled) {
    return none({ ...state, message: { text: 'already disabled: press e to enable it', level: 'info' } });
  }
  if (action === 'enable' && enabled) {
    return none({ ...state, message: { text: 'already enabled: press d to disable it', level: 'info' } });
  }
  if (action === 'restart-pod' && !enabled) {
    return none({
      ...state,
      message: { text: 'disabled pods do not run: press e to enable it', level: 'info' },
    });
  }
  return confirm(state, { kind: action, target: selectedKey });
}

function actionForKey(input: string): ActionKind | null {
  switch (input) {
    case 'd':
      return 'disable';
    case 'e':
      return 'enable';
    case 'r':
      return 'restart-pod';
    case 'x':
      return 'stop-pod';
    case 'K':
      return 'restart-kubelet';
    case 'R':
      return 'restart-runtime';
    default:
      return null;
  }
}

function confirm(state: UiState, request: ActionRequest): KeyResult {
  return none({ ...state, overlay: { kind: 'confirm', request }, message: null });
}

function logsKey(state: UiState, input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  const log = state.log;
  const last = Math.max(0, ctx.logLength - 1);
  const bottom = log.follow ? last : Math.min(log.anchor, last);
  const page = Math.max(1, ctx.logPageSize - 1);
  const at = (anchor: number, extra: Partial<LogViewState> = {}): KeyResult =>
    none({ ...state, log: { ...log, follow: false, anchor: clamp(anchor, 0, last), ...extra } });

  if (key.escape || input === 'q')
    return none({ ...state, screen: 'main', log: { ...log, searchInput: null } });
  if (input === 'f' || input === ' ') {
    return log.follow ? at(bottom) : none({ ...state, log: { ...log, follow: true, mark: null } });
  }
  if (key.upArrow || input === 'k') return at(bottom - 1);
  if (key.downArrow || input === 'j') return at(bottom + 1);
  if (key.pageUp || (key.ctrl && input === 'b')) return at(bottom - page);
  if (key.pageDown || (key.ctrl && input === 'f')) return at(bottom + page);
  if (key.home || input === 'g') return at(Math.min(last, page));
  if (key.end || input === 'G') return none({ ...state, log: { ...log, follow: true, mark: null } });
  if (input === 'w') return none({ ...state, log: { ...log, wrap: !log.wrap } });
  if (input === '/') return none({ ...state, log: { ...log, searchInput: '' } });
  if (input === 'n' || input === 'N' || input === 'e' || input === 'E') {
    const what = input.toLowerCase() === 'n' ? 'search' : 'error';
    if (what === 'search' && !log.search) {
      return none({ ...state, message: { text: 'no search yet: press / to search', level: 'info' } });
    }
    const direction = input === 'n' || input === 'e' ? 1 : -1;
    const from = log.mark ?? (direction === 1 ? bottom - ctx.logPageSize : bottom + 1);
    const found = ctx.findInLog(from, direction, what, log.search);
    if (found < 0) {
      const text = what === 'error' ? 'no more errors that way' : `no more matches for "${log.search}"`;
      return none({ ...state, message: { text, level: 'info' } });
    }
    return at(Math.max(found, Math.min(last, found + Math.floor(ctx.logPageSize / 2))), { mark: found });
  }
  if (key.tab)
    return none({ ...state, logSource: nextLogSource(state.logSource, ctx.podKeys), log: initialLogView() });
  return none(state);
}

/** The journal, then each static pod's containers, and round again. */
export function nextLogSource(current: LogSource, podKeys: string[]): LogSource {
  if (current.kind === 'journal') return podKeys[0] ? { kind: 'container', podKey: podKeys[0] } : current;
  const i = podKeys.indexOf(current.podKey);
  const next = podKeys[i + 1];
  return next ? { kind: 'container', podKey: next } : { kind: 'journal' };
}

function typeSearch(state: UiState, input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  const typed = state.log.searchInput ?? '';
  if (key.escape) return none({ ...state, log: { ...state.log, searchInput: null } });
  if (key.return) {
    const search = typed.length > 0 ? typed : null;
    const log = { ...state.log, searchInput: null, search };
    if (!search) return none({ ...state, log });
    const last = Math.max(0, ctx.logLength - 1);
    const found = ctx.findInLog(ctx.logLength, -1, 'search', search);
    if (found < 0) return none({ ...state, log, message: { text: `not found: "${search}"`, level: 'info' } });
    const anchor = clamp(found + Math.floor(ctx.logPageSize / 2), 0, last);
    return none({ ...state, log: { ...log, follow: false, anchor, mark: found }, message: null });
  }
  if (key.backspace || key.delete)
    return none({ ...state, log: { ...state.log, searchInput: typed.slice(0, -1) } });
  if (key.ctrl || key.tab || key.upArrow || key.downArrow) return none(state);
  // Printable characters only: a pasted escape sequence must not end up in the search.
  const printable = [...input].filter((ch) => ch >= ' ' && ch !== '\u007f').join('');
  return none({ ...state, log: { ...state.log, searchInput: (typed + printable).slice(0, 200) } });
}

function scrollViewKey(state: UiState, input: string, key: KeyPress, ctx: KeyContext): KeyResult {
  const max = Math.max(0, ctx.viewLength - ctx.viewPageSize);
  const page = Math.max(1, ctx.viewPageSize - 1);
  const to = (scroll: number) => none({ ...state, scroll: clamp(scroll, 0, max) });
  if (key.escape || input === 'q') return none({ ...state, screen: 'main', scroll: 0 });
  if (key.upArrow || input === 'k') return to(state.scroll - 1);
  if (key.downArrow || input === 'j') return to(state.scroll + 1);
  if (key.pageUp) return to(state.scroll - page);
  if (key.pageDown || input === ' ') return to(state.scroll + page);
  if (key.home || input === 'g') return to(0);
  if (key.end || input === 'G') return to(max);
  if (state.screen === 'manifest' && (key.tab || input === 'J' || input === 'K')) {
    // Other pods' manifests without going back: move the selection.
    const delta = input === 'K' || key.shift ? -1 : 1;
    const count = ctx.podKeys.length;
    if (count === 0) return none(state);
    return none({ ...state, selected: (state.selected + delta + count) % count, scroll: 0 });
  }
  return none(state);
}

/** After the rows change (a pod appeared or went), keep the selection inside them. */
export function clampSelection(state: UiState, rowCount: number): UiState {
  const selected = clamp(state.selected, 0, Math.max(0, rowCount - 1));
  return selected === state.selected ? state : { ...state, selected };
}

/** The app reports an action's end: the progress overlay stays, marked done, until dismissed. */
export function actionFinished(state: UiState, outcome: { ok: boolean; text: string }): UiState {
  const overlay = state.overlay?.kind === 'progress' ? { ...state.overlay, done: true } : state.overlay;
  return { ...state, overlay, message: { text: outcome.text, level: outcome.ok ? 'info' : 'error' } };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
