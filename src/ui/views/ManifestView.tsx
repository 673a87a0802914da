// A manifest, full screen, with each lint finding and each line the doctor points at under the line it
// is about; or (D) the diff from the last version its pod ran healthy on, with revert (R) and edit (E).
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
  /** Lines the doctor's findings point at (1-based), with what it says of them. */
  marks: { line: number; text: string }[];
  /** The diff view: its lines, or why there is none; null: the file is shown. */
  diff: { title: string; lines: string[] | null; note: string | null } | null;
  scroll: number;
  width: number;
  height: number;
  readOnly: boolean;
}

/** The manifest's lines with each finding shown under the line it is about. */
export function manifestRows(
  lines: string[],
  findings: Finding[],
  marks: { line: number; text: string }[] = [],
): { text: string; tone: Tone | null }[] {
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
    for (const m of marks.filter((x) => x.line === i + 1))
      rows.push({ text: `${' '.repeat(width)}  » ${m.text}`, tone: 'error' });
  });
  return rows;
}

/** The diff's lines, coloured as `diff -u` reads: removed red, added green, hunks dim. */
export function diffRows(lines: string[]): { text: string; tone: Tone | null }[] {
  return lines.map((text) => ({
    text,
    tone: text.startsWith('@@') ? 'dim' : text.startsWith('+') ? 'ok' : text.startsWith('-') ? 'error' : null,
  }));
}

export function ManifestView(props: ManifestViewProps) {
  const { title, lines, error, findings, scroll, width, height, diff } = props;
  const rows = diff
    ? diff.lines
      ? diffRows(diff.lines)
      : [{ text: diff.note ?? 'reading…', tone: 'dim' as const }]
    : lines
      ? manifestRows(lines, findings, props.marks)
      : [];
  const keys = `${props.readOnly ? '' : 'R revert  E edit  '}D ${diff ? 'the file' : 'diff to last healthy'}  ↑↓ PgUp PgDn g G  tab/J/K other pod  esc back`;
  const visible = rows.slice(scroll, scroll + Math.max(1, height - 2));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title
        text={diff ? diff.title : title}
        width={width}
        right={`${findings.length} finding(s)${props.marks.length ? `, ${props.marks.length} from the doctor` : ''}`}
      />
      {error ? <Text color={color('error')}>{error}</Text> : null}
      {!lines && !error && !diff ? <Text {...dim()}>reading…</Text> : null}
      {visible.map((r, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional.
        <Text key={scroll + i} color={color(r.tone)} bold={r.tone === 'error'} wrap="truncate-end">
          {fit(r.text, width)}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text {...dim()} wrap="truncate-end">
        {fit(keys, width)}
      </Text>
    </Box>
  );
}
