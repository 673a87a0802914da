// npm run build:binary: dist/bin/breakglass-linux-x64 and -arm64, each one file that runs with no Node
// and no node_modules, and dist/bin/SHA256SUMS beside them. Run after `npm run build` (the bundle is
// made from dist/src and says the version and commit that build wrote in dist/build-info.json), on
// linux-x64: each blob is made by the Node it goes into, the arm64 one under qemu-user.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { bundle } from './bundle.js';
import type { BuildInfo } from './info.js';
import { checkInstalledAsLocked } from './locked.js';
import { type Arch, nodeBinary } from './node-binaries.js';
import { seaBlob, seaExecutable } from './sea.js';

const ARCHES: Arch[] = ['x64', 'arm64'];
const QEMU = '/usr/bin/qemu-aarch64-static';
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

/** qemu-user and the arm64 libraries, to run the arm64 Node here (qemu-user-static, libc6-arm64-cross, libstdc++6-arm64-cross). */
function qemu(): string | null {
  const libs = ['lib/ld-linux-aarch64.so.1', 'lib/libstdc++.so.6'].map((f) => path.join(ARM64_SYSROOT, f));
  return fs.existsSync(QEMU) && libs.every((f) => fs.existsSync(f)) ? QEMU : null;
}

function log(text: string): void {
  process.stderr.write(`build:binary: ${text}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  checkInstalledAsLocked(REPO_ROOT);
  const out = path.join(REPO_ROOT, 'dist/bin');
  const work = path.join(out, '.build');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  // What `npm run build` wrote for the dist/src it built: the executables say the same as the checkout.
  const info = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'dist/build-info.json'), 'utf8')) as BuildInfo;
  const script = path.join(work, 'breakglass.cjs');
  await bundle(REPO_ROOT, script, info);
  log(`bundled ${path.relative(REPO_ROOT, script)} (${(fs.statSync(script).size / 2 ** 20).toFixed(1)} MiB)`);
  const sums: string[] = [];
  for (const arch of ARCHES) {
    const name = `breakglass-linux-${arch}`;
    const file = path.join(out, name);
    const node = nodeBinary(REPO_ROOT, arch);
    const blob = path.join(work, `${name}.blob`);
    const qemuBin = qemu();
    const runner = arch === 'x64' ? [node] : qemuBin ? [qemuBin, '-L', ARM64_SYSROOT, node] : null;
    if (!runner) log(`${name}: without its code cache (no ${QEMU} and ${ARM64_SYSROOT} to run arm64 Node)`);
    seaBlob(script, blob, runner ?? [process.execPath], runner !== null);
    seaExecutable(node, blob, file);
    const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    sums.push(`${sha}  ${name}\n`);
    log(`${path.relative(REPO_ROOT, file)}: ${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB`);
  }
  fs.writeFileSync(path.join(out, 'SHA256SUMS'), sums.join(''));
  fs.rmSync(work, { recursive: true, force: true });
  log(
    `breakglass ${info.version} (commit ${info.commit}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
