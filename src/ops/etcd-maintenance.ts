// The changes etcd's own API makes to its data, each audited: compact the history to the current
// revision, defragment this member (it serves nothing while the file is rewritten), switch the NOSPACE
// alarm off, and a test write of a key of breakglass's own, read back and deleted. Nothing here removes
// a key but that test key; a compaction drops only the old revisions the history keeps.
import { randomUUID } from 'node:crypto';
import { type EtcdAlarm, EtcdClient } from '../clients/etcd.js';
import type { EtcdAccess } from '../node/etcd.js';
import { readEtcdTls } from '../sources/etcd/cluster.js';
import { errnoMessage } from '../util/errors.js';
import { tryAppendAudit } from './audit.js';
import { crashpoint } from './crashpoint.js';
import { checkMayChange } from './guard.js';

export interface MaintenanceContext {
  access: EtcdAccess;
  stateDir: string;
  readOnly: boolean;
}

/** The prefix of breakglass's own test keys: nothing of Kubernetes' lives under it. */
export const CHECK_KEY_PREFIX = '/breakglass/check/';

async function withClient<T>(ctx: MaintenanceContext, timeoutMs: number, use: (c: EtcdClient) => Promise<T>) {
  const client = new EtcdClient(ctx.access.address, readEtcdTls(ctx.access), timeoutMs);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

function audit(ctx: MaintenanceContext, action: string, outcome: 'ok' | 'failed', message: string): void {
  tryAppendAudit(ctx.stateDir, { action, file: ctx.access.url, outcome, message });
}

/** The store's current revision, and the history before it compacted away (KV.Compact, physical). */
export async function compactToCurrent(
  ctx: MaintenanceContext,
): Promise<{ revision: number; already: boolean }> {
  checkMayChange(ctx, "compact etcd's history");
  return withClient(ctx, 60_000, async (client) => {
    const { revision } = await client.status();
    try {
      await client.compact(revision);
    } catch (err) {
      // Compacted to it already (a run resumed after this step): nothing left to drop.
      if (/required revision has been compacted/.test(errnoMessage(err))) {
        audit(ctx, 'etcd-compact', 'ok', `revision ${revision}: already compacted`);
        return { revision, already: true };
      }
      audit(ctx, 'etcd-compact', 'failed', errnoMessage(err));
      throw err;
    }
    crashpoint('etcd-after-compact');
    audit(ctx, 'etcd-compact', 'ok', `compacted to revision ${revision}`);
    return { revision, already: false };
  });
}

/** Maintenance.Defragment of this member; the database's size before and after. */
export async function defragment(
  ctx: MaintenanceContext,
  timeoutMs: number,
): Promise<{ before: number; after: number; ms: number }> {
  checkMayChange(ctx, 'defragment etcd');
  return withClient(ctx, timeoutMs, async (client) => {
    const before = (await client.status()).dbSize;
    const started = Date.now();
    try {
      await client.defragment(timeoutMs);
    } catch (err) {
      audit(ctx, 'etcd-defragment', 'failed', errnoMessage(err));
      throw err;
    }
    const ms = Date.now() - started;
    crashpoint('etcd-after-defrag');
    const after = (await client.status()).dbSize;
    audit(ctx, 'etcd-defragment', 'ok', `database ${before} -> ${after} bytes in ${ms} ms`);
    return { before, after, ms };
  });
}

/** Every NOSPACE alarm switched off (Maintenance.Alarm DEACTIVATE); the alarms left after. */
export async function disarmNospace(
  ctx: MaintenanceContext,
): Promise<{ disarmed: EtcdAlarm[]; left: EtcdAlarm[] }> {
  checkMayChange(ctx, "disarm etcd's NOSPACE alarm");
  return withClient(ctx, 10_000, async (client) => {
    const raised = (await client.alarms()).filter((a) => a.alarm === 'NOSPACE');
    for (const alarm of raised) {
      try {
        await client.disarm(alarm);
      } catch (err) {
        audit(
          ctx,
          'etcd-disarm',
          'failed',
          `${alarm.alarm} of member ${alarm.memberId}: ${errnoMessage(err)}`,
        );
        throw err;
      }
      audit(ctx, 'etcd-disarm', 'ok', `${alarm.alarm} of member ${alarm.memberId}`);
    }
    const left = await client.alarms();
    return { disarmed: raised, left: left.filter((a) => a.alarm !== 'NONE') };
  });
}

/**
 * A key of breakglass's own written, read back linearizably and deleted: etcd takes writes again.
 * Throws (an EtcdError) when the write is refused ("database space exceeded") or reads back wrong.
 */
export async function testWrite(ctx: MaintenanceContext): Promise<{ key: string; revision: number }> {
  checkMayChange(ctx, 'write a test key to etcd');
  return withClient(ctx, 10_000, async (client) => {
    const key = `${CHECK_KEY_PREFIX}${randomUUID()}`;
    const value = Buffer.from(`written by breakglass at ${new Date().toISOString()}`);
    const revision = await client.put(key, value);
    try {
      const read = await client.get(key);
      if (!read.value?.equals(value))
        throw new Error(`${key} read back ${read.value ? 'different' : 'missing'}`);
    } finally {
      await client.delete(key);
    }
    return { key, revision };
  });
}
