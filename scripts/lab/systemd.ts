// The lab's systemd: systemd cannot be PID 1 on these machines, but it runs as PID 1 of a container in the
// lab's dockerd. The host reaches it as breakglass reaches a real node's systemd: D-Bus on
// <dir>/dbus/system_bus_socket (bind-mounted as the container's /run/dbus) and the persistent journal in
// <dir>/journal (the container's /var/log/journal), read with `journalctl --directory`.
//
// The image is a debootstrap root file system, built once per machine and cached as a tarball (about a
// minute to build, seconds to import into each new lab's dockerd). It holds Debian's containerd and runc
// too, so the lab can run its CRI runtime as a real containerd.service (startContainerdService).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerdConfig, ctr, dockerGet, type LabPaths, mountsUnder, runChecked } from './daemons.js';
import { ensureLabImages } from './images.js';
import { ensureDebianPackages, type Log } from './packages.js';

export const SYSTEMD_IMAGE = 'local/systemd:1';
export const SYSTEMD_CONTAINER = 'breakglass-lab-systemd';
export const DEFAULT_LAB_CACHE = '/var/cache/breakglass-lab';
/** A directory that replaces DEFAULT_LAB_CACHE. */
export const LAB_CACHE_VARIABLE = 'BREAKGLASS_LAB_CACHE';

const SUITE = 'bookworm';
const ROOTFS_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'containerd', 'runc'];
const DEBOOTSTRAP_ARGS = ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, SUITE];
/** Bump when prepareRootfs changes: a cached tarball or an imported image of another recipe is rebuilt. */
const RECIPE = `debootstrap ${DEBOOTSTRAP_ARGS.join(' ')}; prepared v1`;
const RECIPE_LABEL = 'breakglass.lab.recipe';
const CACHE_TARBALL = 'systemd-rootfs.tar';

const DOCKER_CLI = '/usr/bin/docker';
const APT_SOURCES_LIST = '/etc/apt/sources.list';
const APT_SOURCES_DIR = '/etc/apt/sources.list.d';
const UNIT_DIR = '/etc/systemd/system';
const JOURNALD_DROP_IN = '/etc/systemd/journald.conf.d/breakglass-lab.conf';
const CONTAINERD_UNIT = 'containerd.service';
/** Where Debian's containerd.service (ExecStart=/usr/bin/containerd) reads its config: as on a node. */
const CONTAINERD_CONFIG_IN_CONTAINER = '/etc/containerd/config.toml';

const BOOT_TIMEOUT_MS = 30_000;
const CONTAINERD_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
const EXEC_TIMEOUT_MS = 30_000;
const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP_REMOVE_TRIES = 25;

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

export interface ContainerdService {
  unit: string;
  /** The CRI endpoint, on the host and inside the container alike. */
  socket: string;
  /** runc's state root for CRI's containers (`ctr run --runc-root`). */
  runcRoot: string;
  /** The config file inside the container (Debian's unit reads the default path). */
  configFile: string;
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

// ---------------------------------------------------------------------------------------------
// The Debian mirror, from this machine's apt configuration

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

/** One-line style: `deb [ options ] uri suite [component...]`; comments and other types are dropped. */
export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, ' ')
      .trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (!type || !uri || !suite) continue;
    sources.push({ types: [type], uris: [uri], suites: [suite], components });
  }
  return sources;
}

/** deb822 style (*.sources): stanzas of `Field: value` separated by blank lines; `Enabled: no` drops one. */
export function parseDeb822Sources(text: string): AptSource[] {
  const stanzas = text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n')
    .split(/\n\s*\n/);
  return stanzas.map(parseDeb822Stanza).filter((source): source is AptSource => source !== null);
}

function parseDeb822Stanza(stanza: string): AptSource | null {
  const fields = new Map<string, string>();
  let current = '';
  for (const line of stanza.split('\n')) {
    if (/^\s/.test(line) && current) fields.set(current, `${fields.get(current)} ${line.trim()}`);
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    current = match[1]!.toLowerCase();
    fields.set(current, match[2]!.trim());
  }
  if (fields.get('enabled')?.toLowerCase() === 'no' || !fields.has('uris')) return null;
  const words = (name: string) => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
  return {
    types: words('types'),
    uris: words('uris'),
    suites: words('suites'),
    components: words('components'),
  };
}

