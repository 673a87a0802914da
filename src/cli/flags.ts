// Every flag, once: its name, what it takes, its help line, which commands it belongs to, and whether it
// points breakglass at a node (then a child breakglass the TUI starts gets it too). Parsing, the usage
// text and the node options all come from this table: a new flag is one entry here.
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

interface FlagSpec {
  flag: string;
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in the usage: DIR, NAME, N. */
  arg?: string;
  help: string;
  /** Says where the node is or how to reach it: passed on to a child breakglass. */
  node?: boolean;
  /** Only these commands take it (listed with them in the usage); absent: every command. */
  commands?: readonly string[];
  /** Turns the text into the value, or throws a UsageError. */
  parse?: (text: string) => unknown;
}

function wholeNumber(flag: string) {
  return (text: string): number => {
    if (!/^\d+$/.test(text)) throw new UsageError(`${flag} takes a whole number, got "${text}"`);
    return Number(text);
  };
}

function restartMethod(text: string): 'auto' | 'runtime' | 'move' {
  if (text === 'auto' || text === 'runtime' || text === 'move') return text;
  throw new UsageError(`--method is auto, runtime or move, got "${text}"`);
}

function unitName(text: string): string {
  if (!/^[A-Za-z0-9:_.\\@-]+$/.test(text)) throw new UsageError(`--kubelet-unit: not a unit name: "${text}"`);
  return text.includes('.') ? text : `${text}.service`;
}

