import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export const COMMANDS = ['tui', 'status', 'lint', 'disable', 'enable', 'recover', 'logs', 'stop'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  command: Command | 'help' | 'version';
  target: string | null;
  json: boolean;
  readOnly: boolean;
  root: string | undefined;
  manifests: string | undefined;
  holding: string | undefined;
  stateDir: string | undefined;
  nodeName: string | undefined;
  runtime: string | undefined;
  pki: string | undefined;
  etcdDataDir: string | undefined;
  podLogs: string | undefined;
  journalDir: string | undefined;
  dbus: string | undefined;
  kubeletUnit: string;
  follow: boolean;
  tail: number | undefined;
  container: string | undefined;
  yes: boolean;
  force: boolean;
  graceSeconds: number;
}

export const USAGE = `usage: breakglass [command] [flags]

The static pods of this Kubernetes control-plane node, read from the node itself: it never needs the
API server.

commands:
  (none), tui         the full-screen view of this node, with its actions (status when not on a terminal)
  status              where things are on this node, and every static pod (enabled or disabled)
  lint                findings about the manifest directory, as kubelet would load it
  disable NAME        move a static pod's manifest out to the holding directory (kubelet stops it)
  enable NAME         move it back into the manifest directory (kubelet starts it)
  recover             finish or undo a change that was interrupted (kill -9, power cut)
  logs NAME           a static pod's container log, from the runtime or straight from its files
                      [--follow|-f] [--tail N] [--container|-c C]
  stop NAME           stop a pod's containers and sandbox through the runtime, for a kubelet that
                      ignores a removed manifest [--yes|-y] [--force] [--timeout SECONDS]
NAME is a manifest file name (kube-scheduler.yaml), a pod name (kube-scheduler) or a mirror pod name.

flags:
  --root DIR          treat DIR as the node's root file system (rescue shell, debug container)
  --manifests DIR     the static pod directory (default: from kubelet's configuration)
  --holding DIR       where disabled manifests wait (default: /etc/kubernetes/breakglass/disabled)
  --state-dir DIR     lock, intent log and audit log (default: /var/lib/breakglass)
  --node-name NAME    the node name kubelet uses (default: --hostname-override, else the host name)
  --runtime ENDPOINT  the container runtime endpoint (default: kubelet's --container-runtime-endpoint)
  --pki DIR           the cluster's certificates (default: /etc/kubernetes/pki)
  --etcd-data-dir DIR etcd's data directory (default: --data-dir in the etcd manifest)
  --pod-logs DIR      kubelet's pod log directory (default: podLogsDir, else /var/log/pods)
  --journal-dir DIR   read kubelet's journal from DIR (journalctl --directory), e.g. the lab's
  --dbus ADDRESS      systemd's D-Bus (default: $DBUS_SYSTEM_BUS_ADDRESS, else the system bus)
  --kubelet-unit UNIT kubelet's systemd unit (default: kubelet.service)
  --read-only         refuse every change; the TUI hides every action
  --json              machine-readable output (status, lint, disable, enable, recover)
  -h, --help          this help
  --version           the version

exit codes: 0 fine, 1 problems found or change refused, 2 usage error`;

export function parseCli(argv: string[]): CliArgs {
  let parsed: ReturnType<typeof parseWithOptions>;
  try {
    parsed = parseWithOptions(argv);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const base = {
    json: values.json ?? false,
    readOnly: values['read-only'] ?? false,
    root: values.root,
    manifests: values.manifests,
    holding: values.holding,
    stateDir: values['state-dir'],
    nodeName: values['node-name'],
    runtime: values.runtime,
    pki: values.pki,
    etcdDataDir: values['etcd-data-dir'],
    podLogs: values['pod-logs'],
    journalDir: values['journal-dir'],
    dbus: values.dbus,
    kubeletUnit: unitName(values['kubelet-unit'] ?? 'kubelet.service'),
    follow: values.follow ?? false,
    tail: values.tail === undefined ? undefined : wholeNumber('--tail', values.tail),
    container: values.container,
    yes: values.yes ?? false,
    force: values.force ?? false,
    graceSeconds: values.timeout === undefined ? 10 : wholeNumber('--timeout', values.timeout),
  };
  if (values.help) return { ...base, command: 'help', target: null };
  if (values.version) return { ...base, command: 'version', target: null };
  const [command = defaultCommand(), ...rest] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command "${command}"`);
  const needsTarget =
    command === 'disable' || command === 'enable' || command === 'logs' || command === 'stop';
  if (needsTarget && rest.length !== 1)
    throw new UsageError(`${command} takes one NAME (a manifest file or pod name)`);
  if (!needsTarget && rest.length > 0)
    throw new UsageError(`${command} takes no argument, got "${rest.join(' ')}"`);
  return { ...base, command: command as Command, target: needsTarget ? rest[0]! : null };
}

/** The TUI on a terminal; the plain status report for scripts, pipes and CI. */
function defaultCommand(): Command {
  return process.stdout.isTTY && process.stdin.isTTY ? 'tui' : 'status';
}

function unitName(text: string): string {
  if (!/^[A-Za-z0-9:_.\\@-]+$/.test(text)) throw new UsageError(`--kubelet-unit: not a unit name: "${text}"`);
  return text.includes('.') ? text : `${text}.service`;
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} takes a whole number, got "${text}"`);
  return Number(text);
}

function parseWithOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      'read-only': { type: 'boolean' },
      root: { type: 'string' },
      manifests: { type: 'string' },
      holding: { type: 'string' },
      'state-dir': { type: 'string' },
      'node-name': { type: 'string' },
      runtime: { type: 'string' },
      pki: { type: 'string' },
      'etcd-data-dir': { type: 'string' },
      'pod-logs': { type: 'string' },
      'journal-dir': { type: 'string' },
      dbus: { type: 'string' },
      'kubelet-unit': { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      tail: { type: 'string' },
      container: { type: 'string', short: 'c' },
      yes: { type: 'boolean', short: 'y' },
      force: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}
