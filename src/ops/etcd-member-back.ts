// The way back from a restore, apart from the restore itself so that recovery (ops/procedure-record.ts,
// under the lock already) can use it without the guard: etcd's old `member` renamed back, whatever
// stands in its place kept beside it. Never a deletion.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exists, fsyncDir } from '../util/fsx.js';
import { tryAppendAudit } from './audit.js';

/** A time stamp for the names beside etcd's data: 20261201T183312Z. */
export function restoreStamp(now = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * The way back: the old data renamed back to `member`; whatever stands there now (a restore that did
 * not finish, or did and is not wanted) kept as `member.restore-failed-breakglass-<time>`.
 */
export function putMemberBack(
  ctx: { stateDir: string; readOnly: boolean },
  member: string,
  aside: string,
): string {
  const notes: string[] = [];
  if (!exists(aside)) return `${aside} is gone: nothing put back`;
  if (exists(member)) {
    const kept = `${member}.restore-failed-breakglass-${restoreStamp()}`;
    fs.renameSync(member, kept);
    notes.push(`the restored data kept as ${kept}`);
  }
  fs.renameSync(aside, member);
  fsyncDir(path.dirname(member));
  const text = [`${aside} put back as ${member}`, ...notes].join('; ');
  tryAppendAudit(ctx.stateDir, {
    action: 'etcd-data-back',
    file: member,
    from: aside,
    outcome: 'ok',
    message: text,
  });
  return text;
}
