// A manifest, full screen, with each lint finding under the line it is about.
import { Box, Text } from 'ink';
import type { Finding } from '../../sources/manifests/types.js';
import { fit } from '../format.js';
import { color, dim, type Tone } from '../theme.js';
import { Title } from './Title.js';

export interface ManifestViewProps {
  title: string;
  /** The file's lines, sanitized; null while reading. */
  lines: string[] | null;
  error: string | null;
  findings: Finding[];
  scroll: number;
  width: number;
  height: number;
}

/** The manifest's lines with each finding shown under the line it is about. */
export function manifestRows(lines: string[], findings: Finding[]): { text: string; tone: Tone | null }[] {
  const rows: { text: string; tone: Tone | null }[] = [];
  const general = findings.filter((f) => !f.line);
  for (const f of general)
    rows.push({
      text: `${f.severity === 'error' ? '✗' : '!'} ${f.message} [${f.code}]`,
      tone: f.severity === 'error' ? 'error' : 'warning',
    });
  const width = String(lines.length).length;
  lines.forEach((line, i) => {
    rows.push({ text: `${String(i + 1).padStart(width)}  ${line}`, tone: null });
    for (const f of findings.filter((x) => x.line === i + 1)) {
      rows.push({
        text: `${' '.repeat(width)}  ^ ${f.severity}: ${f.message} [${f.code}]`,
        tone: f.severity === 'error' ? 'error' : 'warning',
      });
    }
  });
  return rows;
}

export function ManifestView({ title, lines, error, findings, scroll, width, height }: ManifestViewProps) {
  const rows = lines ? manifestRows(lines, findings) : [];
  const visible = rows.slice(scroll, scroll + Math.max(1, height - 2));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title text={title} width={width} right={`${findings.length} finding(s)`} />
      {error ? <Text color={color('error')}>{error}</Text> : null}
      {!lines && !error ? <Text {...dim()}>reading…</Text> : null}
      {visible.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional.
        <Text key={scroll + i} color={color(r.tone)} bold={r.tone === 'error'} wrap="truncate-end">
          {fit(r.text, width)}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text {...dim()} wrap="truncate-end">
        {fit('↑↓ PgUp PgDn g G scroll  tab/J/K next·previous pod  esc back', width)}
      </Text>
    </Box>
  );
}