/** Debian's main archive: the first `deb` source that serves `<suite> main`. */
export function findDebianMirror(sources: AptSource[], suite = SUITE): string | null {
  const found = sources.find(
    (s) => s.types.includes('deb') && s.suites.includes(suite) && s.components.includes('main'),
  );
  return found?.uris[0] ?? null;
}

/** apt's own order: sources.list, then sources.list.d's *.list and *.sources by name. */
export function readAptSources(): AptSource[] {
  const files = fs.existsSync(APT_SOURCES_DIR)
    ? fs
        .readdirSync(APT_SOURCES_DIR)
        .filter((name) => name.endsWith('.list') || name.endsWith('.sources'))
        .sort()
        .map((name) => path.join(APT_SOURCES_DIR, name))
    : [];
  return [APT_SOURCES_LIST, ...files].flatMap((file) => {
    if (!fs.existsSync(file)) return [];
    const text = fs.readFileSync(file, 'utf8');
    return file.endsWith('.sources') ? parseDeb822Sources(text) : parseOneLineSources(text);
  });
}

export function debianMirror(): string {
  const mirror = findDebianMirror(readAptSources());
  if (!mirror) {
    throw new Error(
      `no apt source serves "${SUITE} main" in ${APT_SOURCES_LIST} or ${APT_SOURCES_DIR}: debootstrap needs Debian's mirror`,
    );
  }
  return mirror;
}

// ---------------------------------------------------------------------------------------------
// The root file system, cached across labs

export function labCacheDir(): string {
  return process.env[LAB_CACHE_VARIABLE] || DEFAULT_LAB_CACHE;
}

function recipeHash(): string {
  return createHash('sha256').update(RECIPE).digest('hex').slice(0, 16);
}

