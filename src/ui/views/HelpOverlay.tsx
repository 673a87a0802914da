// Every key, by screen.
import { Box, Text } from 'ink';
import { fit, pad } from '../format.js';
import { dim } from '../theme.js';
import { Title } from './Title.js';

export const HELP_SECTIONS: { title: string; keys: [string, string][] }[] = [
  {
    title: 'main screen',
    keys: [
      ['↑ ↓  j k', 'select a static pod'],
      ['enter  l', "the selected pod's container log, full screen"],
      ['L', "kubelet's journal, full screen"],
      ['tab', 'log pane: kubelet journal / selected pod'],
      ['d  e', 'disable / enable the selected static pod (moves its manifest)'],
      ['r', 'restart the selected pod, gated on a new container and its probe'],
      ['P', 'restart the control plane: etcd snapshot, then each pod in order, each gated on its health'],
      ['x', 'stop its containers through the runtime (the fallback)'],
      ['S', "etcd's space back: snapshot, compact, defragment, disarm NOSPACE, a test write"],
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
    title: 'manifest viewer',
    keys: [
      ['D', 'the diff from the last version its pod ran healthy on'],
      ['R  E', 'revert to that version / edit it ($EDITOR on a copy, linted, gated)'],
      ['tab  J  K', "the next / previous pod's manifest"],
    ],
  },
  {
    title: 'certificates',
    keys: [['R', 'renew what is expired or expires within 30 days, then restart the pods that use it']],
  },
  {
    title: 'dialogs',
    keys: [
      ['y', 'run the change'],
      ['r  b', 'after a failed restart: retry from the failed step / roll back what ran'],
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
