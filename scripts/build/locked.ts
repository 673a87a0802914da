// The executables are built from exactly the locked versions: every package installed in node_modules
// (npm's own record of it, node_modules/.package-lock.json) is in package-lock.json at the same version
// and integrity. `npm ci` installs just that; an `npm install` that moved a version is refused here.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface LockEntry {
  version?: string;
  integrity?: string;
}

function packagesOf(file: string): Record<string, LockEntry> {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
}

export function checkInstalledAsLocked(repo: string): void {
  const locked = packagesOf(path.join(repo, 'package-lock.json'));
  const installed = packagesOf(path.join(repo, 'node_modules/.package-lock.json'));
  const wrong = Object.entries(installed).flatMap(([name, got]) => {
    const want = locked[name];
    if (!want) return [`${name} is installed but not in package-lock.json`];
    if (want.version !== got.version)
      return [`${name} is ${got.version}, package-lock.json says ${want.version}`];
    if (want.integrity && got.integrity && want.integrity !== got.integrity)
      return [`${name}: integrity differs`];
    return [];
  });
  if (wrong.length > 0)
    throw new Error(
      `node_modules is not what package-lock.json locks (run npm ci):\n  ${wrong.join('\n  ')}`,
    );
}
