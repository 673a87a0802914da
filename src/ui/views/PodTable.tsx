// The static pods table: one row per pod, the selected one inverse, what needs attention marked.
import { Box, Text } from 'ink';
import { ageText, healthText, type PodView } from '../../model/pod-view.js';
import { fit, pad } from '../format.js';
import { color, dim, type Tone } from '../theme.js';

/** Widths of the columns after POD; POD takes what is left, HEALTH at least 9. */
const W = { mark: 2, manifest: 9, state: 13, restarts: 4, age: 5, lastExit: 14, healthMin: 9 };
const FIXED = W.mark + W.manifest + W.state + W.restarts + W.age + W.lastExit;

/** The pod's name; the file's name when it is not <name>.yaml (a stray copy must show as itself). */
export function podLabel(row: PodView): string {
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
  rows: PodView[];
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
            <Text color={color(row.severity)} bold={row.alerts.length > 0}>
              {isSelected ? '>' : ' '}
              {row.alerts.length > 0 ? '!' : row.severity ? '*' : ' '}
            </Text>
            <Text color={color(row.alerts.length > 0 ? 'error' : null)}>
              {pad(podLabel(row), podWidth - 1)}{' '}
            </Text>
            <Text color={color(manifestTone(row))}>{pad(manifestText(row), W.manifest)}</Text>
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

/** Where the pod's definition is: enabled or disabled here, kubelet's URL, or gone. */
function manifestText(row: PodView): string {
  if (row.origin === 'url') return 'URL';
  return row.enabled === true ? 'enabled' : row.enabled === false ? 'disabled' : 'none';
}

function manifestTone(row: PodView): Tone | null {
  if (row.enabled === true) return null;
  return row.enabled === false || row.origin === 'url' ? 'warning' : 'error';
}

function phaseTone(row: PodView): Tone | null {
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
