// The one screen: header (node, units, runtime, API server, vitals), the static pods table, etcd and its
// disk, and a log pane. Pure views: everything comes in through props.
import { Box, Text } from 'ink';
import type { NodeSnapshot, UnitSlot } from '../app/node-store.js';
import type { LogEntry } from '../model/log-buffer.js';
import { ageText, healthText, type PodRow } from '../model/pod-rows.js';
import { bytes, clock, duration, fit, ms, num, pad } from './format.js';
import { color, dim, type Tone } from './theme.js';

export interface MainScreenProps {
  snapshot: NodeSnapshot;
  rows: PodRow[];
  selected: number;
  width: number;
  height: number;
  logTitle: string;
  logLines: LogEntry[];
  now: number;
  readOnly: boolean;
}

export function MainScreen(props: MainScreenProps) {
  const { snapshot, rows, width } = props;
  const alerts = alertLines(snapshot, rows);
  const tableRows = Math.min(rows.length, Math.max(3, Math.floor((props.height - 12) / 2)));
  const used = 3 + 1 + Math.max(1, tableRows) + alerts.length + 2 + 1;
  const logHeight = Math.max(1, props.height - used - 1);
  return (
    <Box flexDirection="column" width={width} height={props.height}>
      <Header snapshot={snapshot} width={width} now={props.now} readOnly={props.readOnly} />
      <PodTable rows={rows} selected={props.selected} width={width} visible={tableRows} now={props.now} />
      {alerts.map((a, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: alert lines have no identity beyond their order.
        <Text key={i} color={color(a.tone)} bold={a.tone === 'error'} wrap="truncate-end">
          {fit(a.text, width)}
        </Text>
      ))}
      <EtcdPanel snapshot={snapshot} width={width} />
      <LogPane
        title={props.logTitle}
        lines={props.logLines.slice(-logHeight)}
        width={width}
        height={logHeight}
      />
    </Box>
  );
}

export function Header({
  snapshot,
  width,
  now,
  readOnly,
}: {
  snapshot: NodeSnapshot;
  width: number;
  now: number;
  readOnly: boolean;
}) {
  const rt = snapshot.runtime;
  const info = rt.value?.info;
  const api = snapshot.health.get('kube-apiserver') ?? null;
  const v = snapshot.vitals.value;
  const apiText =
    api === null
      ? 'API server: ?'
      : api.ok
        ? `API server answers ${ms(api.latencyMs)}`
        : `API server DOWN (${api.error ?? `HTTP ${api.statusCode}`})`;
  const runtimeText = rt.error
    ? `runtime: ${rt.error}`
    : info
      ? `${info.name} ${info.version}${info.apiVersion ? ` (${info.apiVersion})` : ''}`
      : 'runtime: connecting';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>breakglass</Text>
        <Text> {snapshot.layout.nodeName.value}</Text>
        {readOnly ? <Text color={color('warning')}> [read-only]</Text> : null}
        <Text> </Text>
        <UnitText slot={snapshot.kubeletUnit} now={now} />
        <Text> </Text>
        {snapshot.runtimeUnit ? (
          <UnitText slot={snapshot.runtimeUnit} now={now} />
        ) : (
          <Text {...dim()}>runtime unit ?</Text>
        )}
      </Text>
      <Text wrap="truncate-end">
        <Text color={color(rt.error ? 'error' : undefined)}>{fit(runtimeText, Math.floor(width / 2))}</Text>
        <Text> </Text>
        <Text color={color(api === null ? 'dim' : api.ok ? 'ok' : 'error')} bold={api !== null && !api.ok}>
          {apiText}
        </Text>
      </Text>
      <Text wrap="truncate-end">
        {v ? (
          <>
            <Text color={color(v.memory.ok && v.memory.availablePct < 10 ? 'error' : null)}>
              mem avail{' '}
              {v.memory.ok
                ? `${bytes(v.memory.availableBytes)} (${num(v.memory.availablePct, 0)}%)`
                : v.memory.error}
            </Text>
            <Text color={color(v.load.one > v.load.cpus * 2 ? 'warning' : null)}>
              {'  '}load {num(v.load.one, 2)} {num(v.load.five, 2)} {num(v.load.fifteen, 2)}
            </Text>
            <Text color={color(v.cpu?.ok && v.cpu.iowaitPct > 20 ? 'warning' : null)}>
              {'  '}iowait {v.cpu?.ok ? `${num(v.cpu.iowaitPct, 0)}%` : '?'}
            </Text>
            <Text>{'  '}free</Text>
            {v.filesystems.map((f) => (
              <Text
                key={f.label}
                color={color(
                  !f.ok ? 'error' : f.usedPct >= 90 ? 'error' : f.usedPct >= 80 ? 'warning' : null,
                )}
              >
                {' '}
                {f.label} {f.ok ? bytes(f.availableBytes) : f.error}
              </Text>
            ))}
          </>
        ) : (
          <Text {...dim()}>vitals: {snapshot.vitals.error ?? 'reading…'}</Text>
        )}
      </Text>
    </Box>
  );
}

