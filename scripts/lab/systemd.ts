// The lab's systemd: systemd cannot be PID 1 on these machines, but it runs as PID 1 of a container in the
// lab's dockerd. The host reaches it as breakglass reaches a real node's systemd: D-Bus on
// <dir>/dbus/system_bus_socket (bind-mounted as the container's /run/dbus) and the persistent journal in
// <dir>/journal (the container's /var/log/journal), read with `journalctl --directory`.
//
// Here the container is started (systemd booted, its journal made persistent) and removed. The parts are
// in systemd/: apt-sources.ts and rootfs.ts (the debootstrapped root file system), image.ts (the image in
// the lab's dockerd), container.ts (the container through the docker CLI), units.ts (unit files,
// systemctl), containerd-service.ts (a CRI containerd as containerd.service), cgroups.ts (the cgroups its
// containers leave behind).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabPaths } from './daemons/paths.js';
import type { Log } from './packages.js';
import { removeEmptyCgroups, runtimeCgroupPaths } from './systemd/cgroups.js';
import {
  containerState,
  docker,
  dockerExec,
  dockerRaw,
  removeContainer,
  SYSTEMD_CONTAINER,
  writeFileInContainer,
} from './systemd/container.js';
import { containerdServicePaths } from './systemd/containerd-service.js';
import { SYSTEMD_IMAGE } from './systemd/image.js';
import { systemctl } from './systemd/units.js';

const JOURNALD_DROP_IN = '/etc/systemd/journald.conf.d/breakglass-lab.conf';
const BOOT_TIMEOUT_MS = 30_000;
const POLL_MS = 200;

export interface BindMount {
  source: string;
  /** Defaults to source: the same path inside as outside. */
  target?: string;
  readonly?: boolean;
}

export interface StartSystemdOptions {
  /** Extra bind mounts: typically the lab dir, and the project read-only, each at the same path. */
  mounts?: BindMount[];
  log?: Log;
}

export interface LabSystemd {
  /** For DBUS_SYSTEM_BUS_ADDRESS or `busctl --address`. */
  dbusAddress: string;
  /** For `journalctl --directory`. */
  journalDir: string;
  container: string;
}

export function labSystemdPaths(paths: LabPaths): {
  dbusDir: string;
  journalDir: string;
  dbusAddress: string;
} {
  const dbusDir = path.join(paths.dir, 'dbus');
  return {
    dbusDir,
    journalDir: path.join(paths.dir, 'journal'),
    dbusAddress: `unix:path=${path.join(dbusDir, 'system_bus_socket')}`,
  };
}

/**
 * Runs systemd as PID 1 of SYSTEMD_CONTAINER (or reuses the one running), waits until it has booted and
 * makes its journal persistent, so the host reads it in journalDir.
 */
