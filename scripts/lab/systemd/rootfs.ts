// The lab's systemd root file system: debootstrapped once per machine and cached as a tarball (about a
// minute to build, seconds to import into each new lab's dockerd). It holds Debian's containerd and runc
// too, so the lab can run its CRI runtime as a real containerd.service (startContainerdService).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChecked } from '../daemons/clients.js';
import { mountsUnder } from '../daemons/proc.js';
import { ensureDebianPackages, type Log } from '../packages.js';
import { DEBIAN_SUITE, debianMirror } from './apt-sources.js';
import { CONTAINERD_UNIT } from './containerd-service.js';

export const DEFAULT_LAB_CACHE = '/var/cache/breakglass-lab';
/** A directory that replaces DEFAULT_LAB_CACHE. */
export const LAB_CACHE_VARIABLE = 'BREAKGLASS_LAB_CACHE';

const ROOTFS_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'containerd', 'runc'];
const DEBOOTSTRAP_ARGS = ['--variant=minbase', `--include=${ROOTFS_PACKAGES.join(',')}`, DEBIAN_SUITE];
/** Bump when prepareRootfs changes: a cached tarball or an imported image of another recipe is rebuilt. */
const RECIPE = `debootstrap ${DEBOOTSTRAP_ARGS.join(' ')}; prepared v1`;
const CACHE_TARBALL = 'systemd-rootfs.tar';

export function labCacheDir(): string {
  return process.env[LAB_CACHE_VARIABLE] || DEFAULT_LAB_CACHE;
}

export function recipeHash(): string {
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
