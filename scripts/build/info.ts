// What a build says about itself (`breakglass --version`): package.json's version and the commit the
// work tree is at, `-dirty` when tracked files differ from it; `unknown` outside a git checkout.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BuildInfo {
  version: string;
  commit: string;
}

function git(repo: string, args: string[]): string | null {
  const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function buildInfoOf(repo: string): BuildInfo {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
  const head = git(repo, ['rev-parse', 'HEAD']);
  if (!head) return { version: pkg.version, commit: 'unknown' };
  const dirty = git(repo, ['status', '--porcelain', '--untracked-files=no']);
  return { version: pkg.version, commit: `${head.slice(0, 12)}${dirty ? '-dirty' : ''}` };
}
