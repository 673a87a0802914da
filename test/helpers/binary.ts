// The single executables (dist/bin/breakglass-linux-*), built by `npm run build:binary` (npm test builds
// them first); built here too when missing or older than the last `npm run build`. Each is copied alone
// into an empty directory and run with an empty environment, as on a master with no Node.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from './node-root.js';
import { REPO_ROOT } from './paths.js';
import type { RunResult } from './run.js';

export type Arch = 'x64' | 'arm64';

const BIN_DIR = path.join(REPO_ROOT, 'dist/bin');
const QEMU = '/usr/bin/qemu-aarch64-static';
/** The arm64 libraries qemu-user loads the arm64 Node's dynamic libraries from (libc6-arm64-cross). */
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

let built = false;

function ensureBuilt(): void {
  if (built) return;
  const sums = path.join(BIN_DIR, 'SHA256SUMS');
  const buildInfo = path.join(REPO_ROOT, 'dist/build-info.json');
  const stale = !fs.existsSync(sums) || fs.statSync(sums).mtimeMs < fs.statSync(buildInfo).mtimeMs;
  if (stale) {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/scripts/build/binary.js')], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (r.status !== 0) throw new Error(`npm run build:binary failed: ${r.stderr}`);
  }
  built = true;
}

/** The executable for `arch`, copied alone into a fresh empty directory; removed with `cleanup`. */
export function copiedBinary(arch: Arch): { file: string; cleanup(): void } {
  ensureBuilt();
  const dir = makeTempDir('breakglass-binary-');
  const file = path.join(dir, `breakglass-linux-${arch}`);
  fs.copyFileSync(path.join(BIN_DIR, `breakglass-linux-${arch}`), file);
  fs.chmodSync(file, 0o755);
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function qemuMissing(): string | null {
  if (fs.existsSync(QEMU) && fs.existsSync(path.join(ARM64_SYSROOT, 'lib/ld-linux-aarch64.so.1')))
    return null;
  return `needs ${QEMU} and ${ARM64_SYSROOT} (apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross; .ci/run does)`;
}

/** Runs an executable with nothing in its environment but an empty PATH, from its own directory. */
export function runBinary(arch: Arch, file: string, args: string[]): RunResult {
  const [command, argv] = arch === 'x64' ? [file, args] : [QEMU, ['-L', ARM64_SYSROOT, file, ...args]];
  const r = spawnSync(command, argv, {
    cwd: path.dirname(file),
    env: { PATH: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}
