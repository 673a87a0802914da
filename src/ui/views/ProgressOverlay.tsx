// A change as it runs: every step of its plan with its state and elapsed time (the gate is in its
// text), the newest progress lines, the evidence of a step that failed, the outcome, and the live log of
// the component it changes. A restart that failed offers its way out: retry, roll back, or leave it.
import { Box, Text } from 'ink';
import type { LogEntry } from '../../model/log-buffer.js';
import { sanitizeLine } from '../../util/sanitize.js';
import { duration, fit } from '../format.js';
import type { StepRow } from '../state/action-state.js';
import type { ActionState } from '../state/ui-state.js';
import { color } from '../theme.js';
import { LogLineText } from './LogLine.js';
import { Title } from './Title.js';

const ICON: Record<StepRow['state'], string> = {
  pending: '·',
  running: '▶',
  done: '✓',
  failed: '✗',
  skipped: '↷',
};

export function ProgressOverlay({
  action,
  now,
  liveTitle,
  liveLines,
  width,
  height,
}: {
  action: ActionState | null;
  now: number;
  liveTitle: string;
  liveLines: LogEntry[];
  width: number;
  height: number;
}) {
  const outcome = action?.outcome ?? null;
  const done = outcome !== null;
  const startedAt = action?.startedAt ?? now;
  const spinner = '|/-\\'[Math.floor(now / 250) % 4];
  const steps = action?.steps ?? [];
  const evidence = outcome && !outcome.ok ? (action?.evidence ?? []).slice(0, 8) : [];
  const fixed = 6 + steps.length + evidence.length + (outcome ? 1 : 0);
  const lineRows = Math.max(2, Math.floor((height - fixed) / 2));
  const liveRows = Math.max(1, height - fixed - lineRows);
  const failed = done && !outcome.ok;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title
        text={action?.title ?? 'starting…'}
        width={width}
        right={done ? `ended after ${duration(now - startedAt)}` : `${spinner} ${duration(now - startedAt)}`}
      />
      {steps.map((s, i) => (
        <Text key={s.id + String(i)} wrap="truncate-end" color={stepColor(s)} bold={s.state === 'running'}>
          {fit(
            `${s.state === 'running' ? spinner : ICON[s.state]} ${i + 1}. ${stepTime(s, now)}  ${sanitizeLine(s.text)}`,
            width,
          )}
        </Text>
      ))}
      {(action?.lines ?? []).slice(-lineRows).map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: progress lines are positional.
        <Text key={i} dimColor wrap="truncate-end">
          {fit(`  ${sanitizeLine(l)}`, width)}
        </Text>
      ))}
      {outcome ? (
        <Text color={color(outcome.ok ? 'ok' : 'error')} bold wrap="truncate-end">
          {fit(`${outcome.ok ? '✓ ' : '✗ '}${sanitizeLine(outcome.text)}`, width)}
        </Text>
      ) : null}
      {evidence.map((e, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: evidence lines are positional.
        <Text key={`e${i}`} color={color('error')} wrap="truncate-end">
          {fit(`    ${sanitizeLine(e)}`, width)}
        </Text>
      ))}
      <Title text={liveTitle} width={width} />
      {liveLines.slice(-liveRows).map((l) => (
        <LogLineText key={l.seq} line={l} width={width} />
      ))}
      <Box flexGrow={1} />
      <Text bold>
        {!done
          ? 'c: stop waiting (what it took away is put back; the change is never left half-done)'
          : failed && action?.resumable
            ? 'r: retry from the failed step   b: roll back what ran   n: a new restart   esc: leave it as it is'
            : 'esc / enter: close'}
      </Text>
    </Box>
  );
}

function stepColor(s: StepRow): string | undefined {
  if (s.state === 'done') return color('ok');
  if (s.state === 'failed') return color('error');
  return undefined;
}

function stepTime(s: StepRow, now: number): string {
  if (s.startedAt === null) return '     ';
  return duration((s.endedAt ?? now) - s.startedAt).padStart(5);
}