function UnitText({ slot, now }: { slot: UnitSlot; now: number }) {
  if (slot.error && !slot.value)
    return (
      <Text color={color('error')}>
        {slot.name}: {slot.error}
      </Text>
    );
  const u = slot.value;
  if (!u) return <Text {...dim()}>{slot.name} …</Text>;
  if (u.loadState === 'not-found') return <Text {...dim()}>{slot.name} not found</Text>;
  const tone: Tone =
    u.activeState === 'active'
      ? 'ok'
      : u.activeState === 'failed' || u.activeState === 'inactive'
        ? 'error'
        : 'warning';
  const since = u.since ? ` ${duration(now - u.since.getTime())}` : '';
  const restarts = u.nRestarts ? ` ↻${u.nRestarts}` : '';
  return (
    <Text color={color(tone)} bold={tone === 'error'}>
      {slot.name.replace(/\.service$/, '')} {u.activeState}/{u.subState}
      {since}
      {restarts}
    </Text>
  );
}

/** Widths of the columns after POD; POD takes what is left, HEALTH at least 9. */
const W = { mark: 2, manifest: 9, state: 13, restarts: 4, age: 5, lastExit: 14, healthMin: 9 };
const FIXED = W.mark + W.manifest + W.state + W.restarts + W.age + W.lastExit;

/** The pod's name; the file's name when it is not <name>.yaml (a stray copy must show as itself). */
export function podLabel(row: PodRow): string {
  if (!row.file || row.file === `${row.name}.yaml` || row.file === `${row.name}.yml`) return row.name;
  return row.file;
}

export function PodTable({
  rows,
  selected,
  width,
  visible,
  now,
}: {
  rows: PodRow[];
  selected: number;
  width: number;
  visible: number;
  now: number;
}) {
  const podWidth = Math.max(16, Math.min(40, width - FIXED - W.healthMin));
  const healthWidth = Math.max(4, width - FIXED - podWidth);
  const first = Math.max(0, Math.min(selected - visible + 1, rows.length - visible));
  const shown = rows.slice(first, first + visible);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {pad('', W.mark)}
        {pad('POD', podWidth)}
        {pad('MANIFEST', W.manifest)}
        {pad('STATE', W.state)}
        {pad('RST', W.restarts)}
        {pad('AGE', W.age)}
        {pad('LAST EXIT', W.lastExit)}
        HEALTH
      </Text>
      {rows.length === 0 ? (
        <Text {...dim()}> no static pods: the manifest directory is empty or unreadable</Text>
      ) : null}
      {shown.map((row, i) => {
        const isSelected = first + i === selected;
        return (
          <Text key={row.key} inverse={isSelected} wrap="truncate-end">
            <Text color={color(row.severity)} bold={row.alert !== null}>
              {isSelected ? '>' : ' '}
              {row.alert ? '!' : row.severity ? '*' : ' '}
            </Text>
            <Text color={color(row.alert ? 'error' : null)}>{pad(podLabel(row), podWidth - 1)} </Text>
            <Text color={color(row.enabled === false ? 'warning' : row.enabled === null ? 'error' : null)}>
              {pad(
                row.enabled === true ? 'enabled' : row.enabled === false ? 'disabled' : 'none',
                W.manifest,
              )}
            </Text>
            <Text color={color(phaseTone(row))} bold={phaseTone(row) === 'error'}>
              {pad(row.stateText, W.state)}
            </Text>
            <Text color={color(row.restarts && row.restarts > 0 ? 'warning' : null)}>
              {pad(row.restarts === null ? '-' : String(row.restarts), W.restarts)}
            </Text>
            <Text>{pad(ageText(row.since, now), W.age)}</Text>
            <Text color={color(row.lastExit ? 'warning' : null)}>{pad(row.lastExit ?? '-', W.lastExit)}</Text>
            <Text color={color(row.health ? (row.health.ok ? 'ok' : 'error') : 'dim')}>
              {fit(healthText(row.health), healthWidth)}
            </Text>
          </Text>
        );
      })}
    </Box>
  );
}

function phaseTone(row: PodRow): Tone | null {
  switch (row.phase) {
    case 'running':
      return 'ok';
    case 'crash-loop':
    case 'broken':
    case 'still-running':
    case 'orphan':
      return 'error';
    case 'exited':
    case 'not-started':
    case 'starting':
    case 'unknown':
      return 'warning';
    case 'disabled':
      return 'dim';
  }
}

