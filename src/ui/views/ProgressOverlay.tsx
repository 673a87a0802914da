// A change as it runs: its progress lines, the elapsed time, the outcome, and the live log of the
// component it changes.
import { Box, Text } from 'ink';
import type { LogEntry } from '../../model/log-buffer.js';
import { duration, fit } from '../format.js';
import { color } from '../theme.js';
import { LogLineText } from './LogLine.js';
import { Title } from './Title.js';

export function ProgressOverlay({
  title,
  steps,
  done,
  outcome,
  startedAt,
  now,
  liveTitle,
  liveLines,
  width,
  height,
}: {
  title: string;
  steps: string[];
  done: boolean;
  outcome: { ok: boolean; text: string } | null;
  startedAt: number;
  now: number;
  liveTitle: string;
  liveLines: LogEntry[];
  width: number;
  height: number;
}) {
  const spinner = '|/-\\'[Math.floor(now / 250) % 4];
  const stepRows = Math.max(3, Math.floor((height - 6) / 2));
  const liveRows = Math.max(1, height - stepRows - 6);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title
        text={title}
        width={width}
        right={done ? `finished in ${duration(now - startedAt)}` : `${spinner} ${duration(now - startedAt)}`}
      />
      {steps.slice(-stepRows).map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: steps are positional.
        <Text key={i} wrap="truncate-end">
          {fit(`  ${s}`, width)}
        </Text>
      ))}
      {outcome ? (
        <Text color={color(outcome.ok ? 'ok' : 'error')} bold wrap="wrap">
          {outcome.ok ? '✓ ' : '✗ '}
          {outcome.text}
        </Text>
      ) : null}
      <Title text={liveTitle} width={width} />
      {liveLines.slice(-liveRows).map((l) => (
        <LogLineText key={l.seq} line={l} width={width} />
      ))}
      <Box flexGrow={1} />
      <Text bold>
        {done ? 'esc / enter: close' : 'c: stop waiting (the change itself is never left half-done)'}
      </Text>
    </Box>
  );
}
