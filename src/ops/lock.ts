// One change at a time, across processes. The lock is a kernel flock(2) on a file in the state
// directory, so it is released by the kernel the instant its holder dies, even by kill -9: a
// dead holder can never wedge the node. Node has no flock binding, so util-linux flock(1) takes it on
// our open file description, which keeps the lock after flock(1) exits (flock locks belong to the
// open file description, not to the process that asked).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { lockPath } from '../node/state-dir.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';

export interface LockHolder {
  pid: number;
  user: string;
  command: string;
  since: string;
}

export interface HeldLock {
  /** Set when the previous holder died holding it: the operator is told. */
  tookOverFrom: LockHolder | null;
  /** This process held the lock already (a procedure's step inside the procedure's hold). */
  nested: boolean;
  release(): void;
}

const CONFLICT_EXIT = 75;
const WAIT_SECONDS = 2;

export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** The locks this process holds, by lock file: a procedure holds one for its whole run. */
const held = new Map<string, { depth: number }>();

/**
 * Takes the change lock, waiting up to 2 s for a holder to finish. Re-entrant within the process: a
 * change made inside a held lock (a step of a procedure) holds it one level deeper, without asking
 * flock again (a second open of the file is another open file description, which flock would refuse).
 */
export function acquireLock(stateDir: string): HeldLock {
  const file = lockPath(stateDir);
  const mine = held.get(file);
  if (mine) {
    mine.depth++;
    let releasedNested = false;
    return {
      tookOverFrom: null,
      nested: true,
      release() {
        if (releasedNested) return;
        releasedNested = true;
        mine.depth--;
      },
    };
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw new BreakglassError(
      `cannot open the lock file ${file}: ${errnoMessage(err)}; nothing changed`,
      'lock',
    );
  }
  // Wait a moment rather than refuse at once: another change takes milliseconds, and a holder killed
  // during its own flock(1) call leaves that flock(1) holding the lock until it exits.
  const result = spawnSync(
    'flock',
    ['--wait', String(WAIT_SECONDS), '--conflict-exit-code', String(CONFLICT_EXIT), '0'],
    {
      stdio: [fd, 'ignore', 'pipe'],
      timeout: 10_000,
    },
  );
  if (result.status !== 0) {
    fs.closeSync(fd);
    if (result.status === CONFLICT_EXIT) {
      throw new BreakglassError(
        `another change is in progress: ${describeHolder(readHolder(file))}`,
        'locked',
      );
    }
    const why = result.error
      ? errnoMessage(result.error)
      : result.stderr.toString().trim() || `exit ${result.status}`;
    throw new BreakglassError(`cannot take the lock ${file} with flock(1) from util-linux: ${why}`, 'lock');
  }
  const previous = readHolderFd(fd);
  const me: LockHolder = {
    pid: process.pid,
    user: currentUser(),
    command: process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
  };
  try {
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `${JSON.stringify(me)}\n`, 0);
  } catch {
    // A full disk must not stop a change: the kernel lock is held; only the holder's name is missing.
  }
  let released = false;
  const entry = { depth: 1 };
  held.set(file, entry);
  return {
    // A holder record left behind means its owner died while holding the lock.
    tookOverFrom: previous,
    nested: false,
    release() {
      if (released) return;
      released = true;
      held.delete(file);
      try {
        fs.ftruncateSync(fd, 0);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

function readHolderFd(fd: number): LockHolder | null {
  const buf = Buffer.alloc(4096);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  return parseHolder(buf.subarray(0, n).toString('utf8'));
}

function readHolder(file: string): LockHolder | null {
  // The holder writes its record right after taking the lock; give it a moment if it is not there yet.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const holder = parseHolder(fs.readFileSync(file, 'utf8'));
      if (holder) return holder;
    } catch {
      return null;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return null;
}

function parseHolder(text: string): LockHolder | null {
  if (text.trim() === '') return null;
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid !== 'number') return null;
    return {
      pid: h.pid,
      user: String(h.user ?? '?'),
      command: String(h.command ?? '?'),
      since: String(h.since ?? '?'),
    };
  } catch {
    return null;
  }
}

export function describeHolder(holder: LockHolder | null): string {
  if (!holder) return 'held by another process that has not said who it is yet';
  const command = sanitizeLine(holder.command);
  return `held by pid ${holder.pid} (user ${sanitizeLine(holder.user)}, command "${command}") since ${sanitizeLine(holder.since)}`;
}