export const FLAGS = {
  root: {
    flag: 'root',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: "treat DIR as the node's root file system (rescue shell, debug container)",
  },
  manifests: {
    flag: 'manifests',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: "the static pod directory (default: from kubelet's configuration)",
  },
  holding: {
    flag: 'holding',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: 'where disabled manifests wait (default: /etc/kubernetes/breakglass/disabled)',
  },
  stateDir: {
    flag: 'state-dir',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: 'lock, intent log and audit log (default: /var/lib/breakglass)',
  },
  nodeName: {
    flag: 'node-name',
    type: 'string',
    arg: 'NAME',
    node: true,
    help: 'the node name kubelet uses (default: --hostname-override, else the host name)',
  },
  runtime: {
    flag: 'runtime',
    type: 'string',
    arg: 'ENDPOINT',
    node: true,
    help: "the container runtime endpoint (default: kubelet's --container-runtime-endpoint)",
  },
  pki: {
    flag: 'pki',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: "the cluster's certificates (default: /etc/kubernetes/pki)",
  },
  etcdDataDir: {
    flag: 'etcd-data-dir',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: "etcd's data directory (default: --data-dir in the etcd manifest)",
  },
  podLogs: {
    flag: 'pod-logs',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: "kubelet's pod log directory (default: podLogsDir, else /var/log/pods)",
  },
  journalDir: {
    flag: 'journal-dir',
    type: 'string',
    arg: 'DIR',
    node: true,
    help: "read kubelet's journal from DIR (journalctl --directory), e.g. the lab's",
  },
  dbus: {
    flag: 'dbus',
    type: 'string',
    arg: 'ADDRESS',
    node: true,
    help: "systemd's D-Bus (default: $DBUS_SYSTEM_BUS_ADDRESS, else the system bus)",
  },
  kubeletUnit: {
    flag: 'kubelet-unit',
    type: 'string',
    arg: 'UNIT',
    node: true,
    help: "kubelet's systemd unit (default: kubelet.service)",
    parse: unitName,
  },
  readOnly: {
    flag: 'read-only',
    type: 'boolean',
    node: true,
    help: 'refuse every change; the TUI hides every action',
  },
  json: { flag: 'json', type: 'boolean', help: 'machine-readable output (every command but tui)' },
  follow: { flag: 'follow', short: 'f', type: 'boolean', commands: ['logs'], help: 'follow the log' },
  tail: {
    flag: 'tail',
    type: 'string',
    arg: 'N',
    commands: ['logs'],
    help: 'the last N lines (looking back at most 16 MiB; without --tail, the whole log)',
    parse: wholeNumber('--tail'),
  },
  container: {
    flag: 'container',
    short: 'c',
    type: 'string',
    arg: 'C',
    commands: ['logs'],
    help: "the pod's container C (default: its first)",
  },
  yes: {
    flag: 'yes',
    short: 'y',
    type: 'boolean',
    commands: ['stop', 'restart', 'restart-unit', 'revert', 'edit', 'certs', 'etcd'],
    help: 'do not ask first',
  },
  force: {
    flag: 'force',
    type: 'boolean',
    commands: ['stop', 'restart', 'etcd'],
    help: 'stop: an enabled pod too; restart: etcd even when its peers would lose quorum; etcd restore: one member of several',
  },
  all: {
    flag: 'all',
    type: 'boolean',
    commands: ['restart', 'certs'],
    help: "restart: every enabled static pod, in kubeadm's order (etcd, apiserver, controller manager, scheduler, others); certs renew: every certificate kubeadm renews",
  },
  method: {
    flag: 'method',
    type: 'string',
    arg: 'M',
    commands: ['restart'],
    help: 'auto (default: from what the node shows), runtime (stop its containers) or move (manifest out and back)',
    parse: restartMethod,
  },
  skipSnapshot: {
    flag: 'skip-snapshot',
    type: 'boolean',
    commands: ['restart'],
    help: 'restart etcd without taking a snapshot first (etcd does not answer, or the disk is full)',
  },
  cordon: {
    flag: 'cordon',
    type: 'boolean',
    commands: ['restart'],
    help: 'mark this node unschedulable for the restart (admin.conf), schedulable again after it; skipped while the API server is down',
  },
  gateTimeout: {
    flag: 'gate-timeout',
    type: 'string',
    arg: 'SECONDS',
    commands: ['restart', 'revert', 'edit', 'certs', 'etcd'],
    help: 'how long each pod has to pass its gate (default 120)',
    parse: wholeNumber('--gate-timeout'),
  },
  attach: {
    flag: 'attach',
    type: 'boolean',
    commands: ['restart'],
    help: 'follow the restart that runs now (or show how the last one ended)',
  },
  cancel: {
    flag: 'cancel',
    type: 'boolean',
    commands: ['restart'],
    help: 'stop the restart that runs now: it puts back what it took away',
  },
  resume: {
    flag: 'resume',
    type: 'boolean',
    commands: ['restart'],
    help: 'continue the last restart that did not finish, from its first step not done',
  },
  rollback: {
    flag: 'rollback',
    type: 'boolean',
    commands: ['restart'],
    help: 'undo the steps the last unfinished restart did: every manifest in place, its pod running',
  },
  timeout: {
    flag: 'timeout',
    type: 'string',
    arg: 'SECONDS',
    commands: ['stop'],
    help: 'the grace period before SIGKILL (default 10)',
    parse: wholeNumber('--timeout'),
  },
  wait: {
    flag: 'wait',
    type: 'boolean',
    commands: ['disable', 'enable'],
    help: 'wait until the runtime shows kubelet followed (stopped / running)',
  },
  out: {
    flag: 'out',
    type: 'string',
    arg: 'FILE',
    commands: ['snapshot'],
    help: 'write the snapshot to FILE (never overwritten) instead of <state-dir>/snapshots',
  },
  keepSnapshots: {
    flag: 'keep-snapshots',
    type: 'string',
    arg: 'N',
    commands: ['snapshot', 'restart', 'etcd'],
    help: 'how many snapshots <state-dir>/snapshots keeps (default 5; the newest always)',
    parse: wholeNumber('--keep-snapshots'),
  },
  record: {
    flag: 'record',
    type: 'boolean',
    commands: ['history'],
    help: 'record every manifest (and kubeadm backup) in the history once, and exit (what the path unit runs)',
  },
  installWatch: {
    flag: 'install-watch',
    type: 'boolean',
    commands: ['history'],
    help: 'install and start a systemd path unit that records every change of the manifest directory',
  },
  removeWatch: {
    flag: 'remove-watch',
    type: 'boolean',
    commands: ['history'],
    help: 'stop, disable and remove that path unit',
  },
  to: {
    flag: 'to',
    type: 'string',
    arg: 'SHA',
    commands: ['revert'],
    help: 'put back this version (a sha256 or a unique prefix, from `breakglass history`) instead of the last known healthy',
  },
  noRestart: {
    flag: 'no-restart',
    type: 'boolean',
    commands: ['certs'],
    help: 'renew only: restart nothing, and say which pods still hold the old certificates',
  },
  days: {
    flag: 'days',
    type: 'string',
    arg: 'N',
    commands: ['certs'],
    help: 'renewed certificates are valid N days from now (default 365, as kubeadm)',
    parse: wholeNumber('--days'),
  },
  help: { flag: 'help', short: 'h', type: 'boolean', help: 'this help' },
  version: { flag: 'version', type: 'boolean', help: 'the version and the commit it was built from' },
} as const satisfies Record<string, FlagSpec>;

