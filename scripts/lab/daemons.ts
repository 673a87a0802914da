// The lab's own dockerd and containerd (with CRI): every socket, pid file, log and state directory lives
// under one lab directory, so a lab never meets the host's runtimes nor another lab.
//
// Daemons run detached (their own session), so they outlive `npm run lab -- up`. dockerd uses the lab's
// containerd (namespace moby; CRI's is k8s.io), as Docker uses the system containerd on a real node: the
// containerd dockerd would otherwise manage keeps its plugin state in the host's /opt/containerd.
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Log } from './packages.js';

const DOCKERD = '/usr/sbin/dockerd';
const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
/** The docker.io package's client: another docker CLI may come first on PATH (this machine has one). */
const DOCKER_CLI = '/usr/bin/docker';
/** The daemons find runc, the shims and dockerd's containerd on PATH: only Debian's binaries. */
const DAEMON_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
/** sun_path is 108 bytes. */
const MAX_SOCKET_PATH = 107;

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
const KILL_TIMEOUT_MS = 5_000;
const POLL_MS = 100;
const RUNTIME_EXECUTABLE = /^(dockerd|docker-proxy|containerd|containerd-shim.*|runc)$/;
const LOG_TAIL_LINES = 30;

/**
 * Paths outside the lab dir that the daemons create whatever their flags: containerd 1.6 shims put their
 * sockets in a hard-coded /run/containerd/s, dockerd 20.10 makes /run/docker/plugins and
 * /etc/docker/key.json. Those absent before the lab are removed again by stopDaemons (when empty).
 */
const HOST_PATHS_DAEMONS_CREATE = [
  '/run/containerd/s',
  '/run/containerd',
  '/run/docker/plugins',
  '/run/docker',
  '/etc/docker/key.json',
  '/etc/docker',
];

export interface LabPaths {
  dir: string;
  dockerSocket: string;
  dockerPidFile: string;
  dockerLog: string;
  dockerDataRoot: string;
  dockerExecRoot: string;
  dockerConfigFile: string;
  containerdSocket: string;
  containerdPidFile: string;
  containerdLog: string;
  containerdDir: string;
  containerdConfig: string;
  containerdState: string;
  /** runc's state for CRI's containers (`ctr run --runc-root` for others): its default is the host's /run. */
  runcRoot: string;
  podLogsDir: string;
  buildDir: string;
  hostPathsRecord: string;
}

export function labPaths(dir: string): LabPaths {
  const abs = path.resolve(dir);
  const containerdDir = path.join(abs, 'containerd');
  return {
    dir: abs,
    dockerSocket: path.join(abs, 'docker.sock'),
    dockerPidFile: path.join(abs, 'docker.pid'),
    dockerLog: path.join(abs, 'dockerd.log'),
    dockerDataRoot: path.join(abs, 'docker'),
    dockerExecRoot: path.join(abs, 'docker-exec'),
    dockerConfigFile: path.join(abs, 'docker-daemon.json'),
    containerdSocket: path.join(abs, 'containerd.sock'),
    containerdPidFile: path.join(abs, 'containerd.pid'),
    containerdLog: path.join(abs, 'containerd.log'),
    containerdDir,
    containerdConfig: path.join(containerdDir, 'config.toml'),
    containerdState: path.join(containerdDir, 'state'),
    runcRoot: path.join(containerdDir, 'runc'),
    // The lab node's kubelet keeps pod logs under its root (podLogsDir /var/log/pods).
    podLogsDir: path.join(abs, 'node/var/log/pods'),
    buildDir: path.join(abs, 'build'),
    hostPathsRecord: path.join(abs, 'host-paths-created.json'),
  };
}

// ---------------------------------------------------------------------------------------------
// Talking to the daemons

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A GET on the Docker Engine API over its unix socket. */
export function dockerGet(socket: string, urlPath: string, timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath: socket, path: urlPath, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out on ${socket}`)));
    request.on('error', reject);
  });
}

/** Runs the docker CLI against the lab's dockerd; returns stdout, throws with stderr on failure. */
export function dockerCli(socket: string, args: string[]): string {
  return runChecked(DOCKER_CLI, ['-H', `unix://${socket}`, ...args]);
}

/** Runs ctr against the lab's containerd; returns stdout, throws with stderr on failure. */
export function ctr(socket: string, args: string[]): string {
  return runChecked(CTR, ['--address', socket, ...args]);
}

export function runChecked(command: string, args: string[], timeoutMs = 60_000): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

