// A restore of etcd's data from a snapshot, the parts that touch the data directory: the old `member`
// moved aside on the same file system (renamed, never deleted: the data directory itself is often a
// mount point), the snapshot restored by etcd's own tool into a new directory beside it and its
// `member` renamed into place, and the way back (the old one renamed back, the new one kept aside).
// Each is audited. The tool is etcd's own: `etcdutl snapshot restore` (3.5+), else `etcdctl snapshot
// restore` (3.4), from the etcd image the node runs (through its runtime, the data directory and the
// snapshot mounted at their own paths: the very version of the etcd it restores for), else the host's.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuntimeChoice } from '../sources/runtime/detect.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { exists, fsyncDir } from '../util/fsx.js';
import { sanitizeLine } from '../util/sanitize.js';
import { tryAppendAudit } from './audit.js';
import { type OneOff, runOnce } from './control/run-once.js';
import { crashpoint } from './crashpoint.js';
import { checkMayChange } from './guard.js';

export type RestoreTool =
  | { where: 'host'; path: string; kind: 'etcdutl' | 'etcdctl' }
  | { where: 'image'; image: string; kind: 'etcdutl' | 'etcdctl'; runtime: RuntimeChoice; logDir: string };

export function toolText(tool: RestoreTool): string {
  return tool.where === 'host' ? tool.path : `${tool.kind} in ${tool.image} (through the runtime)`;
}

/**
 * etcd's tool in its image: etcdutl if the image has it, else etcdctl (each tried with `version`).
 * null when the runtime cannot run the image, or it has neither.
 */
export async function imageRestoreTool(
  runtime: RuntimeChoice,
  image: string,
  logDir: string,
): Promise<RestoreTool | null> {
  for (const kind of ['etcdutl', 'etcdctl'] as const) {
    try {
      const job = { image, argv: [kind, 'version'], mounts: [], logDir, timeoutMs: 60_000 };
      if ((await runOnce(runtime, job)).exitCode === 0)
        return { where: 'image', image, kind, runtime, logDir };
    } catch {
      // not in this image, or the runtime cannot start it
    }
  }
  return null;
}

