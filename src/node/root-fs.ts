import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/** Where a node path lives on this machine when the node's filesystem is mounted at `root`. */
export function rootPath(root: string, p: string): string {
  const nodePath = path.resolve('/', p);
  return root === '/' ? nodePath : path.join(root, nodePath);
}

export type ReadResult =
  | { kind: 'text'; text: string }
  | { kind: 'missing' }
  | { kind: 'error'; reason: string };

export type ListResult =
  | { kind: 'names'; names: string[] }
  | { kind: 'missing' }
  | { kind: 'error'; reason: string };

const MAX_SYMLINK_HOPS = 40;
const TOO_MANY_LINKS = 'too many levels of symbolic links';

/**
 * Resolves symlinks inside `root` as a chroot would: an absolute link target such as
 * `/usr/lib/...` must point into the mounted node, not into this machine.
 */
async function resolveInRoot(root: string, nodePath: string): Promise<string | null> {
  if (root === '/') return path.resolve('/', nodePath);
  const pending = splitComponents(nodePath);
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const target = await readLinkOrNull(path.join(root, ...resolved, part));
    if (target === null) {
      resolved.push(part);
      continue;
    }
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) return null;
    // A unit masked with a link to /dev/null reads as empty, as systemd sees it.
    if (target === '/dev/null' && pending.length === 0) return '/dev/null';
    if (path.isAbsolute(target)) resolved.length = 0;
    pending.unshift(...splitComponents(target));
  }
  return path.join(root, ...resolved);
}

function splitComponents(p: string): string[] {
  return p.split('/').filter((part) => part !== '' && part !== '.');
}

async function readLinkOrNull(hostPath: string): Promise<string | null> {
  try {
    return await readlink(hostPath);
  } catch {
    return null;
  }
}

export function describeFsError(error: unknown): string {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    case 'ELOOP':
      return TOO_MANY_LINKS;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

function isMissing(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads a file given as a path on the node; never throws. */
export async function readNodeFile(root: string, nodePath: string): Promise<ReadResult> {
  const hostPath = await resolveInRoot(root, nodePath);
  if (hostPath === null) return { kind: 'error', reason: TOO_MANY_LINKS };
  try {
    return { kind: 'text', text: await readFile(hostPath, 'utf8') };
  } catch (error) {
    return isMissing(error) ? { kind: 'missing' } : { kind: 'error', reason: describeFsError(error) };
  }
}

/** Lists a directory given as a path on the node, names sorted; never throws. */
export async function listNodeDir(root: string, nodePath: string): Promise<ListResult> {
  const hostPath = await resolveInRoot(root, nodePath);
  if (hostPath === null) return { kind: 'error', reason: TOO_MANY_LINKS };
  try {
    const names = await readdir(hostPath);
    return { kind: 'names', names: names.sort() };
  } catch (error) {
    return isMissing(error) ? { kind: 'missing' } : { kind: 'error', reason: describeFsError(error) };
  }
}
