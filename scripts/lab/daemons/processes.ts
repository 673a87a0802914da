// The daemons as processes: spawned detached (their own session, so they outlive `npm run lab -- up`),
// awaited until they answer, terminated; and the lab's leftover runtime processes killed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../packages.js';
import type { LabPaths } from './paths.js';
import {
  descendantsOf,
  isAlive,
  labRuntimeProcesses,
  listProcesses,
  mentionsDir,
  readCmdline,
} from './proc.js';

/** The daemons find runc, the shims and dockerd's containerd on PATH: only Debian's binaries. */
const DAEMON_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
const KILL_TIMEOUT_MS = 5_000;
const POLL_MS = 100;
const LOG_TAIL_LINES = 30;

/** In the lab dir: a relative path a client sends (a CRI log_directory) then lands there, not in our cwd. */
export function spawnDetached(command: string, args: string[], paths: LabPaths, logFile: string): number {
  fs.accessSync(command, fs.constants.X_OK);
  const logFd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: paths.dir,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { PATH: DAEMON_PATH, HOME: '/root', LANG: 'C.UTF-8' },
    });
    // A failed exec is reported here; waitUntilAnswering then sees the process gone and shows the log.
    child.on('error', (error) => fs.appendFileSync(logFile, `spawn ${command}: ${error.message}\n`));
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    fs.closeSync(logFd);
  }
}

export async function waitUntilAnswering(
  name: string,
  pid: number,
  logFile: string,
  answers: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers()) return;
    if (!isAlive(pid)) throw new Error(`${name} (pid ${pid}) exited before answering\n${logTail(logFile)}`);
    await sleep(POLL_MS);
  }
  throw new Error(
    `${name} (pid ${pid}) did not answer within ${START_TIMEOUT_MS / 1000} s\n${logTail(logFile)}`,
  );
}

export function logTail(logFile: string, lines = LOG_TAIL_LINES): string {
  let text: string;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return `(no log at ${logFile})`;
  }
  const tail = text.trimEnd().split('\n').slice(-lines);
  return `last ${tail.length} lines of ${logFile}:\n${tail.join('\n')}`;
}

export function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** SIGTERM, wait, SIGKILL: only a pid that still names the lab dir (a stale pid file may name another process). */
export async function terminate(name: string, pid: number | null, dir: string, log: Log): Promise<void> {
  if (pid === null || !isAlive(pid) || !mentionsDir(readCmdline(pid), dir)) return;
  signal(pid, 'SIGTERM');
  if (await waitUntilGone([pid], STOP_TIMEOUT_MS)) {
    log(`${name} (pid ${pid}) stopped`);
    return;
  }
  signal(pid, 'SIGKILL');
  await waitUntilGone([pid], KILL_TIMEOUT_MS);
  log(`${name} (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s: killed`);
}

/**
 * Shims name the lab dir (their containerd's address) on their command lines; containers run under them.
 * Returns the pids that survived SIGKILL.
 */
export async function killLeftoverProcesses(dir: string, log: Log): Promise<number[]> {
  const processes = listProcesses();
  const roots = labRuntimeProcesses(dir, processes).map((p) => p.pid);
  if (roots.length === 0) return [];
  const pids = [...roots, ...descendantsOf(roots, processes)];
  for (const pid of pids) signal(pid, 'SIGKILL');
  await waitUntilGone(pids, KILL_TIMEOUT_MS);
  log(`killed ${pids.length} leftover process(es): ${pids.join(' ')}`);
  return pids.filter(isAlive);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

async function waitUntilGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}
