// etcd and its disk: the device's write rates and latency, free space, etcd's own WAL fsync and backend
// commit p99 against their budgets, the database size; then etcd's word on its cluster: this member,
// the leader, how many members are healthy, quorum, the database against its quota, the alarms.
import { Box, Text } from 'ink';
import { activeAlarms, type EtcdView, QUOTA_WARNING_RATIO } from '../../model/etcd-cluster.js';
import type { NodeFacts } from '../../model/facts.js';
import { escapeName } from '../../util/sanitize.js';
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
      <ClusterLine facts={facts} width={width} />
    </Box>
  );
}

function ClusterLine({ facts, width }: { facts: NodeFacts; width: number }) {
  const slot = facts.etcdCluster;
  const v = slot.value;
  if (!v) {
    return (
      <Text wrap="truncate-end" color={color(slot.error ? 'error' : 'dim')}>
        {fit(`     API: ${slot.error ? escapeName(slot.error) : 'reading…'}`, width)}
      </Text>
    );
  }
  const alarms = activeAlarms(v);
  const trouble = alarms.length > 0 || !v.quorum || !v.leader;
  const full = v.dbSize >= QUOTA_WARNING_RATIO * v.quota;
  return (
    <Text wrap="truncate-end">
      <Text>{'     '}</Text>
      <Text color={color(trouble ? 'error' : 'ok')} bold={trouble}>
        {fit(clusterText(v), Math.max(10, width - 5 - quotaText(v).length - alarmText(alarms).length))}
      </Text>
      <Text color={color(full ? (alarms.includes('NOSPACE') ? 'error' : 'warning') : null)}>
        {quotaText(v)}
      </Text>
      <Text color={color(alarms.length > 0 ? 'error' : 'dim')} bold={alarms.length > 0}>
        {alarmText(alarms)}
      </Text>
      {slot.error ? <Text color={color('error')}> (stale: {escapeName(slot.error)})</Text> : null}
    </Text>
  );
}

/** "member m1 (leader) 3.4.23, 3/3 healthy, quorum" */
export function clusterText(v: EtcdView): string {
  const voters = v.members.filter((m) => !m.isLearner);
  const healthy = voters.filter((m) => m.healthy === true).length;
  const role = v.member.isLeader ? 'leader' : v.member.isLearner ? 'learner' : 'follower';
  const leader = v.leader
    ? v.member.isLeader
      ? ''
      : `, leader ${escapeName(v.leader.name)}`
    : ', NO LEADER';
  return `member ${escapeName(v.member.name)} (${role}) ${escapeName(v.member.version)}${leader}, ${healthy}/${voters.length} healthy, ${v.quorum ? 'quorum' : 'NO QUORUM'}, rev ${v.member.revision}`;
}

function quotaText(v: EtcdView): string {
  return `  db ${bytes(v.dbSize)} (in use ${bytes(v.dbSizeInUse)}) of ${bytes(v.quota)} quota, ${Math.round((100 * v.dbSize) / v.quota)}%`;
}

function alarmText(alarms: string[]): string {
  return alarms.length > 0 ? `  ALARM ${alarms.join(' ')}` : '  no alarms';
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
