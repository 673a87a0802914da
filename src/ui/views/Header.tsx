// The header: the node, kubelet's and the runtime's units, the runtime, whether the API server answers,
// memory, load, iowait and free space.
import { Box, Text } from 'ink';
import type { NodeFacts, UnitSlot } from '../../model/facts.js';
import type { NodeModel } from '../../model/node.js';
import { bytes, duration, fit, ms, num } from '../format.js';
import { color, dim, type Tone } from '../theme.js';

export function Header({
  facts,
  model,
  width,
  now,
  readOnly,
}: {
  facts: NodeFacts;
  model: NodeModel;
  width: number;
  now: number;
  readOnly: boolean;
}) {
  const rt = facts.runtime;
  const info = rt.value?.info;
  const api = model.apiServer;
  const v = facts.vitals.value;
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
        <Text> {facts.layout.nodeName.value}</Text>
        {readOnly ? <Text color={color('warning')}> [read-only]</Text> : null}
        <Text> </Text>
        <UnitText slot={facts.kubeletUnit} now={now} />
        <Text> </Text>
        {facts.runtimeUnit ? (
          <UnitText slot={facts.runtimeUnit} now={now} />
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
          <Text {...dim()}>vitals: {facts.vitals.error ?? 'reading…'}</Text>
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
