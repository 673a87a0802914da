// The full-screen views: logs, a manifest, certificates, the audit log; and the overlays: help, the
// confirmation of a change, its progress. Pure views: everything comes in through props.
import { Box, Text } from 'ink';
import type { LogBuffer, LogEntry } from '../model/log-buffer.js';
import type { ActionPlan } from '../model/plans.js';
import type { LogViewState } from '../model/ui.js';
import type { CertificateInfo } from '../sources/certs.js';
import type { Finding } from '../sources/manifests/types.js';
import { clock, duration, fit, pad, wrapLine } from './format.js';
import { LogLineText } from './MainScreen.js';
import { color, dim, type Tone } from './theme.js';

export function Title({ text, width, right }: { text: string; width: number; right?: string }) {
  const r = right ? ` ${right} ` : '';
  const left = fit(`── ${text} `, Math.max(1, width - r.length));
  return (
    <Text bold wrap="truncate-end">
      {left}
      {'─'.repeat(Math.max(0, width - left.length - r.length))}
      {r}
    </Text>
  );
}

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

export function certRows(certs: CertificateInfo[], now: number): { cells: string[]; tone: Tone | null }[] {
  return certs.map((c) => {
    const left = c.notAfter ? c.notAfter.getTime() - now : null;
    const days = (span: number) =>
      span >= 86_400_000 ? `${Math.floor(span / 86_400_000)}d` : duration(span);
    const residual = left === null ? '-' : left < 0 ? `expired ${days(-left)} ago` : days(left);
    const tone: Tone | null =
      c.status === 'ok'
        ? null
        : c.status === 'warning'
          ? 'warning'
          : c.status === 'missing'
            ? 'dim'
            : 'error';
    return {
      cells: [
        c.name,
        c.notAfter ? c.notAfter.toISOString().slice(0, 16).replace('T', ' ') : '-',
        residual,
        c.status,
        c.problem ?? c.subject ?? '',
      ],
      tone,
    };
  });
}

export function CertsView({
  certs,
  error,
  scroll,
  width,
  height,
  now,
}: {
  certs: CertificateInfo[] | null;
  error: string | null;
  scroll: number;
  width: number;
  height: number;
  now: number;
}) {
  const rows = certs ? certRows(certs, now) : [];
  const widths = [26, 17, 18, 14];
  const bad =
    certs?.filter((c) => c.status === 'expired' || c.status === 'warning' || c.status === 'error').length ??
    0;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title
        text="certificates (like kubeadm certs check-expiration; warning inside 30 days)"
        width={width}
        right={bad ? `${bad} need attention` : 'all ok'}
      />
      {error ? <Text color={color('error')}>{error}</Text> : null}
      <Text bold wrap="truncate-end">
        {pad('CERTIFICATE', widths[0]!)}
        {pad('EXPIRES (UTC)', widths[1]!)}
        {pad('RESIDUAL', widths[2]!)}
        {pad('STATUS', widths[3]!)}
        SUBJECT / PROBLEM
      </Text>
      {rows.slice(scroll, scroll + Math.max(1, height - 4)).map((r) => (
        <Text key={r.cells[0]} color={color(r.tone)} bold={r.tone === 'error'} wrap="truncate-end">
          {r.cells.slice(0, 4).map((c, i) => pad(c, widths[i]!))}
          {r.cells[4]}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text {...dim()}>{fit('↑↓ PgUp PgDn scroll  esc back', width)}</Text>
    </Box>
  );
}

export interface AuditLine {
  /** Position in the audit log: a stable key. */
  seq: number;
  time: string;
  user: string;
  action: string;
  file: string;
  outcome: string;
  message: string;
}

/** One audit record (a JSON line) as columns; a line that is not JSON is shown as it is. */
export function parseAuditLine(line: string, seq = 0): AuditLine {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    const s = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
    return {
      seq,
      time: s(r.time).replace('T', ' ').slice(0, 19),
      user: s(r.sudoUser) || s(r.user),
      action: s(r.action),
      file: s(r.file),
      outcome: s(r.outcome),
      message: s(r.message),
    };
  } catch {
    return { seq, time: '', user: '', action: '', file: '', outcome: '', message: line };
  }
}

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

export const HELP_SECTIONS: { title: string; keys: [string, string][] }[] = [
  {
    title: 'main screen',
    keys: [
      ['↑ ↓  j k', 'select a static pod'],
      ['enter  l', "the selected pod's container log, full screen"],
      ['L', "kubelet's journal, full screen"],
      ['tab', 'log pane: kubelet journal / selected pod'],
      ['d  e', 'disable / enable the selected static pod (moves its manifest)'],
      ['r', 'restart the selected pod (disable, wait stopped, enable, wait healthy)'],
      ['x', 'stop its containers through the runtime (the fallback)'],
      ['K  R', "restart kubelet / the runtime's unit"],
      ['m  c  a', 'manifest viewer / certificates / audit log'],
      ['ctrl-r', 're-read everything now'],
      ['?  q', 'this help / quit'],
    ],
  },
  {
    title: 'log viewer',
    keys: [
      ['f  space', 'follow / pause'],
      ['↑ ↓ PgUp PgDn g G', 'scroll; G follows again'],
      ['/  n  N', 'search; next / previous match'],
      ['e  E', 'next / previous error'],
      ['w', 'wrap long lines'],
      ['tab', 'next source: journal, then each pod'],
      ['esc  q', 'back'],
    ],
  },
  {
    title: 'dialogs',
    keys: [
      ['y', 'run the change'],
      ['n  esc', 'cancel'],
      ['c', 'stop waiting (a move is never left half-done)'],
    ],
  },
];

export function HelpOverlay({
  width,
  height,
  readOnly,
}: {
  width: number;
  height: number;
  readOnly: boolean;
}) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title text="keys" width={width} right={readOnly ? 'read-only: changes are hidden' : ''} />
      {HELP_SECTIONS.map((section) => (
        <Box key={section.title} flexDirection="column">
          <Text bold>{section.title}</Text>
          {section.keys
            .filter(([, what]) => !readOnly || !/disable|restart|stop|run the change/.test(what))
            .map(([keys, what]) => (
              <Text key={keys} wrap="truncate-end">
                {'  '}
                {pad(keys, 20)}
                {fit(what, width - 22)}
              </Text>
            ))}
        </Box>
      ))}
      <Box flexGrow={1} />
      <Text {...dim()}>esc closes</Text>
    </Box>
  );
}

export function ConfirmOverlay({ plan, width, height }: { plan: ActionPlan; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title text={plan.title} width={width} />
      <Text bold>What will happen:</Text>
      {plan.steps.map((s, i) => (
        <Text key={s} wrap="wrap">
          {`  ${i + 1}. ${s}`}
        </Text>
      ))}
      {plan.warnings.map((w) => (
        <Text key={w} color={color('error')} bold wrap="wrap">
          {`  ! ${w}`}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text bold>y: do it n / esc: cancel</Text>
    </Box>
  );
}

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