/** etcd's own restore tool on this machine: etcdutl first (etcdctl lost `snapshot restore` in 3.6). */
export function findRestoreTool(searchPath = process.env.PATH ?? ''): RestoreTool | null {
  for (const kind of ['etcdutl', 'etcdctl'] as const) {
    for (const dir of searchPath.split(':').filter(Boolean)) {
      const file = path.join(dir, kind);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return { where: 'host', path: file, kind };
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** The tool's output; its last words in the error when it fails. `mounts`: what it reads and writes. */
async function run(
  tool: RestoreTool,
  args: string[],
  mounts: OneOff['mounts'],
  timeoutMs: number,
): Promise<string> {
  const what = `${tool.kind} ${args[0]} ${args[1]}`;
  const failed = (code: number | null, text: string) => {
    const why = sanitizeLine(text.trim().split('\n').slice(-3).join(' '));
    return new BreakglassError(`${what} failed (exit ${code}): ${why}`, 'etcd');
  };
  if (tool.where === 'image') {
    let r: Awaited<ReturnType<typeof runOnce>>;
    try {
      r = await runOnce(tool.runtime, {
        image: tool.image,
        argv: [tool.kind, ...args],
        mounts,
        logDir: tool.logDir,
        timeoutMs,
      });
    } catch (err) {
      throw new BreakglassError(`${what} in ${tool.image}: ${errnoMessage(err)}`, 'etcd');
    }
    if (r.exitCode !== 0) throw failed(r.exitCode, r.output);
    return r.output;
  }
  const r = spawnSync(tool.path, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCDCTL_API: '3' },
  });
  if (r.error) throw new BreakglassError(`${what}: ${errnoMessage(r.error)}`, 'etcd');
  if (r.status !== 0) throw failed(r.status, r.stderr || r.stdout);
  return r.stdout;
}

/** What etcd's tool reads in the snapshot: its revision and keys (it also checks the database opens). */
export async function snapshotStatus(tool: RestoreTool, file: string): Promise<SnapshotStatus> {
  const out = await run(
    tool,
    ['snapshot', 'status', file, '-w', 'json'],
    [{ path: path.dirname(file), readonly: true }],
    120_000,
  );
  // From an image stdout and stderr come as one: the JSON is its own line.
  const json =
    out
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{')) ?? out;
  const s = JSON.parse(json) as SnapshotStatus;
  if (typeof s.revision !== 'number')
    throw new BreakglassError(`${tool.kind} snapshot status: no revision in ${sanitizeLine(out)}`, 'etcd');
  return s;
}

export interface RestoreContext {
  stateDir: string;
  readOnly: boolean;
  /** etcd's data directory on this machine (its manifest's --data-dir, under --root). */
  dataDir: string;
}

export interface MemberIdentity {
  name: string;
  initialCluster: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string;
}

/** `<data-dir>/member` renamed to `<data-dir>/member.breakglass-<stamp>`: the old data, kept. */
export function moveMemberAside(
  ctx: RestoreContext,
  stamp: string,
): { member: string; aside: string | null } {
  checkMayChange(ctx, "move etcd's data aside");
  const member = path.join(ctx.dataDir, 'member');
  if (!exists(member)) return { member, aside: null };
  const aside = `${member}.breakglass-${stamp}`;
  if (exists(aside)) throw new BreakglassError(`${aside} is there already: nothing moved`, 'etcd');
  fs.renameSync(member, aside);
  fsyncDir(ctx.dataDir);
  crashpoint('restore-after-aside');
  tryAppendAudit(ctx.stateDir, { action: 'etcd-data-aside', file: member, to: aside, outcome: 'ok' });
  return { member, aside };
}

/**
 * The snapshot restored by etcd's tool into `<data-dir>/restore.breakglass-<stamp>` (a new directory, as
 * the tool wants), keeping this member's name and peer URLs, then its `member` renamed to
 * `<data-dir>/member`. With etcdutl, the revision is bumped and the old ones marked compacted, so the
 * API servers' watch caches do not stay on revisions the restore rewound.
 */
export async function restoreSnapshot(
  ctx: RestoreContext,
  tool: RestoreTool,
  file: string,
  who: MemberIdentity,
  stamp: string,
): Promise<{ member: string }> {
  checkMayChange(ctx, "restore etcd's data");
  const member = path.join(ctx.dataDir, 'member');
  if (exists(member)) throw new BreakglassError(`${member} is there: move it aside first`, 'etcd');
  const into = path.join(ctx.dataDir, `restore.breakglass-${stamp}`);
  const args = [
    'snapshot',
    'restore',
    file,
    `--data-dir=${into}`,
    `--name=${who.name}`,
    `--initial-cluster=${who.initialCluster}`,
    `--initial-cluster-token=${who.initialClusterToken}`,
    `--initial-advertise-peer-urls=${who.initialAdvertisePeerUrls}`,
    ...(tool.kind === 'etcdutl' ? ['--bump-revision=1000000000', '--mark-compacted'] : []),
  ];
  try {
    const mounts = [
      { path: path.dirname(file), readonly: true },
      { path: ctx.dataDir, readonly: false },
    ];
    await run(tool, args, mounts, 600_000);
    fs.renameSync(path.join(into, 'member'), member);
    fsyncDir(ctx.dataDir);
    fs.rmdirSync(into);
  } catch (err) {
    tryAppendAudit(ctx.stateDir, {
      action: 'etcd-restore',
      file,
      to: member,
      outcome: 'failed',
      message: errnoMessage(err),
    });
    throw err;
  }
  crashpoint('restore-after-restore');
  tryAppendAudit(ctx.stateDir, { action: 'etcd-restore', file, to: member, outcome: 'ok' });
  return { member };
}
