// A log line as one row (time dimmed, errors red, warnings yellow), and the log pane of the main screen.
import { Box, Text } from 'ink';
import type { LogEntry } from '../../model/log-buffer.js';
import { clock, fit } from '../format.js';
import { color, dim } from '../theme.js';

export function LogPane({
  title,
  lines,
  width,
  height,
}: {
  title: string;
  lines: LogEntry[];
  width: number;
  height: number;
}) {
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {fit(`── ${title} `, width).padEnd(width, '─')}
      </Text>
      {lines.slice(-height).map((line) => (
        <LogLineText key={line.seq} line={line} width={width} />
      ))}
    </Box>
  );
}

export function LogLineText({
  line,
  width,
  highlight,
}: {
  line: LogEntry;
  width: number;
  highlight?: boolean;
}) {
  const time = line.time ? `${clock(line.time)} ` : '';
  return (
    <Text
      wrap="truncate-end"
      inverse={highlight}
      color={color(line.level === 'error' ? 'error' : line.level === 'warning' ? 'warning' : null)}
    >
      <Text {...dim()}>{time}</Text>
      {fit(line.text, Math.max(1, width - time.length))}
    </Text>
  );
}
