// The certificates and kubeconfigs, like kubeadm certs check-expiration: expiry, what is left, status.
import { Box, Text } from 'ink';
import { EXPIRY_WARNING_DAYS } from '../../node/kubeadm-pki.js';
import type { CertificateInfo } from '../../sources/certs.js';
import { duration, fit, pad } from '../format.js';
import { color, dim, type Tone } from '../theme.js';
import { Title } from './Title.js';

export function certRows(certs: CertificateInfo[], now: number): { cells: string[]; tone: Tone | null }[] {
  return certs.map((c) => {
    const left = c.notAfter ? c.notAfter.getTime() - now : null;
    const days = (span: number) =>
      span >= 86_400_000 ? `${Math.floor(span / 86_400_000)}d` : duration(span);
    const residual = left === null ? '-' : left < 0 ? `expired ${days(-left)} ago` : days(left);
    const tone: Tone | null =
      c.status === 'ok'
        ? null
        : c.status === 'warning'
          ? 'warning'
          : c.status === 'missing'
            ? 'dim'
            : 'error';
    return {
      cells: [
        c.name,
        c.notAfter ? c.notAfter.toISOString().slice(0, 16).replace('T', ' ') : '-',
        residual,
        c.status,
        c.problem ?? c.subject ?? '',
      ],
      tone,
    };
  });
}

export function CertsView({
  certs,
  error,
  scroll,
  width,
  height,
  now,
  readOnly = false,
}: {
  readOnly?: boolean;
  certs: CertificateInfo[] | null;
  error: string | null;
  scroll: number;
  width: number;
  height: number;
  now: number;
}) {
  const rows = certs ? certRows(certs, now) : [];
  const widths = [26, 17, 18, 14];
  const bad =
    certs?.filter((c) => c.status === 'expired' || c.status === 'warning' || c.status === 'error').length ??
    0;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Title
        text={`certificates (like kubeadm certs check-expiration; warning inside ${EXPIRY_WARNING_DAYS} days)`}
        width={width}
        right={bad ? `${bad} need attention` : 'all ok'}
      />
      {error ? <Text color={color('error')}>{error}</Text> : null}
      <Text bold wrap="truncate-end">
        {pad('CERTIFICATE', widths[0]!)}
        {pad('EXPIRES (UTC)', widths[1]!)}
        {pad('RESIDUAL', widths[2]!)}
        {pad('STATUS', widths[3]!)}
        SUBJECT / PROBLEM
      </Text>
      {rows.slice(scroll, scroll + Math.max(1, height - 4)).map((r) => (
        <Text key={r.cells[0]} color={color(r.tone)} bold={r.tone === 'error'} wrap="truncate-end">
          {r.cells.slice(0, 4).map((c, i) => pad(c, widths[i]!))}
          {r.cells[4]}
        </Text>
      ))}
      <Box flexGrow={1} />
      <Text {...dim()}>
        {fit(
          `${readOnly || !bad ? '' : 'R renew what is expired or expiring  '}↑↓ PgUp PgDn scroll  esc back`,
          width,
        )}
      </Text>
    </Box>
  );
}
