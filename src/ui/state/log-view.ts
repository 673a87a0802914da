// Where the full-screen log viewer stands: following the newest line or paused at one, wrapped or not,
// searching, a line it jumped to. Pure: an intent and the log give the next position, and at most one
// message for the operator.
import type { LogBuffer } from '../../model/log-buffer.js';
import type { Intent } from './keymap.js';

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

/** The lines a log viewer reads: a LogBuffer, seen without its writing side. */
export type ReadonlyLog = Pick<LogBuffer, 'length' | 'at' | 'find'>;

type Message = { text: string; level: 'info' } | null;

export interface LogStep {
  log: LogViewState;
  /** A message to show; null clears it; undefined leaves it. */
  message?: Message;
}

export function initialLogView(): LogViewState {
  return { follow: true, anchor: 0, wrap: false, search: null, searchInput: null, mark: null };
}

const MAX_SEARCH = 200;

export function reduceLogView(log: LogViewState, i: Intent, lines: ReadonlyLog, pageSize: number): LogStep {
  if (log.searchInput !== null) return typing(log, i, lines, pageSize);
  const last = Math.max(0, lines.length - 1);
  const bottom = log.follow ? last : Math.min(log.anchor, last);
  const page = Math.max(1, pageSize - 1);
  const at = (anchor: number, extra: Partial<LogViewState> = {}): LogStep => ({
    log: { ...log, follow: false, anchor: clamp(anchor, 0, last), ...extra },
  });
  switch (i.kind) {
    case 'follow-toggle':
      return log.follow ? at(bottom) : { log: { ...log, follow: true, mark: null } };
    case 'up':
      return at(bottom - 1);
    case 'down':
      return at(bottom + 1);
    case 'page-up':
      return at(bottom - page);
    case 'page-down':
      return at(bottom + page);
    case 'top':
      return at(Math.min(last, page));
    case 'bottom':
      return { log: { ...log, follow: true, mark: null } };
    case 'wrap':
      return { log: { ...log, wrap: !log.wrap } };
    case 'search-start':
      return { log: { ...log, searchInput: '' } };
    case 'find': {
      if (i.what === 'search' && !log.search)
        return { log, message: info('no search yet: press / to search') };
      const from = log.mark ?? (i.direction === 1 ? bottom - pageSize : bottom + 1);
      const found = find(lines, from, i.direction, i.what, log.search);
      if (found < 0) {
        const text = i.what === 'error' ? 'no more errors that way' : `no more matches for "${log.search}"`;
        return { log, message: info(text) };
      }
      return at(Math.max(found, Math.min(last, found + Math.floor(pageSize / 2))), { mark: found });
    }
    default:
      return { log };
  }
}

function typing(log: LogViewState, i: Intent, lines: ReadonlyLog, pageSize: number): LogStep {
  const typed = log.searchInput ?? '';
  switch (i.kind) {
    case 'cancel':
      return { log: { ...log, searchInput: null } };
    case 'erase':
      return { log: { ...log, searchInput: typed.slice(0, -1) } };
    case 'type':
      return { log: { ...log, searchInput: (typed + i.text).slice(0, MAX_SEARCH) } };
    case 'submit': {
      const search = typed.length > 0 ? typed : null;
      const next = { ...log, searchInput: null, search };
      if (!search) return { log: next };
      const found = find(lines, lines.length, -1, 'search', search);
      if (found < 0) return { log: next, message: info(`not found: "${search}"`) };
      const anchor = clamp(found + Math.floor(pageSize / 2), 0, Math.max(0, lines.length - 1));
      return { log: { ...next, follow: false, anchor, mark: found }, message: null };
    }
    default:
      return { log };
  }
}

/** The index of the next (+1) or previous (-1) line after `from` that matches; -1 when none. */
export function find(
  lines: ReadonlyLog,
  from: number,
  direction: 1 | -1,
  what: 'search' | 'error',
  search: string | null,
): number {
  const needle = search?.toLowerCase() ?? '';
  return lines.find(
    from,
    what === 'error'
      ? (e) => e.level === 'error'
      : (e) => needle !== '' && e.text.toLowerCase().includes(needle),
    direction,
  );
}

function info(text: string): Message {
  return { text, level: 'info' };
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
