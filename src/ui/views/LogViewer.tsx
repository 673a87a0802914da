// The log viewer, full screen: a window that ends at the newest line (following) or at the line it was
// paused on, wrapped or cut, the search's matches underlined, the line it jumped to inverse.
import { Box, Text } from 'ink';
import type { LogBuffer, LogEntry } from '../../model/log-buffer.js';
import { clock, fit, wrapLine } from '../format.js';
import type { LogViewState } from '../state/log-view.js';
import { color, dim } from '../theme.js';
import { Title } from './Title.js';

export interface LogViewerProps {
  title: string;
  buffer: LogBuffer;
  view: LogViewState;
  width: number;
  height: number;
  note: string | null;
}

/** The window of lines to show: the bottom line is the newest (following) or the anchor. */
export function logWindow(
  buffer: LogBuffer,
  view: LogViewState,
  rows: number,
  width: number,
): { entry: LogEntry; text: string; index: number }[] {
  if (buffer.length === 0 || rows <= 0) return [];
  const bottom = view.follow ? buffer.length - 1 : Math.min(view.anchor, buffer.length - 1);
  const out: { entry: LogEntry; text: string; index: number }[] = [];
  for (let i = bottom; i >= 0 && out.length < rows; i--) {
    const entry = buffer.at(i)!;
    const time = entry.time ? `${clock(entry.time)} ` : '';
    const full = time + entry.text;
    const pieces = view.wrap ? wrapLine(full, width) : [full];
    for (let p = pieces.length - 1; p >= 0 && out.length < rows; p--)
      out.push({ entry, text: pieces[p]!, index: i });
  }
  return out.reverse();
}

export function LogViewer({ title, buffer, view, width, height, note }: LogViewerProps) {
  const rows = Math.max(1, height - 2);
  const lines = logWindow(buffer, view, rows, width);
  const status = [
    view.follow ? 'FOLLOW' : 'PAUSED',
    view.wrap ? 'wrap' : 'nowrap',
    view.search ? `/${view.search}` : null,
    `${buffer.length} lines${buffer.dropped > 0 ? ` (+${buffer.dropped} dropped)` : ''}`,
  ]
    .filter(Boolean)
    .join('  ');
  const search = view.search?.toLowerCase() ?? null;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title text={title} width={width} right={status} />
      {lines.length === 0 ? <Text {...dim()}>{note ?? 'no lines yet'}</Text> : null}
      {lines.map((l, i) => (
        <Text
          // biome-ignore lint/suspicious/noArrayIndexKey: wrapped pieces of one line share its seq.
          key={`${l.entry.seq}-${i}`}
          wrap="truncate-end"
          inverse={view.mark === l.index}
          color={color(l.entry.level === 'error' ? 'error' : l.entry.level === 'warning' ? 'warning' : null)}
          underline={search !== null && l.entry.text.toLowerCase().includes(search) && view.mark !== l.index}
        >
          {fit(l.text, width)}
        </Text>
      ))}
      <Box flexGrow={1} />
      {view.searchInput !== null ? (
        <Text wrap="truncate-end">/{view.searchInput}█</Text>
      ) : (
        <Text {...dim()} wrap="truncate-end">
          {fit(
            'f/space follow·pause  ↑↓ PgUp PgDn g G  / search  n N next·prev match  e E next·prev error  w wrap  tab source  esc back',
            width,
          )}
        </Text>
      )}
    </Box>
  );
}
