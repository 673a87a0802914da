// The bottom line: a message, or the keys of this screen.
import { Text } from 'ink';
import { fit } from '../format.js';
import { color, type Tone } from '../theme.js';

export function Footer({ text, tone, width }: { text: string; tone: Tone | null; width: number }) {
  return (
    <Text color={color(tone)} wrap="truncate-end" bold={tone === 'error'}>
      {fit(text, width)}
    </Text>
  );
}

export const MAIN_KEYS_HINT =
  '↑↓/jk select  enter logs  tab pane  d/e disable/enable  r restart  P control plane  x stop  K kubelet  m manifest  c certs  a audit  ? help  q quit';
export const READONLY_KEYS_HINT =
  '↑↓/jk select  enter logs  tab pane  m manifest  c certs  a audit  ? help  q quit   (read-only)';