/** The cached tarball, built first when missing or of another recipe. */
export async function ensureSystemdRootfsTarball(log: Log): Promise<string> {
  const tarball = path.join(labCacheDir(), CACHE_TARBALL);
  const recipeFile = `${tarball}.recipe`;
  if (fs.existsSync(tarball) && readOptional(recipeFile) === RECIPE) {
    log(`systemd root file system: cached in ${tarball}`);
    return tarball;
  }
  ensureDebianPackages(['debootstrap'], log);
  fs.mkdirSync(path.dirname(tarball), { recursive: true, mode: 0o755 });
  // A build dir of its own: two labs building at once each rename a complete tarball into place.
  const work = fs.mkdtempSync(path.join(path.dirname(tarball), 'build-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    await debootstrap(rootfs, path.join(work, 'debootstrap.out'), log);
    prepareRootfs(rootfs);
    const partial = path.join(work, CACHE_TARBALL);
    runChecked('tar', ['-C', rootfs, '--numeric-owner', '-cf', partial, '.'], 300_000);
    fs.renameSync(partial, tarball);
    fs.writeFileSync(`${recipeFile}.partial`, RECIPE);
    fs.renameSync(`${recipeFile}.partial`, recipeFile);
    log(`systemd root file system: cached in ${tarball} (${megabytes(fs.statSync(tarball).size)} MB)`);
    return tarball;
  } finally {
    removeBuildDir(work);
  }
}

async function debootstrap(rootfs: string, outputFile: string, log: Log): Promise<void> {
  const mirror = debianMirror();
  const args = [...DEBOOTSTRAP_ARGS, rootfs, mirror];
  const started = Date.now();
  log(`debootstrap ${args.join(' ')} (about a minute)`);
  const code = await runStreaming('debootstrap', args, outputFile, progressReporter(log));
  if (code !== 0) {
    throw new Error(`debootstrap exited with ${code}\n${tailOf(fs.readFileSync(outputFile, 'utf8'), 20)}`);
  }
  log(`debootstrap: done (${Date.now() - started} ms)`);
}

/** debootstrap prints a line per package and phase: report each phase the first time, and warnings and errors. */
function progressReporter(log: Log): (line: string) => void {
  const seen = new Set<string>();
  return (line) => {
    const phase = /^I: (Retrieving|Validating|Extracting|Installing|Unpacking|Configuring)\b/.exec(line)?.[1];
    if (phase && !seen.has(phase)) {
      seen.add(phase);
      log(`debootstrap: ${phase.toLowerCase()} packages...`);
    } else if (/^[WE]: /.test(line)) {
      log(`debootstrap: ${line}`);
    }
  };
}

/** Runs a command, its output to a file and, line by line, to onLine; resolves with the exit code. */
function runStreaming(
  command: string,
  args: string[],
  outputFile: string,
  onLine: (line: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const output = fs.createWriteStream(outputFile);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const onData = (chunk: Buffer) => {
      output.write(chunk);
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      output.end();
      reject(new Error(`${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      output.end(() => resolve(code ?? (signal ? 128 : 1)));
    });
  });
}

/**
 * Smaller, and as a node's: apt's downloaded packages and lists go (about 90 MB); containerd.service is
 * not started at boot (startContainerdService configures and starts it).
 */
function prepareRootfs(rootfs: string): void {
  emptyDir(path.join(rootfs, 'var/cache/apt/archives'), (name) => name.endsWith('.deb'));
  emptyDir(path.join(rootfs, 'var/lib/apt/lists'), (name) => name !== 'partial' && name !== 'lock');
  fs.rmSync(path.join(rootfs, 'etc/systemd/system/multi-user.target.wants', CONTAINERD_UNIT), {
    force: true,
  });
}

function emptyDir(dir: string, selects: (name: string) => boolean): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir).filter(selects)) {
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/** debootstrap mounts /proc and /sys (and may bind /dev) in the target: never delete through a mount. */
function removeBuildDir(work: string): void {
  for (const mountPoint of mountsUnder(work).sort((a, b) => b.length - a.length)) {
    spawnSync('umount', ['-l', mountPoint]);
  }
  const left = mountsUnder(work);
  if (left.length > 0) throw new Error(`not removing ${work}: still mounted at ${left.join(' ')}`);
  fs.rmSync(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The image

/** local/systemd:1 in the lab's dockerd, imported from the cached tarball (built first if need be). */
export async function ensureSystemdImage(paths: LabPaths, log: Log): Promise<void> {
  if ((await imageRecipe(paths)) === recipeHash()) {
    log(`${SYSTEMD_IMAGE}: present`);
    return;
  }
  const tarball = await ensureSystemdRootfsTarball(log);
  const started = Date.now();
  docker(paths, ['import', '--change', `LABEL ${RECIPE_LABEL}=${recipeHash()}`, tarball, SYSTEMD_IMAGE]);
  log(`${SYSTEMD_IMAGE}: imported into the lab's dockerd (${Date.now() - started} ms)`);
}

async function imageRecipe(paths: LabPaths): Promise<string | null> {
  const answer = await dockerGet(paths.dockerSocket, `/images/${SYSTEMD_IMAGE}/json`);
  if (answer.status !== 200) return null;
  const image = JSON.parse(answer.body) as { Config?: { Labels?: Record<string, string> | null } };
  return image.Config?.Labels?.[RECIPE_LABEL] ?? null;
}

// ---------------------------------------------------------------------------------------------
// The container

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

/** running, exited, created...; null when there is no such container. */
function containerState(paths: LabPaths): string | null {
  const result = dockerRaw(paths, ['inspect', '-f', '{{.State.Status}}', SYSTEMD_CONTAINER]);
  return result.status === 0 ? result.stdout.trim() : null;
}

// ---------------------------------------------------------------------------------------------
// Units

/** Writes /etc/systemd/system/<name> and reloads systemd; does not start the unit. */
export function installUnit(paths: LabPaths, name: string, unitText: string): void {
  if (!/^[A-Za-z0-9@_.:-]+\.(service|socket|timer|target|path|mount)$/.test(name)) {
    throw new Error(`not a unit file name: ${JSON.stringify(name)}`);
  }
  writeFileInContainer(paths, path.posix.join(UNIT_DIR, name), unitText);
  systemctl(paths, ['daemon-reload']);
}

/** Writes (or with null removes) a drop-in of a unit in the lab's systemd, then reloads it. */
export function writeDropIn(paths: LabPaths, unit: string, name: string, text: string | null): void {
  const file = path.posix.join(UNIT_DIR, `${unit}.d`, name);
  if (text === null) {
    const result = dockerExec(paths, ['rm', '-f', file]);
    if (result.status !== 0) throw new Error(`removing ${file}: ${result.stderr.trim()}`);
  } else {
    writeFileInContainer(paths, file, text);
  }
  systemctl(paths, ['daemon-reload']);
}

/** `systemctl <args>` inside the container: stdout, or an error with stderr when it exits non-zero. */
export function systemctl(paths: LabPaths, args: string[]): string {
  const result = dockerExec(paths, ['systemctl', '--no-pager', ...args]);
  if (result.status !== 0) {
    throw new Error(`systemctl ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

function writeFileInContainer(paths: LabPaths, file: string, text: string): void {
  // docker cp is no use here: it re-mounts the container's volumes, and the lab dir holds dockerd's own
  // data root, so with the lab dir bind-mounted it fails with "no space left on device".
  const script = 'mkdir -p "$(dirname "$1")" && cat > "$1"';
  const result = dockerExec(paths, ['sh', '-c', script, 'write', file], text);
  if (result.status !== 0)
    throw new Error(`writing ${file} in ${SYSTEMD_CONTAINER}: ${result.stderr.trim()}`);
}

// ---------------------------------------------------------------------------------------------
// containerd.service

export function containerdServicePaths(paths: LabPaths): LabPaths {
  const containerdDir = path.join(paths.dir, 'systemd-containerd');
  return {
    ...paths,
    containerdDir,
    containerdConfig: path.join(containerdDir, 'config.toml'),
    containerdState: path.join(containerdDir, 'state'),
    containerdSocket: path.join(containerdDir, 'containerd.sock'),
    runcRoot: path.join(containerdDir, 'runc'),
  };
}

/**
 * Runs a CRI containerd as Debian's own containerd.service in the lab's systemd, with the lab's config
 * (its root, state and socket under <dir>/systemd-containerd) at /etc/containerd/config.toml, and imports
 * the lab's images into it. It is a second containerd: the lab's dockerd, which runs this very container,
 * keeps the one the lab spawns. The lab dir must be bind-mounted at the same path (startLabSystemd's mounts).
 */
export async function startContainerdService(
  paths: LabPaths,
  log: Log = () => {},
): Promise<ContainerdService> {
  const service = containerdServicePaths(paths);
  assertLabDirMounted(paths);
  fs.mkdirSync(service.containerdDir, { recursive: true, mode: 0o755 });
  const config = containerdConfig(service);
  fs.writeFileSync(service.containerdConfig, config);
  writeFileInContainer(paths, CONTAINERD_CONFIG_IN_CONTAINER, config);
  const started = Date.now();
  systemctl(paths, ['enable', CONTAINERD_UNIT]);
  systemctl(paths, ['restart', CONTAINERD_UNIT]);
  await waitForContainerd(paths, service.containerdSocket);
  log(`${CONTAINERD_UNIT}: answers on ${service.containerdSocket} (${Date.now() - started} ms)`);
  await ensureLabImages(service, log);
  return {
    unit: CONTAINERD_UNIT,
    socket: service.containerdSocket,
    runcRoot: service.runcRoot,
    configFile: CONTAINERD_CONFIG_IN_CONTAINER,
  };
}

function assertLabDirMounted(paths: LabPaths): void {
  const result = dockerRaw(paths, [
    'inspect',
    '-f',
    '{{range .Mounts}}{{.Destination}}\n{{end}}',
    SYSTEMD_CONTAINER,
  ]);
  if (!result.stdout.split('\n').includes(paths.dir)) {
    throw new Error(
      `${SYSTEMD_CONTAINER} lacks the lab dir ${paths.dir}: pass it in startLabSystemd's mounts`,
    );
  }
}

async function waitForContainerd(paths: LabPaths, socket: string): Promise<void> {
  const deadline = Date.now() + CONTAINERD_TIMEOUT_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      assertCriLoaded(socket);
      return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(POLL_MS);
  }
  const status = dockerExec(paths, ['systemctl', '--no-pager', 'status', CONTAINERD_UNIT]);
  throw new Error(
    `${CONTAINERD_UNIT} did not answer on ${socket} within ${CONTAINERD_TIMEOUT_MS / 1000} s: ${lastError}\n${status.stdout}`,
  );
}

function assertCriLoaded(socket: string): void {
  const plugins = ctr(socket, ['plugins', 'ls']);
  const cri = plugins.split('\n').find((line) => /^io\.containerd\.grpc\.v1\s+cri\s/.test(line));
  if (!cri?.trim().endsWith('ok')) throw new Error(`CRI plugin: ${cri ?? 'not listed'}`);
}

// ---------------------------------------------------------------------------------------------
// Stopping

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

/** The cgroup path (linux.cgroupsPath) of every task bundle under a containerd state dir. */
function runtimeCgroupPaths(containerdState: string): string[] {
  const tasks = path.join(containerdState, 'io.containerd.runtime.v2.task');
  return listDir(tasks).flatMap((namespace) =>
    listDir(path.join(tasks, namespace)).flatMap((id) => {
      const config = readOptional(path.join(tasks, namespace, id, 'config.json'));
      const cgroupsPath = config ? (JSON.parse(config) as OciConfig).linux?.cgroupsPath : undefined;
      // A systemd-style "slice:prefix:name" is systemd's to remove; this lab's config uses cgroupfs paths.
      return cgroupsPath && !cgroupsPath.includes(':') ? [cgroupsPath] : [];
    }),
  );
}

interface OciConfig {
  linux?: { cgroupsPath?: string };
}

/** rmdir in every cgroup v1 hierarchy; the last processes may still be exiting, so a few tries. */
async function removeEmptyCgroups(cgroupPaths: string[]): Promise<void> {
  const hierarchies = listDir(CGROUP_ROOT).map((name) => path.join(CGROUP_ROOT, name));
  let left = hierarchies
    .flatMap((h) => cgroupPaths.map((p) => path.join(h, p)))
    .filter((d) => fs.existsSync(d));
  for (let attempt = 0; left.length > 0 && attempt < CGROUP_REMOVE_TRIES; attempt++) {
    if (attempt > 0) await sleep(POLL_MS);
    left = left.filter((dir) => !tryRmdir(dir));
  }
  if (left.length > 0)
    throw new Error(`cgroups still in use after ${SYSTEMD_CONTAINER} stopped: ${left.join(' ')}`);
}

function tryRmdir(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * SIGKILL, not systemd's own shutdown: with containerd.service's KillMode=process its shims outlive the
 * unit, and a clean halt then waits out stop timeouts (3 minutes here).
 */
function removeContainer(paths: LabPaths): void {
  const result = dockerRaw(paths, ['rm', '-f', SYSTEMD_CONTAINER]);
  if (result.status !== 0 && !/No such container/i.test(result.stderr)) {
    throw new Error(`docker rm -f ${SYSTEMD_CONTAINER}: ${result.stderr.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// docker CLI

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function dockerRaw(paths: LabPaths, args: string[], input?: string): RunResult {
  const result = spawnSync(DOCKER_CLI, ['-H', `unix://${paths.dockerSocket}`, ...args], {
    encoding: 'utf8',
    timeout: EXEC_TIMEOUT_MS,
    maxBuffer: 64 << 20,
    ...(input === undefined ? {} : { input }),
  });
  if (result.error) throw new Error(`docker ${args.join(' ')}: ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function docker(paths: LabPaths, args: string[]): string {
  const result = dockerRaw(paths, args);
  if (result.status !== 0) {
    throw new Error(`docker ${args.join(' ')} exited with ${result.status}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

function dockerExec(paths: LabPaths, command: string[], input?: string): RunResult {
  const interactive = input === undefined ? [] : ['-i'];
  return dockerRaw(paths, ['exec', ...interactive, SYSTEMD_CONTAINER, ...command], input);
}

// ---------------------------------------------------------------------------------------------

function readOptional(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function tailOf(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function megabytes(bytes: number): number {
  return Math.round(bytes / (1 << 20));
}
