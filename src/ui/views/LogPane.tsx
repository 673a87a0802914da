// The log pane of the main screen: the newest lines of kubelet's journal or the selected pod's log.
import { Box, Text } from 'ink';
import type { LogEntry } from '../../model/log-buffer.js';
import { fit } from '../format.js';
import { LogLineText } from './LogLine.js';

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
