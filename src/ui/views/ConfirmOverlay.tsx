// What a change will do, before it runs: its steps, what happens on failure, what could go wrong now.
import { Box, Text } from 'ink';
import type { Plan } from '../../procedures/procedure.js';
import { color } from '../theme.js';
import { Title } from './Title.js';

export function ConfirmOverlay({
  plan,
  width,
  height,
  more = null,
}: {
  plan: Plan;
  width: number;
  height: number;
  /** A choice this change offers besides y and n (the restart's cordon). */
  more?: string | null;
}) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title text={plan.title} width={width} />
      <Text bold>What will happen:</Text>
      {plan.steps.map((s, i) => (
        <Text key={s} wrap="wrap">
          {`  ${i + 1}. ${s}`}
        </Text>
      ))}
      {plan.notes.map((n) => (
        <Text key={n} wrap="wrap">
          {`     (${n})`}
        </Text>
      ))}
      {plan.warnings.map((w) => (
        <Text key={w} color={color('error')} bold wrap="wrap">
          {`  ! ${w}`}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text bold>{`y: do it n / esc: cancel${more ? `   ${more}` : ''}`}</Text>
    </Box>
  );
}
