// The single executables (npm run build:binary), each copied alone into an empty directory and run with an
// empty environment (no Node, no node_modules, PATH empty): --version, status --json and lint --json on a
// node root say exactly what the checkout's bin/breakglass says; the arm64 file, under qemu-user, exactly
// what the x64 file says.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { type Arch, copiedBinary, qemuMissing, runBinary } from '../helpers/binary.js';
import { kubeadmManifest, makeNodeRoot, makeTempDir } from '../helpers/node-root.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { breakglass, type RunResult } from '../helpers/run.js';

const COMMANDS = [['--version'], ['--version', '--json'], ['status', '--json'], ['lint', '--json']];

// Outside CI, a machine without qemu-user skips the arm64 file; CI installs it (.ci/run), and fails without it.
const arm64Skip = process.env.CI ? false : (qemuMissing() ?? false);

let base: string;
const binaries: Partial<Record<Arch, { file: string; cleanup(): void }>> = {};

before(() => {
  base = makeTempDir('breakglass-binary-root-');
  binaries.x64 = copiedBinary('x64');
  if (!arm64Skip) binaries.arm64 = copiedBinary('arm64');
});
after(() => {
  for (const b of Object.values(binaries)) b?.cleanup();
  fs.rmSync(base, { recursive: true, force: true });
});

/** The same node root, laid anew at the same path before every run (status records the history there). */
function freshRoot(): string[] {
  const root = path.join(base, 'node');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root);
  const node = makeNodeRoot({ base: root });
  // Something to find: a stray copy kubelet runs as a second apiserver, and a file that does not decode.
  fs.writeFileSync(
    path.join(node.manifests, 'kube-apiserver.yaml.bak'),
    kubeadmManifest('kube-apiserver.yaml'),
  );
  fs.writeFileSync(path.join(node.manifests, 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: [\n');
  return node.flags;
}

function outputs(run: (args: string[]) => RunResult): RunResult[] {
  return COMMANDS.map((args) => {
    const flags = args[0] === '--version' ? [] : freshRoot();
    const r = run([...args, ...flags]);
    return { ...r, stderr: r.stderr.replace(/\n$/, '') };
  });
}

let checkout: RunResult[];
let x64: RunResult[];

test('dist/bin has both executables and their SHA256SUMS', () => {
  const sums = fs.readFileSync(path.join(REPO_ROOT, 'dist/bin/SHA256SUMS'), 'utf8');
  for (const arch of ['x64', 'arm64']) {
    const name = `breakglass-linux-${arch}`;
    const sha = createHash('sha256')
      .update(fs.readFileSync(path.join(REPO_ROOT, 'dist/bin', name)))
      .digest('hex');
    assert.match(sums, new RegExp(`^${sha}  ${name}$`, 'm'));
  }
});

test('the x64 executable alone, with no environment, says what the checkout says', () => {
  checkout = outputs((args) => breakglass(args, { env: { PATH: '/usr/bin:/bin' } }));
  x64 = outputs((args) => runBinary('x64', binaries.x64!.file, args));
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.match(
    x64[0]!.stdout,
    new RegExp(`^breakglass ${pkg.version.replaceAll('.', '\\.')} \\(commit [0-9a-f]{12}(-dirty)?\\)\\n$`),
  );
  assert.equal(x64[0]!.status, 0);
  // The stray copy and the broken file are found: exit 1, and the same JSON.
  assert.match(x64[2]!.stdout, /stray-copy/);
  assert.match(x64[3]!.stdout, /kube-apiserver\.yaml\.bak/);
  assert.equal(x64[3]!.status, 1);
  assert.deepEqual(x64, checkout);
});

test('the arm64 executable under qemu-aarch64-static says what the x64 one says', {
  skip: qemuMissing() ?? false,
}, () => {
  assert.ok(x64, 'the x64 test ran first');
  assert.equal(qemuMissing(), null);
  const arm64 = outputs((args) => runBinary('arm64', binaries.arm64!.file, args));
  assert.deepEqual(arm64, x64);
});
