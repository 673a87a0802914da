// npm run build:binary: dist/bin/breakglass-linux-x64 and -arm64, each one file that runs with no Node
// and no node_modules, and dist/bin/SHA256SUMS beside them. Run after `npm run build` (the bundle is
// made from dist/src), on linux-x64 (the blob is made by the pinned Node, which runs here).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { bundle } from './bundle.js';
import { buildInfoOf } from './info.js';
import { checkInstalledAsLocked } from './locked.js';
import { type Arch, nodeBinary } from './node-binaries.js';
import { seaBlob, seaExecutable } from './sea.js';

const ARCHES: Arch[] = ['x64', 'arm64'];

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
  const info = buildInfoOf(REPO_ROOT);
  const script = path.join(work, 'breakglass.cjs');
  await bundle(REPO_ROOT, script, info);
  log(`bundled ${path.relative(REPO_ROOT, script)} (${(fs.statSync(script).size / 2 ** 20).toFixed(1)} MiB)`);
  const blob = path.join(work, 'sea-prep.blob');
  seaBlob(script, blob);
  const sums: string[] = [];
  for (const arch of ARCHES) {
    const name = `breakglass-linux-${arch}`;
    const file = path.join(out, name);
    seaExecutable(nodeBinary(REPO_ROOT, arch), blob, file);
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
