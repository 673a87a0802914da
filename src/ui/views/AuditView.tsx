// The audit log, newest last: who changed what, and how it ended.
import { Box, Text } from 'ink';
import type { AuditLine } from '../../model/audit.js';
import { fit, pad } from '../format.js';
import { color, dim } from '../theme.js';
import { Title } from './Title.js';

export function AuditView({
  lines,
  error,
  scroll,
  width,
  height,
}: {
  lines: AuditLine[] | null;
  error: string | null;
  scroll: number;
  width: number;
  height: number;
}) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title text="audit log (newest last)" width={width} right={lines ? `${lines.length} records` : ''} />
      {error ? <Text color={color('error')}>{error}</Text> : null}
      {lines && lines.length === 0 ? <Text {...dim()}>no changes recorded yet</Text> : null}
      {(lines ?? []).slice(scroll, scroll + Math.max(1, height - 2)).map((l) => (
        <Text
          key={l.seq}
          wrap="truncate-end"
          color={color(l.outcome === 'ok' || l.outcome === 'completed' ? null : 'warning')}
        >
          {fit(
            `${l.time}  ${pad(l.user, 8)} ${pad(l.action, 13)} ${pad(l.file, 28)} ${pad(l.outcome, 11)} ${l.message}`,
            width,
          )}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text {...dim()}>{fit('↑↓ PgUp PgDn g G scroll  esc back', width)}</Text>
    </Box>
  );
}