async function dockerAnswers(socket: string): Promise<boolean> {
  try {
    const answer = await dockerGet(socket, '/_ping', 2_000);
    return answer.status === 200 && answer.body === 'OK';
  } catch {
    return false;
  }
}

async function containerdAnswers(socket: string): Promise<boolean> {
  if (!fs.existsSync(socket)) return false;
  try {
    await promisify(execFile)(CTR, ['--address', socket, 'version'], { timeout: 3_000 });
    return true;
  } catch {
    return false;
  }
}

export async function daemonsAnswer(dir: string): Promise<{ docker: boolean; containerd: boolean }> {
  const paths = labPaths(dir);
  const [docker, containerd] = await Promise.all([
    dockerAnswers(paths.dockerSocket),
    containerdAnswers(paths.containerdSocket),
  ]);
  return { docker, containerd };
}

// ---------------------------------------------------------------------------------------------
// Starting

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

async function startContainerd(paths: LabPaths): Promise<number> {
  const pid = spawnDetached(CONTAINERD, ['--config', paths.containerdConfig], paths, paths.containerdLog);
  fs.writeFileSync(paths.containerdPidFile, `${pid}\n`);
  await waitUntilAnswering('containerd', pid, paths.containerdLog, () =>
    containerdAnswers(paths.containerdSocket),
  );
  assertCriPluginLoaded(paths);
  return pid;
}

/** dockerd connects to the lab's containerd at start, so that one must answer first. It writes its own pid file. */
async function startDockerd(paths: LabPaths): Promise<number> {
  const pid = spawnDetached(DOCKERD, dockerdArgs(paths), paths, paths.dockerLog);
  await waitUntilAnswering('dockerd', pid, paths.dockerLog, () => dockerAnswers(paths.dockerSocket));
  return pid;
}

