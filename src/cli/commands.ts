// Every command, once: its name, what it takes, one line of help, and the module that runs it (loaded
// only when it runs, so `status` never loads React and `lint` never loads a runtime client). A new
// command is an entry here and a module in src/cli/commands/.

import type { CliArgs } from './args.js';
import type { Io } from './io.js';

export interface CommandSpec {
  name: string;
  /** What follows the name: nothing, one NAME, or any number of them. */
  takes: 'nothing' | 'a name' | 'names';
  summary: string;
  /** More lines under the summary in the usage. */
  details?: string[];
  run(args: CliArgs, io: Io): Promise<number>;
}

/** The modules, loaded when a command runs (each import in one place, so it can be loaded ahead too). */
const load = {
  tui: () => import('./commands/tui.js'),
  status: () => import('./commands/status.js'),
  doctor: () => import('./commands/doctor.js'),
  lint: () => import('./commands/lint.js'),
  move: () => import('./commands/move.js'),
  restart: () => import('./commands/restart.js'),
  recover: () => import('./commands/recover.js'),
  logs: () => import('./commands/logs.js'),
  stop: () => import('./commands/stop.js'),
  restartUnit: () => import('./commands/restart-unit.js'),
  snapshot: () => import('./commands/snapshot.js'),
  history: () => import('./commands/history.js'),
  revert: () => import('./commands/revert.js'),
  certs: () => import('./commands/certs.js'),
  edit: () => import('./commands/edit.js'),
  etcd: () => import('./commands/etcd.js'),
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'tui',
    takes: 'nothing',
    summary: 'the full-screen view of this node, with its actions (status when not on a terminal)',
    run: async (args, io) => (await load.tui()).tui(args, io),
  },
  {
    name: 'status',
    takes: 'nothing',
    summary: 'where things are on this node, and every static pod (enabled or disabled) with its phase',
    run: async (args, io) => (await load.status()).status(args, io),
  },
  {
    name: 'doctor',
    takes: 'nothing',
    summary: 'what is wrong on this node, the most likely root cause first: its evidence, what fails',
    details: ['because of it, and the fix (exit 0 when nothing is wrong)'],
    run: async (args, io) => (await load.doctor()).doctor(args, io),
  },
  {
    name: 'lint',
    takes: 'nothing',
    summary: 'findings about the manifest directory, as kubelet would load it',
    run: async (args, io) => (await load.lint()).lint(args, io),
  },
  {
    name: 'disable',
    takes: 'a name',
    summary: "move a static pod's manifest out to the holding directory (kubelet stops it)",
    run: async (args, io) => (await load.move()).move('disable', args, io),
  },
  {
    name: 'enable',
    takes: 'a name',
    summary: 'move it back into the manifest directory (kubelet starts it)',
    run: async (args, io) => (await load.move()).move('enable', args, io),
  },
  {
    name: 'restart',
    takes: 'names',
    summary: "restart static pods one at a time in kubeadm's order, each gated on its health,",
    details: ['an etcd snapshot first; survives the terminal closing and kill -9 (--resume)'],
    run: async (args, io) => (await load.restart()).restart(args, io),
  },
  {
    name: 'recover',
    takes: 'nothing',
    summary: 'finish or undo a change that was interrupted (kill -9, power cut)',
    run: async (args, io) => (await load.recover()).recoverCommand(args, io),
  },
  {
    name: 'logs',
    takes: 'a name',
    summary: "a static pod's container log, from the runtime or straight from its files",
    run: async (args, io) => (await load.logs()).logs(args, io),
  },
  {
    name: 'stop',
    takes: 'a name',
    summary: "stop a pod's containers and sandbox through the runtime, for a kubelet that",
    details: ['ignores a removed manifest'],
    run: async (args, io) => (await load.stop()).stop(args, io),
  },
  {
    name: 'restart-unit',
    takes: 'a name',
    summary: "restart kubelet's unit or the runtime's over D-Bus, and wait until it is active",
    run: async (args, io) => (await load.restartUnit()).restartUnitCommand(args, io),
  },
  {
    name: 'snapshot',
    takes: 'nothing',
    summary: "an etcd snapshot through etcd's Maintenance API, checked (hash, size, revision)",
    run: async (args, io) => (await load.snapshot()).snapshot(args, io),
  },
  {
    name: 'history',
    takes: 'names',
    summary: "a static pod manifest's versions, newest first, each with its diff and whether its pod",
    details: ['ran healthy on it; --record, --install-watch, --remove-watch take no NAME'],
    run: async (args, io) => (await load.history()).history(args, io),
  },
  {
    name: 'revert',
    takes: 'a name',
    summary: 'put back the last version of a manifest its pod ran healthy on (or --to SHA), crash-safe,',
    details: ['then wait for a new container and its probe'],
    run: async (args, io) => (await load.revert()).revert(args, io),
  },
  {
    name: 'edit',
    takes: 'a name',
    summary: '$EDITOR on a copy of a manifest (outside the manifest directory); linted, its diff shown,',
    details: ['swapped in crash-safely on confirmation, then watched until healthy (revert offered)'],
    run: async (args, io) => (await load.edit()).edit(args, io),
  },
  {
    name: 'certs',
    takes: 'names',
    summary: "kubeadm's certificates: expiry, signer, who uses each; `certs renew [NAME...|--all]` renews",
    details: [
      "them by kubeadm's rules (backed up first, crash-safe), then restarts the pods that use them, gated",
    ],
    run: async (args, io) => (await load.certs()).certs(args, io),
  },
  {
    name: 'etcd',
    takes: 'names',
    summary: "this node's etcd member and its cluster, from etcd's API: leader, quorum, each member's",
    details: [
      'health, the database against its quota, the alarms (exit 1 when any needs acting on);',
      '`etcd reclaim` (snapshot, compact, defragment, disarm NOSPACE), `etcd defrag`, `etcd disarm`,',
      '`etcd restore FILE` (a single member put back on a snapshot, the old data kept aside)',
    ],
    run: async (args, io) => (await load.etcd()).etcd(args, io),
  },
];

export function commandNamed(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/**
 * Every module a command loads lazily, loaded now: for a caller about to drop its privileges, whose
 * later imports must not need to read the (root-only) files again. The TUI's (React, Ink) stays out.
 */
export async function preloadCommands(): Promise<void> {
  const { tui, ...commands } = load;
  const once = () => import('../store/once.js').then((m) => m.preloadRuntimeReader());
  const docker = () => import('../clients/docker.js').then((m) => m.loadDockerode());
  await Promise.all([...Object.values(commands).map((f) => f()), once(), docker()]);
}
