// Keys become intents here, before the state machine sees them: what a key means depends only on what
// is on screen (the mode). Pure; the one place to read to know what a key does, beside the help.
import type { ActionKind } from '../../procedures/catalog.js';

/** The subset of Ink's Key that is read (kept here so the state does not import Ink). */
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

export type KeyMode =
  | 'main'
  | 'logs'
  | 'view'
  | 'manifest'
  | 'certs'
  | 'search'
  | 'help'
  | 'confirm'
  | 'progress-running'
  | 'progress-done';

export type Intent =
  | { kind: 'quit' }
  | { kind: 'back' }
  | { kind: 'help' }
  | { kind: 'refresh' }
  | { kind: 'up' }
  | { kind: 'down' }
  | { kind: 'page-up' }
  | { kind: 'page-down' }
  | { kind: 'top' }
  | { kind: 'bottom' }
  | { kind: 'open-logs' }
  | { kind: 'open-journal' }
  | { kind: 'toggle-pane' }
  | { kind: 'open'; screen: 'manifest' | 'certs' | 'audit' }
  | { kind: 'action'; action: ActionKind }
  | { kind: 'confirm' }
  | { kind: 'cancel' }
  | { kind: 'stop-waiting' }
  | { kind: 'retry' }
  | { kind: 'rollback' }
  | { kind: 'new-restart' }
  | { kind: 'toggle-cordon' }
  | { kind: 'toggle-diff' }
  | { kind: 'close' }
  | { kind: 'follow-toggle' }
  | { kind: 'wrap' }
  | { kind: 'search-start' }
  | { kind: 'find'; what: 'search' | 'error'; direction: 1 | -1 }
  | { kind: 'next-source' }
  | { kind: 'other-pod'; delta: 1 | -1 }
  | { kind: 'type'; text: string }
  | { kind: 'erase' }
  | { kind: 'submit' };

const ACTION_KEYS: Record<string, ActionKind> = {
  d: 'disable',
  e: 'enable',
  r: 'restart-pod',
  x: 'stop-pod',
  K: 'restart-kubelet',
  R: 'restart-runtime',
  P: 'restart-control-plane',
  S: 'etcd-reclaim',
};

export function intentOf(mode: KeyMode, input: string, key: KeyPress): Intent | null {
  switch (mode) {
    case 'search':
      return searchIntent(input, key);
    case 'help':
      return key.escape || key.return || input === 'q' || input === '?' ? { kind: 'close' } : null;
    case 'confirm':
      if (input === 'y' || input === 'Y') return { kind: 'confirm' };
      if (input === 'u') return { kind: 'toggle-cordon' };
      return key.escape || input === 'n' || input === 'N' || input === 'q' ? { kind: 'cancel' } : null;
    case 'progress-running':
      // Stopping the waiting, never a change half-made: the procedure puts back what it took away.
      return input === 'c' ? { kind: 'stop-waiting' } : null;
    case 'progress-done':
      if (input === 'r') return { kind: 'retry' };
      if (input === 'b') return { kind: 'rollback' };
      if (input === 'n') return { kind: 'new-restart' };
      return key.escape || key.return || input === 'q' || input === 'l' ? { kind: 'close' } : null;
  }
  if (input === '?') return { kind: 'help' };
  switch (mode) {
    case 'main':
      return mainIntent(input, key);
    case 'logs':
      return logsIntent(input, key);
    default:
      return viewIntent(mode, input, key);
  }
}

function mainIntent(input: string, key: KeyPress): Intent | null {
  if (input === 'q') return { kind: 'quit' };
  if (key.upArrow || input === 'k') return { kind: 'up' };
  if (key.downArrow || input === 'j') return { kind: 'down' };
  if (key.home || input === 'g') return { kind: 'top' };
  if (key.end || input === 'G') return { kind: 'bottom' };
  if (key.tab) return { kind: 'toggle-pane' };
  if (key.return || input === 'l') return { kind: 'open-logs' };
  if (input === 'L') return { kind: 'open-journal' };
  if (input === 'm') return { kind: 'open', screen: 'manifest' };
  if (input === 'c') return { kind: 'open', screen: 'certs' };
  if (input === 'a') return { kind: 'open', screen: 'audit' };
  if (key.ctrl && input === 'r') return { kind: 'refresh' };
  const action = ACTION_KEYS[input];
  return action ? { kind: 'action', action } : null;
}

function logsIntent(input: string, key: KeyPress): Intent | null {
  if (key.escape || input === 'q') return { kind: 'back' };
  if (input === 'f' || input === ' ') return { kind: 'follow-toggle' };
  if (key.upArrow || input === 'k') return { kind: 'up' };
  if (key.downArrow || input === 'j') return { kind: 'down' };
  if (key.pageUp || (key.ctrl && input === 'b')) return { kind: 'page-up' };
  if (key.pageDown || (key.ctrl && input === 'f')) return { kind: 'page-down' };
  if (key.home || input === 'g') return { kind: 'top' };
  if (key.end || input === 'G') return { kind: 'bottom' };
  if (input === 'w') return { kind: 'wrap' };
  if (input === '/') return { kind: 'search-start' };
  if (input === 'n' || input === 'N')
    return { kind: 'find', what: 'search', direction: input === 'n' ? 1 : -1 };
  if (input === 'e' || input === 'E')
    return { kind: 'find', what: 'error', direction: input === 'e' ? 1 : -1 };
  if (key.tab) return { kind: 'next-source' };
  return null;
}

function viewIntent(mode: KeyMode, input: string, key: KeyPress): Intent | null {
  if (key.escape || input === 'q') return { kind: 'back' };
  if (key.upArrow || input === 'k') return { kind: 'up' };
  if (key.downArrow || input === 'j') return { kind: 'down' };
  if (key.pageUp) return { kind: 'page-up' };
  if (key.pageDown || input === ' ') return { kind: 'page-down' };
  if (key.home || input === 'g') return { kind: 'top' };
  if (key.end || input === 'G') return { kind: 'bottom' };
  if (mode === 'certs') return input === 'R' ? { kind: 'action', action: 'renew-certs' } : null;
  if (mode !== 'manifest') return null;
  // Other pods' manifests without going back: the selection moves.
  if (key.tab || input === 'J' || input === 'K')
    return { kind: 'other-pod', delta: input === 'K' || key.shift ? -1 : 1 };
  if (input === 'D') return { kind: 'toggle-diff' };
  if (input === 'R') return { kind: 'action', action: 'revert' };
  if (input === 'E') return { kind: 'action', action: 'edit' };
  return null;
}

function searchIntent(input: string, key: KeyPress): Intent | null {
  if (key.escape) return { kind: 'cancel' };
  if (key.return) return { kind: 'submit' };
  if (key.backspace || key.delete) return { kind: 'erase' };
  if (key.ctrl || key.tab || key.upArrow || key.downArrow) return null;
  // Printable characters only: a pasted escape sequence must not end up in the search.
  const printable = [...input].filter((ch) => ch >= ' ' && ch !== '\u007f').join('');
  return printable ? { kind: 'type', text: printable } : null;
}