function assertSocketPathsFit(paths: LabPaths): void {
  const longest = `${paths.containerdSocket}.ttrpc`;
  if (longest.length > MAX_SOCKET_PATH) {
    throw new Error(
      `lab dir ${paths.dir} is too long: socket paths under it would exceed ${MAX_SOCKET_PATH} bytes`,
    );
  }
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

export function containerdConfig(paths: LabPaths): string {
  const d = paths.containerdDir;
  return `version = 2
root = "${d}/root"
state = "${paths.containerdState}"

[grpc]
  address = "${paths.containerdSocket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/local/pause:1"
  # Required on this VM: without it runc fails every RunPodSandbox ("can't get final child's PID from
  # pipe: EOF"), as the kernel refuses the -998 oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"

  # Empty CNI directories of the lab's own: host-network pods only, and no host CNI config is read.
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${d}/cni/bin"
    conf_dir = "${d}/cni/net.d"

  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    # runc's default state root is the host's /run/containerd/runc.
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "${paths.runcRoot}"
`;
}

function dockerdArgs(paths: LabPaths): string[] {
  return [
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    '--host',
    `unix://${paths.dockerSocket}`,
    '--data-root',
    paths.dockerDataRoot,
    '--exec-root',
    paths.dockerExecRoot,
    '--pidfile',
    paths.dockerPidFile,
    '--config-file',
    paths.dockerConfigFile,
    '--containerd',
    paths.containerdSocket,
  ];
}

/** In the lab dir: a relative path a client sends (a CRI log_directory) then lands there, not in our cwd. */
function spawnDetached(command: string, args: string[], paths: LabPaths, logFile: string): number {
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

async function waitUntilAnswering(
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

function assertCriPluginLoaded(paths: LabPaths): void {
  const plugins = ctr(paths.containerdSocket, ['plugins', 'ls']);
  const cri = plugins.split('\n').find((line) => /^io\.containerd\.grpc\.v1\s+cri\s/.test(line));
  if (!cri?.trim().endsWith('ok')) {
    throw new Error(
      `containerd's CRI plugin did not load: ${cri ?? 'not listed'}\n${logTail(paths.containerdLog)}`,
    );
  }
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

function recordHostPathsAbsent(paths: LabPaths): void {
  const recorded = readHostPathsRecord(paths);
  const absent = HOST_PATHS_DAEMONS_CREATE.filter((p) => recorded.includes(p) || !fs.existsSync(p));
  fs.writeFileSync(paths.hostPathsRecord, `${JSON.stringify(absent, null, 2)}\n`);
}

function readHostPathsRecord(paths: LabPaths): string[] {
  try {
    return JSON.parse(fs.readFileSync(paths.hostPathsRecord, 'utf8')) as string[];
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Stopping

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

function removeDockerContainers(paths: LabPaths, log: Log): void {
  const ids = lines(dockerCli(paths.dockerSocket, ['ps', '-aq']));
  if (ids.length === 0) return;
  dockerCli(paths.dockerSocket, ['rm', '-f', ...ids]);
  log(`docker: removed ${ids.length} container(s)`);
}

/** Kills and removes every task and container in every namespace (CRI's k8s.io, and Docker's moby if dockerd left any). */
function removeContainerdContainers(paths: LabPaths, log: Log): number {
  const socket = paths.containerdSocket;
  let removed = 0;
  for (const namespace of lines(ctr(socket, ['namespaces', 'ls', '-q']))) {
    const inNamespace = (args: string[]) => ctr(socket, ['-n', namespace, ...args]);
    for (const task of lines(inNamespace(['tasks', 'ls', '-q']))) {
      ignoreFailure(() => inNamespace(['tasks', 'rm', '-f', task]));
    }
    const containers = lines(inNamespace(['containers', 'ls', '-q']));
    if (containers.length === 0) continue;
    ignoreFailure(() => inNamespace(['containers', 'rm', ...containers]));
    log(`containerd: removed ${containers.length} container(s) in ${namespace}`);
    removed += containers.length;
  }
  return removed;
}

function lines(output: string): string[] {
  return output.split('\n').filter(Boolean);
}

function ignoreFailure(action: () => unknown): void {
  try {
    action();
  } catch {
    // What this missed, the sweep of leftover processes and mounts catches.
  }
}

function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** SIGTERM, wait, SIGKILL: only a pid that still names the lab dir (a stale pid file may name another process). */
async function terminate(name: string, pid: number | null, dir: string, log: Log): Promise<void> {
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
async function killLeftoverProcesses(dir: string, log: Log): Promise<number[]> {
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

/**
 * A shim killed with SIGKILL leaves its socket in the host's /run/containerd/s; each task bundle under the
 * lab's state dir names its shim's socket in an `address` file.
 */
function removeShimSocketsLeftByKilledShims(paths: LabPaths): void {
  const tasks = path.join(paths.containerdState, 'io.containerd.runtime.v2.task');
  for (const bundle of subdirectories(tasks).flatMap(subdirectories)) {
    const address = readFileOrEmpty(path.join(bundle, 'address')).trim();
    if (address.startsWith('unix:///run/containerd/s/'))
      fs.rmSync(address.slice('unix://'.length), { force: true });
  }
}

function subdirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.join(dir, entry.name));
  } catch {
    return [];
  }
}

function readFileOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
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

function removeHostPathsCreated(paths: LabPaths, log: Log): void {
  const created = readHostPathsRecord(paths).filter((p) => fs.existsSync(p));
  for (const hostPath of created) {
    try {
      if (fs.statSync(hostPath).isDirectory()) fs.rmdirSync(hostPath);
      else fs.rmSync(hostPath);
      log(`removed ${hostPath} (the lab's daemons created it)`);
    } catch {
      // Not empty: another lab (or a real daemon since) uses it.
    }
  }
  fs.rmSync(paths.hostPathsRecord, { force: true });
}

// ---------------------------------------------------------------------------------------------
// /proc

export interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  args: string[];
}

export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (stat) processes.push({ pid, ...stat, args: readCmdline(pid) });
  }
  return processes;
}

/**
 * Live runtime processes (daemons, shims, runc) with the lab dir in an argument. Only those: an operator's
 * `tail -f <dir>/dockerd.log`, or `lab down --dir D` itself, names the dir too and is none of the lab's.
 */
export function labRuntimeProcesses(dir: string, processes: ProcessInfo[] = listProcesses()): ProcessInfo[] {
  return processes.filter(
    (p) =>
      p.state !== 'Z' && RUNTIME_EXECUTABLE.test(path.basename(p.args[0] ?? '')) && mentionsDir(p.args, dir),
  );
}

function mentionsDir(args: string[], dir: string): boolean {
  return args.some((arg) => arg.endsWith(dir) || arg.includes(`${dir}/`));
}

function descendantsOf(roots: number[], processes: ProcessInfo[]): number[] {
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of processes) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found].filter((pid) => !roots.includes(pid));
}

/** State and parent from /proc/<pid>/stat; the command name in parentheses may itself hold spaces or ')'. */
function readStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '?', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** A zombie counts as gone: it holds nothing, and PID 1 here may take its time to reap it. */
function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** Mount points at or under dir, from /proc/self/mountinfo (field 5, with its octal escapes undone). */
export function mountsUnder(dir: string): string[] {
  const abs = path.resolve(dir);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((mountPoint) => mountPoint === abs || mountPoint.startsWith(`${abs}/`));
}