export type FlagKey = keyof typeof FLAGS;

type ValueOf<S> = S extends { parse: (text: string) => infer R }
  ? R | undefined
  : S extends { type: 'boolean' }
    ? boolean
    : string | undefined;

export type Flags = { -readonly [K in FlagKey]: ValueOf<(typeof FLAGS)[K]> };

export function parseFlags(argv: string[]): { flags: Flags; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const spec of Object.values(FLAGS) as FlagSpec[]) {
    options[spec.flag] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const flags: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(FLAGS) as [FlagKey, FlagSpec][]) {
    const value = parsed.values[spec.flag];
    if (spec.type === 'boolean') flags[key] = value === true;
    else flags[key] = typeof value === 'string' && spec.parse ? spec.parse(value) : value;
  }
  return { flags: flags as Flags, positionals: parsed.positionals };
}

/** The flags that point a child breakglass at the same node, as they were given. */
export function nodeFlagArgs(flags: Flags): string[] {
  const out: string[] = [];
  for (const [key, spec] of Object.entries(FLAGS) as [FlagKey, FlagSpec][]) {
    if (!spec.node) continue;
    const value = flags[key];
    if (value === undefined || value === false) continue;
    out.push(`--${spec.flag}`, ...(value === true ? [] : [String(value)]));
  }
  return out;
}

/** The flags of `command` that were given, as they would be typed again (for a run started anew). */
export function commandFlagArgs(flags: Flags, command: string, except: readonly FlagKey[] = []): string[] {
  const out: string[] = [];
  for (const [key, spec] of Object.entries(FLAGS) as [FlagKey, FlagSpec][]) {
    if (!spec.commands?.includes(command) || except.includes(key)) continue;
    const value = flags[key];
    if (value === undefined || value === false) continue;
    out.push(`--${spec.flag}`, ...(value === true ? [] : [String(value)]));
  }
  return out;
}

/** "  --state-dir DIR     lock, intent log ..." for every flag of `command` (null: the global ones). */
export function flagHelp(command: string | null): string[] {
  return (Object.values(FLAGS) as FlagSpec[])
    .filter((spec) => (command === null ? !spec.commands : spec.commands?.includes(command)))
    .map((spec) => {
      const name = `${spec.short ? `-${spec.short}, ` : ''}--${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`;
      return `  ${name.padEnd(24)}${spec.help}`;
    });
}

/** "[--follow|-f] [--tail N]": the flags only `command` takes, for its usage line. */
export function flagSynopsis(command: string): string {
  return (Object.values(FLAGS) as FlagSpec[])
    .filter((spec) => spec.commands?.includes(command))
    .map((spec) => `[--${spec.flag}${spec.short ? `|-${spec.short}` : ''}${spec.arg ? ` ${spec.arg}` : ''}]`)
    .join(' ');
}
