// etcd and its disk: the device's write rates and latency, free space, etcd's own WAL fsync and backend
// commit p99 against their budgets, the database size, leadership.
import { Box, Text } from 'ink';
import type { NodeFacts } from '../../model/facts.js';
import { bytes, fit, ms, num } from '../format.js';
import { color, type Tone } from '../theme.js';

export function EtcdPanel({ facts, width }: { facts: NodeFacts; width: number }) {
  const d = facts.disk.value;
  const e = facts.etcd.value;
  const fs = facts.vitals.value?.filesystems.find((f) => f.label === '/var/lib/etcd');
  const free = fs?.ok ? fs : null;
  const r = d?.rates ?? null;
  const device = d ? d.device.name : '?';
  const diskText =
    facts.disk.error && !d
      ? `disk: ${facts.disk.error}`
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
            {facts.etcd.error ? <Text color={color('error')}> (stale: {facts.etcd.error})</Text> : null}
          </>
        ) : (
          <Text color={color(facts.etcd.error ? 'error' : 'dim')}>
            metrics: {facts.etcd.error ?? 'reading…'}
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
