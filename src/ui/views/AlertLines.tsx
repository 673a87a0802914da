// The alerts of the main screen: what the model says must not be missed, each with the key that fixes
// it, as many as fit (four lines; the lint summary only while fewer than three others are shown).
import { Text } from 'ink';
import type { Alert } from '../../model/alerts.js';
import { sanitizeLine } from '../../util/sanitize.js';
import { tuiFix } from '../fixes.js';
import { fit } from '../format.js';
import { color } from '../theme.js';

const MAX_ALERT_LINES = 4;

export function shownAlerts(alerts: Alert[]): Alert[] {
  const others = alerts.filter((a) => a.code !== 'lint-findings');
  const lint = alerts.find((a) => a.code === 'lint-findings');
  return [...others, ...(lint && others.length < 3 ? [lint] : [])].slice(0, MAX_ALERT_LINES);
}

export function alertText(a: Alert): string {
  return `${a.severity === 'error' ? '!' : '*'} ${sanitizeLine(a.message)}${tuiFix(a)}`;
}

export function AlertLines({ alerts, width }: { alerts: Alert[]; width: number }) {
  return (
    <>
      {alerts.map((a, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: alert lines have no identity beyond their order.
        <Text key={i} color={color(a.severity)} bold={a.severity === 'error'} wrap="truncate-end">
          {fit(alertText(a), width)}
        </Text>
      ))}
    </>
  );
}
