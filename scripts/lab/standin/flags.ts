// The components' flags, as pflag parses them: an unknown flag or a bad value fails as the real binary's.
import { log } from './log.js';

export const COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

type FlagType = 'string' | 'bool' | 'int';
type FlagTable = Record<string, FlagType>;

const SERVING_FLAGS: FlagTable = {
  'bind-address': 'string',
  'secure-port': 'int',
  'tls-cert-file': 'string',
  'tls-private-key-file': 'string',
  'tls-cipher-suites': 'string',
  'tls-min-version': 'string',
  'feature-gates': 'string',
  'logging-format': 'string',
  profiling: 'bool',
  v: 'int',
  vmodule: 'string',
};

const DELEGATED_AUTH_FLAGS: FlagTable = {
  'authentication-kubeconfig': 'string',
  'authorization-kubeconfig': 'string',
  'client-ca-file': 'string',
  'requestheader-client-ca-file': 'string',
  kubeconfig: 'string',
  'leader-elect': 'bool',
  'leader-elect-lease-duration': 'string',
  'leader-elect-renew-deadline': 'string',
  'leader-elect-retry-period': 'string',
};

/** What kubeadm writes for each component, plus the serving flags and a few that operators often add. */
const KNOWN_FLAGS: Record<Component, FlagTable> = {
  'kube-apiserver': {
    ...SERVING_FLAGS,
    'advertise-address': 'string',
    'allow-privileged': 'bool',
    'anonymous-auth': 'bool',
    'audit-log-maxage': 'int',
    'audit-log-maxbackup': 'int',
    'audit-log-maxsize': 'int',
    'audit-log-path': 'string',
    'audit-policy-file': 'string',
    'authorization-mode': 'string',
    'client-ca-file': 'string',
    'disable-admission-plugins': 'string',
    'enable-admission-plugins': 'string',
    'enable-bootstrap-token-auth': 'bool',
    'encryption-provider-config': 'string',
    'etcd-cafile': 'string',
    'etcd-certfile': 'string',
    'etcd-keyfile': 'string',
    'etcd-prefix': 'string',
    'etcd-servers': 'string',
    'event-ttl': 'string',
    'kubelet-client-certificate': 'string',
    'kubelet-client-key': 'string',
    'kubelet-preferred-address-types': 'string',
    'proxy-client-cert-file': 'string',
    'proxy-client-key-file': 'string',
    'requestheader-allowed-names': 'string',
    'requestheader-client-ca-file': 'string',
    'requestheader-extra-headers-prefix': 'string',
    'requestheader-group-headers': 'string',
    'requestheader-username-headers': 'string',
    'runtime-config': 'string',
    'service-account-issuer': 'string',
    'service-account-key-file': 'string',
    'service-account-signing-key-file': 'string',
    'service-cluster-ip-range': 'string',
    'service-node-port-range': 'string',
  },
  'kube-controller-manager': {
    ...SERVING_FLAGS,
    ...DELEGATED_AUTH_FLAGS,
    'allocate-node-cidrs': 'bool',
    'cluster-cidr': 'string',
    'cluster-name': 'string',
    'cluster-signing-cert-file': 'string',
    'cluster-signing-key-file': 'string',
    controllers: 'string',
    'node-cidr-mask-size': 'int',
    'root-ca-file': 'string',
    'service-account-private-key-file': 'string',
    'service-cluster-ip-range': 'string',
    'terminated-pod-gc-threshold': 'int',
    'use-service-account-credentials': 'bool',
  },
  'kube-scheduler': { ...SERVING_FLAGS, ...DELEGATED_AUTH_FLAGS, config: 'string' },
};

export class FlagError extends Error {}

export type Flags = Map<string, string>;

function flagName(arg: string): { name: string; value: string | undefined } | null {
  const match = /^--?([^=-][^=]*)(?:=([\s\S]*))?$/.exec(arg);
  if (!match) return null;
  // pflag: a single dash is a shorthand; only -v (klog's verbosity) has one in these components.
  if (!arg.startsWith('--') && match[1] !== 'v')
    throw new FlagError(`unknown shorthand flag: '${match[1]}' in ${arg}`);
  return { name: match[1]!, value: match[2] };
}

function checkValue(name: string, type: FlagType, value: string): void {
  if (type === 'bool' && !/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(value)) {
    throw new FlagError(
      `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
    );
  }
  if (type === 'int' && !/^[-+]?\d+$/.test(value)) {
    throw new FlagError(
      `invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
    );
  }
}

/** `--name=value`, `--name value`, a bare boolean `--name`; `--` ends the flags. */
export function parseFlags(component: Component, args: string[]): { flags: Flags; positional: string[] } {
  const known = KNOWN_FLAGS[component];
  const flags: Flags = new Map();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    const parsed = flagName(arg);
    if (!parsed) {
      positional.push(arg);
      continue;
    }
    const type = known[parsed.name];
    if (!type) throw new FlagError(`unknown flag: --${parsed.name}`);
    let value = parsed.value;
    if (value === undefined && type === 'bool') value = 'true';
    if (value === undefined) {
      if (i + 1 >= args.length) throw new FlagError(`flag needs an argument: --${parsed.name}`);
      value = args[++i]!;
    }
    checkValue(parsed.name, type, value);
    flags.set(parsed.name, value);
  }
  return { flags, positional };
}

export function logFlags(flags: Flags): void {
  if (Number(flags.get('v') ?? 0) < 1) return;
  for (const [name, value] of [...flags].sort()) log('I', 'flags.go:64', `FLAG: --${name}="${value}"`);
}
