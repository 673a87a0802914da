import { errnoCode } from './fsx.js';

/** A refusal or failure the operator must read: one plain sentence, no stack trace. */
export class BreakglassError extends Error {
  constructor(
    message: string,
    readonly code: string = 'refused',
  ) {
    super(message);
    this.name = 'BreakglassError';
  }
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EEXIST: 'already exists',
  EXDEV: 'not on the same file system',
  EBUSY: 'device or resource busy',
};

/** An errno as plain words plus its code, e.g. "no space left on device (ENOSPC)". */
export function errnoMessage(err: unknown): string {
  const code = errnoCode(err);
  if (code && ERRNO_WORDS[code]) return `${ERRNO_WORDS[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}
