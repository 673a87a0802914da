// The kubelet stand-in's command line, with kubelet's flag names and Go durations.
import * as path from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `usage: kubelet.js --root <nodeRoot> [--config /var/lib/kubelet/config.yaml] [--runtime cri|docker]
       [--container-runtime-endpoint unix://...] [--hostname-override NAME]
       [--file-check-frequency 20s] [--backoff-base 10s] [--healthz-port 10248]`;

export interface StandInOptions {
  root: string;
  /** A path on the node. */
  config: string;
  runtime: 'cri' | 'docker';
  endpoint: string | null;
  hostnameOverride: string | null;
  fileCheckFrequencyMs: number;
  backoffBaseMs: number;
  /** 0: no healthz server, as with kubelet's healthzPort 0. */
  healthzPort: number;
}

export function parseStandInArgs(argv: string[]): StandInOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      root: { type: 'string' },
      config: { type: 'string', default: '/var/lib/kubelet/config.yaml' },
      runtime: { type: 'string', default: 'cri' },
      'container-runtime-endpoint': { type: 'string' },
      'hostname-override': { type: 'string' },
      'file-check-frequency': { type: 'string', default: '20s' },
      'backoff-base': { type: 'string', default: '10s' },
      'healthz-port': { type: 'string', default: '10248' },
    },
  });
  if (!values.root) throw new Error('--root is required');
  if (values.runtime !== 'cri' && values.runtime !== 'docker') throw new Error('--runtime: cri or docker');
  const healthzPort = Number(values['healthz-port']);
  if (!Number.isInteger(healthzPort) || healthzPort < 0 || healthzPort > 65535) {
    throw new Error(`--healthz-port: not a port: ${values['healthz-port']}`);
  }
  return {
    root: path.resolve(values.root),
    config: values.config,
    runtime: values.runtime,
    endpoint: values['container-runtime-endpoint'] ?? null,
    hostnameOverride: values['hostname-override'] ?? null,
    fileCheckFrequencyMs: positiveDuration('--file-check-frequency', values['file-check-frequency']),
    backoffBaseMs: positiveDuration('--backoff-base', values['backoff-base']),
    healthzPort,
  };
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go duration as kubelet's flags take it: 20s, 1m30s, 500ms. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return null;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit!]!;
  }
  return total;
}

function positiveDuration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new Error(`${flag}: not a positive duration (like 20s): ${text}`);
  return ms;
}
