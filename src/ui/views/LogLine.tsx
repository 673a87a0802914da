// A log line as one row: the time dimmed, errors red, warnings yellow.
import { Text } from 'ink';
import type { LogEntry } from '../../model/log-buffer.js';
import { clock, fit } from '../format.js';
import { color, dim } from '../theme.js';

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