export async function startLabSystemd(
  paths: LabPaths,
  { mounts = [], log = () => {} }: StartSystemdOptions = {},
): Promise<LabSystemd> {
  const { dbusDir, journalDir, dbusAddress } = labSystemdPaths(paths);
  const result = { dbusAddress, journalDir, container: SYSTEMD_CONTAINER };
  if (containerState(paths) === 'running' && bootState(paths) !== null) {
    log(`${SYSTEMD_CONTAINER}: already running`);
    return result;
  }
  removeContainer(paths);
  fs.mkdirSync(dbusDir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(journalDir, { recursive: true, mode: 0o755 });
  const started = Date.now();
  docker(paths, ['run', ...containerArgs(paths, mounts), SYSTEMD_IMAGE, '/lib/systemd/systemd']);
  const state = await waitForBoot(paths);
  makeJournalPersistent(paths);
  log(`${SYSTEMD_CONTAINER}: systemd is ${state} (${Date.now() - started} ms); D-Bus at ${dbusAddress}`);
  return result;
}

function containerArgs(paths: LabPaths, mounts: BindMount[]): string[] {
  const { dbusDir, journalDir } = labSystemdPaths(paths);
  const binds = mounts.flatMap((m) => [
    '-v',
    `${m.source}:${m.target ?? m.source}${m.readonly ? ':ro' : ''}`,
  ]);
  return [
    '-d',
    '--name',
    SYSTEMD_CONTAINER,
    '--network',
    'host',
    '--cap-add',
    'SYS_ADMIN',
    '--security-opt',
    'seccomp=unconfined',
    '-v',
    `${dbusDir}:/run/dbus`,
    '-v',
    `${journalDir}:/var/log/journal`,
    '--tmpfs',
    '/run',
    '--tmpfs',
    '/run/lock',
    '-v',
    '/sys/fs/cgroup:/sys/fs/cgroup:ro',
    '-e',
    'container=docker',
    ...binds,
  ];
}

/** `systemctl is-system-running`: running or degraded once booted; null while it cannot answer. */
function bootState(paths: LabPaths): string | null {
  const result = dockerExec(paths, ['systemctl', 'is-system-running']);
  const state = result.stdout.trim();
  return state === 'running' || state === 'degraded' ? state : null;
}

async function waitForBoot(paths: LabPaths): Promise<string> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const state = bootState(paths);
    if (state) return state;
    if (containerState(paths) !== 'running') {
      throw new Error(`${SYSTEMD_CONTAINER} exited while systemd booted\n${containerReport(paths)}`);
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `systemd in ${SYSTEMD_CONTAINER} did not reach running or degraded within ${BOOT_TIMEOUT_MS / 1000} s\n${containerReport(paths)}`,
  );
}

/** The volume is there from the start, but Storage=persistent says so, and the restart opens files in it. */
function makeJournalPersistent(paths: LabPaths): void {
  writeFileInContainer(paths, JOURNALD_DROP_IN, '[Journal]\nStorage=persistent\n');
  systemctl(paths, ['restart', 'systemd-journald.service']);
}

/** What went wrong, for an error message: state, docker logs, the journal's and failed units' tails. */
function containerReport(paths: LabPaths): string {
  const state = containerState(paths) ?? 'gone';
  const logs = dockerRaw(paths, ['logs', '--tail', '30', SYSTEMD_CONTAINER]);
  const journal = dockerExec(paths, ['journalctl', '--no-pager', '-n', '30']);
  const failed = dockerExec(paths, ['systemctl', '--no-pager', '--failed']);
  return [
    `container state: ${state}`,
    `docker logs:\n${(logs.stdout + logs.stderr).trim() || '(empty)'}`,
    `journal:\n${(journal.stdout + journal.stderr).trim()}`,
    `failed units:\n${(failed.stdout + failed.stderr).trim()}`,
  ].join('\n');
}

/**
 * Removes the container: with its PID 1 every process in it dies (units, containerd.service, its shims and
 * containers), and its mounts go with its mount namespace. The cgroups containerd.service's containers had
 * (runc puts them at the hierarchies' roots, /k8s.io/<id>, outside the container's) are removed once empty.
 * The journal stays (a node's persistent journal); the D-Bus dir, whose socket nothing answers any more, goes.
 */
export async function stopLabSystemd(paths: LabPaths, log: Log = () => {}): Promise<void> {
  const state = containerState(paths);
  const cgroups = runtimeCgroupPaths(containerdServicePaths(paths).containerdState);
  if (state !== null) {
    // Everything journald holds goes to disk first: the kill below gives it no time to.
    if (state === 'running') dockerExec(paths, ['journalctl', '--sync']);
    removeContainer(paths);
    if (containerState(paths) !== null) throw new Error(`${SYSTEMD_CONTAINER} could not be removed`);
    log(`${SYSTEMD_CONTAINER}: removed`);
  }
  await removeEmptyCgroups(cgroups);
  fs.rmSync(labSystemdPaths(paths).dbusDir, { recursive: true, force: true });
}
