import type { Arg } from './kubelet-unit.js';

export interface FlagValue {
  value: string;
  from: string;
}

// Flags that always take a value, so `--config -weird-path` still reads the path.
const VALUE_FLAGS = new Set([
  'config',
  'config-dir',
  'pod-manifest-path',
  'container-runtime-endpoint',
  'hostname-override',
  'kubeconfig',
  'root-dir',
]);

/** kubelet normalizes flag names, so `--pod_manifest_path` is `--pod-manifest-path`. */
function normalizeFlagName(name: string): string {
  return name.replaceAll('_', '-');
}

/**
 * Parses kubelet's arguments like pflag does: `--flag=value` or `--flag value`, the last
 * occurrence wins, `--` ends the flags. Values are kept with the file they came from.
 */
export function parseKubeletFlags(args: Arg[]): Map<string, FlagValue> {
  const flags = new Map<string, FlagValue>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.text === '--') break;
    if (!arg.text.startsWith('-') || arg.text === '-') continue;
    const body = arg.text.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = normalizeFlagName(eq >= 0 ? body.slice(0, eq) : body);
    if (eq >= 0) {
      flags.set(name, { value: body.slice(eq + 1), from: arg.from });
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && (VALUE_FLAGS.has(name) || !next.text.startsWith('-'))) {
      flags.set(name, { value: next.text, from: arg.from });
      i += 1;
    } else {
      flags.set(name, { value: 'true', from: arg.from });
    }
  }
  return flags;
}
