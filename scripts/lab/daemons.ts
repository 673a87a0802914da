// The lab's own dockerd and containerd (with CRI): every socket, pid file, log and state directory lives
// under one lab directory, so a lab never meets the host's runtimes nor another lab.
//
// Here both are brought up and torn down, or one alone stopped and started again. The parts are in
// daemons/: paths.ts (where everything lives), clients.ts (the Engine API and the CLIs), containerd.ts and
// dockerd.ts (each daemon), processes.ts (spawning and terminating them), proc.ts (what /proc says),
// host-paths.ts (what they create outside the lab dir).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { daemonsAnswer, ignoreFailure } from './daemons/clients.js';
import {
  containerdConfig,
  removeContainerdContainers,
  removeShimSocketsLeftByKilledShims,
  startContainerd,
} from './daemons/containerd.js';
import { removeDockerContainers, startDockerd } from './daemons/dockerd.js';
import { recordHostPathsAbsent, removeHostPathsCreated } from './daemons/host-paths.js';
import { assertSocketPathsFit, type LabPaths, labPaths } from './daemons/paths.js';
import { isAlive, labRuntimeProcesses, mountsUnder, readCmdline } from './daemons/proc.js';
import { killLeftoverProcesses, readPidFile, terminate } from './daemons/processes.js';
import type { Log } from './packages.js';

/** Starts both daemons, or reuses them when both already answer; resolves once each answers. */
export async function startDaemons(dir: string, log: Log): Promise<void> {
  const paths = labPaths(dir);
  assertSocketPathsFit(paths);
  const answering = await daemonsAnswer(paths.dir);
  if (answering.docker && answering.containerd) {
    log('dockerd and containerd already answer: reusing them');
    return;
  }
  // Half a lab, or the remains of a killed one: clear it all and start clean.
  await stopDaemons(paths.dir, log);
  prepareDirectories(paths);
  recordHostPathsAbsent(paths);
  let containerdPid = await startContainerd(paths);
  if (removeContainerdContainers(paths, log) > 0) {
    // Left by a lab that was killed; CRI loaded them into memory at start, and only a restart forgets them.
    await terminate('containerd', containerdPid, paths.dir, log);
    containerdPid = await startContainerd(paths);
  }
  const dockerdPid = await startDockerd(paths);
  removeDockerContainers(paths, log);
  log(`dockerd (pid ${dockerdPid}) on ${paths.dockerSocket}`);
  log(`containerd (pid ${containerdPid}) on ${paths.containerdSocket}`);
}

/** Stops the lab's containerd alone, as `systemctl stop containerd` would: its containers keep running. */
export async function stopContainerd(dir: string, log: Log = () => {}): Promise<void> {
  const paths = labPaths(dir);
  await terminate('containerd', readPidFile(paths.containerdPidFile), paths.dir, log);
}

/** Starts the lab's containerd again after stopContainerd. */
export async function startLabContainerd(dir: string): Promise<void> {
  await startContainerd(labPaths(dir));
}

/** Stops dockerd alone, as a node's `systemctl stop docker` would (its containers stop). */
export async function stopDockerd(dir: string, log: Log = () => {}): Promise<void> {
  const paths = labPaths(dir);
  await terminate('dockerd', readPidFile(paths.dockerPidFile), paths.dir, log);
}

/** Starts the lab's dockerd again after stopDockerd. */
export async function startLabDockerd(dir: string): Promise<void> {
  await startDockerd(labPaths(dir));
}

function prepareDirectories(paths: LabPaths): void {
  for (const dir of [
    paths.dir,
    paths.dockerDataRoot,
    paths.dockerExecRoot,
    paths.containerdDir,
    paths.podLogsDir,
  ]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  // An empty config file of our own, so the host's /etc/docker/daemon.json is never read.
  fs.writeFileSync(paths.dockerConfigFile, '{}\n');
  fs.writeFileSync(paths.containerdConfig, containerdConfig(paths));
}

/**
 * Removes every container, stops both daemons (SIGTERM, then SIGKILL), kills the lab's runtime processes
 * still running (shims) and the containers under them, unmounts everything under the lab dir and removes
 * the daemons' runtime state. Throws if a process or mount survives. Works on a crashed lab too.
 * Images and the daemons' persistent state stay, so the next start is fast.
 */
export async function stopDaemons(dir: string, log: Log = () => {}): Promise<void> {
  const paths = labPaths(dir);
  const answering = await daemonsAnswer(paths.dir);
  // A daemon that answers but fails here is left to the SIGKILL sweep below.
  if (answering.docker) ignoreFailure(() => removeDockerContainers(paths, log));
  if (answering.containerd) ignoreFailure(() => removeContainerdContainers(paths, log));
  // dockerd first: it needs its containerd to shut down.
  await terminate('dockerd', readPidFile(paths.dockerPidFile), paths.dir, log);
  await terminate('containerd', readPidFile(paths.containerdPidFile), paths.dir, log);
  const survivors = await killLeftoverProcesses(paths.dir, log);
  unmountAllUnder(paths.dir, log);
  assertNothingLeftUnder(paths.dir, survivors);
  removeShimSocketsLeftByKilledShims(paths);
  removeRuntimeState(paths);
  removeHostPathsCreated(paths, log);
}

/** Deepest first; a lazy unmount, so a busy mount cannot stall the teardown. */
function unmountAllUnder(dir: string, log: Log): void {
  const mounts = mountsUnder(dir).sort((a, b) => b.length - a.length);
  if (mounts.length === 0) return;
  for (const mountPoint of mounts) {
    const result = spawnSync('umount', ['-l', mountPoint], { encoding: 'utf8' });
    // A parent's lazy unmount may already have taken a nested mount with it.
    if (result.status !== 0 && mountsUnder(dir).includes(mountPoint)) {
      throw new Error(`umount -l ${mountPoint}: ${result.stderr.trim()}`);
    }
  }
  log(`unmounted ${mounts.length} mount(s) under ${dir}`);
}

function assertNothingLeftUnder(dir: string, survivors: number[]): void {
  const left = [...labRuntimeProcesses(dir).map((p) => p.pid), ...survivors.filter(isAlive)];
  const mounts = mountsUnder(dir);
  if (left.length === 0 && mounts.length === 0) return;
  const report = [
    ...[...new Set(left)].map((pid) => `process ${pid} ${readCmdline(pid).join(' ')}`),
    ...mounts.map((m) => `mount ${m}`),
  ];
  throw new Error(`the lab in ${dir} did not stop cleanly:\n${report.join('\n')}`);
}

/** What a reboot would clear: sockets, pid files and the daemons' state dirs (never the images). */
function removeRuntimeState(paths: LabPaths): void {
  for (const file of [
    paths.dockerSocket,
    paths.dockerPidFile,
    paths.containerdSocket,
    `${paths.containerdSocket}.ttrpc`,
    paths.containerdPidFile,
  ]) {
    fs.rmSync(file, { force: true });
  }
  for (const dir of [paths.dockerExecRoot, paths.containerdState])
    fs.rmSync(dir, { recursive: true, force: true });
}
