// An etcd snapshot through etcd's own Maintenance.Snapshot stream (what `etcdctl snapshot save` does),
// into breakglass's snapshots directory (0700, each file 0600) or a file the operator names. Refused
// before anything is written when the file system lacks room (model/snapshot-space.ts); written under
// a name that does not look complete (.<name>.part), fsynced, checked on disk (bolt magic, trailing
// SHA-256, a revision), and only then renamed into place without overwriting anything. A failure
// removes the partial file: a snapshot either exists whole or not at all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EtcdClient, EtcdError } from '../clients/etcd.js';
import type { EtcdAccess } from '../node/etcd.js';
import { snapshotsDir } from '../node/state-dir.js';
import { readEtcdTls } from '../sources/etcd/cluster.js';
import { checkSnapshotFile } from '../sources/etcd/snapshot-file.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { errnoCode, fsyncDir } from '../util/fsx.js';
import { tryAppendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { ensurePrivateDir } from './dirs.js';
import { guardedChangeAsync } from './guard.js';
import { bytes, snapshotSpaceRefusal } from './snapshot-space.js';

export const DEFAULT_KEPT_SNAPSHOTS = 5;
const SNAPSHOT_NAME = /^etcd-\d{8}T\d{6}Z-rev\d+\.db$/;

export interface SnapshotRequest {
  access: EtcdAccess;
  stateDir: string;
  readOnly: boolean;
  /** The operator's own file instead of the snapshots directory (never overwritten, never pruned). */
  out: string | null;
  /** How many snapshots the snapshots directory keeps; the newest is never removed. */
  keep: number;
  signal: AbortSignal;
  say(text: string): void;
}

export interface SnapshotResult {
  path: string;
  size: number;
  sha256: string;
  revision: number;
  dbSize: number;
  /** Older snapshots removed to keep the bound. */
  removed: string[];
  notes: string[];
}

export function takeEtcdSnapshot(request: SnapshotRequest): Promise<SnapshotResult> {
  return guardedChangeAsync(request, 'take an etcd snapshot', () => snapshotLocked(request));
}

async function snapshotLocked(request: SnapshotRequest): Promise<SnapshotResult> {
  const { access } = request;
  const dir = request.out ? path.dirname(path.resolve(request.out)) : snapshotsDir(request.stateDir);
  if (!request.out) ensurePrivateDir(dir, 'snapshots directory');
  removeDeadPartials(dir);
  const client = new EtcdClient(access.address, readEtcdTls(access));
  try {
    let status: Awaited<ReturnType<EtcdClient['status']>>;
    try {
      status = await client.status();
    } catch (err) {
      throw refusal(request, err, 'etcd does not answer');
    }
    const space = fs.statfsSync(dir);
    const refusedForSpace = snapshotSpaceRefusal(dir, {
      free: space.bavail * space.bsize,
      total: space.blocks * space.bsize,
      dbSize: status.dbSize,
    });
    if (refusedForSpace) throw refusal(request, null, `${refusedForSpace}; no snapshot taken`);
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    request.say(
      `etcd ${status.version} at ${access.url}: database ${bytes(status.dbSize)}, streaming a snapshot`,
    );
    const temp = path.join(dir, `.etcd-${stamp}.${process.pid}.part`);
    // etcd 3.4 sends no header on the stream: the revision Status gave just before is the floor.
    const revision = Math.max(await stream(client, temp, request), status.revision);
    const finalPath = request.out
      ? path.resolve(request.out)
      : path.join(dir, `etcd-${stamp}-rev${revision}.db`);
    const check = checkSnapshotFile(temp);
    if (check.problem || revision <= 0) {
      fs.rmSync(temp, { force: true });
      throw refusal(request, null, `the snapshot failed its check: ${check.problem ?? 'no revision'}`);
    }
    crashpoint('snapshot-before-rename');
    placeWithoutOverwrite(temp, finalPath);
    fsyncDir(dir);
    const result: SnapshotResult = {
      path: finalPath,
      size: check.size,
      sha256: check.fileSha256,
      revision,
      dbSize: status.dbSize,
      removed: request.out ? [] : pruneSnapshots(dir, request.keep, path.basename(finalPath)),
      notes: [],
    };
    const auditProblem = tryAppendAudit(request.stateDir, {
      action: 'snapshot',
      file: finalPath,
      sha256After: check.fileSha256,
      outcome: 'ok',
      message: `etcd revision ${revision}, ${check.size} bytes${result.removed.length ? `; removed the older ${result.removed.join(', ')}` : ''}`,
    });
    if (auditProblem) result.notes.push(auditProblem);
    return result;
  } finally {
    client.close();
  }
}

/** Streams into `temp` (created, never an existing file), fsyncs it; removes it on any failure. */
async function stream(client: EtcdClient, temp: string, request: SnapshotRequest): Promise<number> {
  const fd = fs.openSync(temp, 'wx', 0o600);
  let written = 0;
  try {
    const revision = await client.snapshot(
      (chunk) => {
        fs.writeSync(fd, chunk);
        written += chunk.length;
        crashpoint('snapshot-mid-stream');
      },
      { signal: request.signal },
    );
    fs.fsyncSync(fd);
    return revision;
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    const why =
      errnoCode(err) === 'ENOSPC'
        ? `the file system filled up after ${bytes(written)}`
        : err instanceof Error
          ? err.message
          : String(err);
    throw refusal(request, null, `the snapshot failed: ${why}; the partial file was removed`);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Closed above on failure.
    }
  }
}

/** A partial file whose writer died (kill -9 mid-stream) is nobody's: removed. */
function removeDeadPartials(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const pid = /^\.etcd-\d{8}T\d{6}Z\.(\d+)\.part$/.exec(name)?.[1];
    if (pid && !fs.existsSync(`/proc/${pid}`)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** A hard link does not replace an existing file (rename would): then the temp name goes. */
function placeWithoutOverwrite(temp: string, finalPath: string): void {
  try {
    fs.linkSync(temp, finalPath);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new BreakglassError(
      errnoCode(err) === 'EEXIST'
        ? `${finalPath} exists already: not overwritten; no snapshot kept`
        : `cannot place the snapshot at ${finalPath}: ${errnoMessage(err)}`,
      'exists',
    );
  }
  fs.unlinkSync(temp);
}

/** Keeps the newest `keep` snapshots breakglass named (at least the newest); removes older ones. */
function pruneSnapshots(dir: string, keep: number, newest: string): string[] {
  const ours = fs
    .readdirSync(dir)
    .filter((n) => SNAPSHOT_NAME.test(n))
    .sort();
  const removed: string[] = [];
  for (const name of ours.slice(0, Math.max(0, ours.length - Math.max(1, keep)))) {
    if (name === newest) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  if (removed.length > 0) fsyncDir(dir);
  return removed;
}

/** The snapshots in the snapshots directory, newest first. */
export function listSnapshots(stateDir: string): { name: string; path: string; size: number }[] {
  const dir = snapshotsDir(stateDir);
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => SNAPSHOT_NAME.test(n))
      .sort()
      .reverse()
      .map((name) => ({ name, path: path.join(dir, name), size: fs.statSync(path.join(dir, name)).size }));
  } catch {
    return [];
  }
}

function refusal(request: SnapshotRequest, err: unknown, text: string): BreakglassError {
  const message =
    err instanceof EtcdError ? `${text} at ${request.access.url}: ${err.message}; no snapshot taken` : text;
  tryAppendAudit(request.stateDir, {
    action: 'snapshot',
    file: request.out ?? 'etcd',
    outcome: 'failed',
    message,
  });
  return new BreakglassError(message, 'etcd');
}
