// A view's title line: its name on the left, a status on the right, a rule between.
import { Text } from 'ink';
import { fit } from '../format.js';

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