/** The lines an operator must not miss: stray copies kubelet runs, pods that should not run, an interrupted change. */
export function alertLines(snapshot: NodeSnapshot, rows: PodRow[]): { text: string; tone: Tone }[] {
  const out: { text: string; tone: Tone }[] = [];
  if (snapshot.intent) {
    out.push({
      text: `! an interrupted ${snapshot.intent.action} of ${snapshot.intent.displayName} waits: run \`breakglass recover\``,
      tone: 'error',
    });
  }
  if (snapshot.dirs.manifests.error)
    out.push({ text: `! manifest directory: ${snapshot.dirs.manifests.error}`, tone: 'error' });
  const kubelet = snapshot.kubeletUnit.value;
  if (kubelet && kubelet.loadState === 'loaded' && kubelet.activeState !== 'active') {
    out.push({
      text: `! ${kubelet.name} is ${kubelet.activeState}/${kubelet.subState}: no static pod is started, stopped or restarted; K restarts it`,
      tone: 'error',
    });
  }
  for (const row of rows) if (row.alert) out.push({ text: `! ${row.alert}`, tone: 'error' });
  const certs = snapshot.certs.value ?? [];
  const expired = certs.filter((c) => c.status === 'expired' || c.status === 'not-yet-valid');
  const expiring = certs.filter((c) => c.status === 'warning');
  if (expired.length > 0) {
    out.push({
      text: `! certificate ${expired.map((c) => c.name).join(', ')} not valid now: c shows them`,
      tone: 'error',
    });
  } else if (expiring.length > 0) {
    out.push({
      text: `* certificate ${expiring.map((c) => c.name).join(', ')} expires within 30 days: c shows them`,
      tone: 'warning',
    });
  }
  const findings = rows.reduce((n, r) => n + r.findings.length, 0);
  if (findings > 0 && out.length < 3)
    out.push({
      text: `* ${findings} lint finding(s) in the static pod directory: m shows them`,
      tone: 'warning',
    });
  return out.slice(0, 4);
}

export function EtcdPanel({ snapshot, width }: { snapshot: NodeSnapshot; width: number }) {
  const d = snapshot.disk.value;
  const e = snapshot.etcd.value;
  const fs = snapshot.vitals.value?.filesystems.find((f) => f.label === '/var/lib/etcd');
  const free = fs?.ok ? fs : null;
  const r = d?.rates ?? null;
  const device = d ? d.device.name : '?';
  const diskText =
    snapshot.disk.error && !d
      ? `disk: ${snapshot.disk.error}`
      : r
        ? `${device}: w ${num(r.writeIops, 0)} IOPS ${num(r.writeMBps, 2)} MB/s await ${ms(r.writeAwaitMs)} util ${num(r.utilizationPct, 0)}%`
        : `${device}: measuring…`;
  const freeText = free
    ? `  free ${bytes(free.availableBytes)} of ${bytes(free.totalBytes)} (${num(100 - free.usedPct, 0)}%)`
    : '';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>etcd </Text>
        <Text color={color(free && free.usedPct >= 90 ? 'error' : null)}>
          {fit(diskText + freeText, width - 5)}
        </Text>
      </Text>
      <Text wrap="truncate-end">
        <Text>{'     '}</Text>
        {e ? (
          <>
            <Latency label="WAL fsync p99" reading={e.walFsync} />
            <Text> </Text>
            <Latency label="commit p99" reading={e.backendCommit} />
            <Text> db {bytes(e.dbSizeBytes)}</Text>
            {e.hasLeader === false ? <Text color={color('error')}> NO LEADER</Text> : null}
            {snapshot.etcd.error ? <Text color={color('error')}> (stale: {snapshot.etcd.error})</Text> : null}
          </>
        ) : (
          <Text color={color(snapshot.etcd.error ? 'error' : 'dim')}>
            metrics: {snapshot.etcd.error ?? 'reading…'}
          </Text>
        )}
      </Text>
    </Box>
  );
}

function Latency({
  label,
  reading,
}: {
  label: string;
  reading: { p99Ms: number | null; thresholdMs: number; verdict: string; window: string };
}) {
  const tone: Tone = reading.verdict === 'ok' ? 'ok' : reading.verdict === 'slow' ? 'error' : 'dim';
  return (
    <Text color={color(tone)} bold={tone === 'error'}>
      {label} {ms(reading.p99Ms)}{' '}
      {reading.verdict === 'slow' ? `> ${reading.thresholdMs}ms SLOW` : `(<${reading.thresholdMs}ms)`}
      {reading.window === 'since-start' ? '*' : ''}
    </Text>
  );
}

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

export function Footer({ text, tone, width }: { text: string; tone: Tone | null; width: number }) {
  return (
    <Text color={color(tone)} wrap="truncate-end" bold={tone === 'error'}>
      {fit(text, width)}
    </Text>
  );
}

export const MAIN_KEYS_HINT =
  '↑↓/jk select  enter logs  tab pane  d/e disable/enable  r restart  x stop  K kubelet  m manifest  c certs  a audit  ? help  q quit';
export const READONLY_KEYS_HINT =
  '↑↓/jk select  enter logs  tab pane  m manifest  c certs  a audit  ? help  q quit   (read-only)';
