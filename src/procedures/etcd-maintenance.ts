// etcd out of space, put right through its own API: `etcd reclaim` takes a snapshot, compacts the
// history to the current revision, defragments this member, disarms NOSPACE once the database is back
// under its quota (the step people forget), and checks that a write goes through. `etcd defrag` and
// `etcd disarm` are those steps alone, for the operator who knows. Each step can run again: a resumed
// run compacts nothing twice, a second defragment only takes time, a disarm with no alarm does nothing.
import { roomUnderQuota } from '../model/etcd-cluster.js';
import type { EtcdAccess } from '../node/etcd.js';
import { bytes } from '../ops/snapshot-space.js';
import { readEtcdCluster } from '../sources/etcd/cluster.js';
import { errnoMessage } from '../util/errors.js';
import { snapshotStep } from './etcd-steps.js';
import type { Procedure, Step } from './procedure.js';

export interface EtcdMaintenanceParams {
  access: EtcdAccess;
  /** --quota-backend-bytes from the manifest, else etcd's 2 GiB. */
  quota: number;
  /** --max-request-bytes from the manifest, else etcd's 1.5 MiB. */
  maxRequestBytes: number;
  /** The voting members etcd's --initial-cluster names (1 for a single member). */
  members: number;
  keepSnapshots: number;
  defragTimeoutMs: number;
}

type Maintenance = Procedure<EtcdMaintenanceParams, Record<string, never>>;
type MaintenanceStep = Step<EtcdMaintenanceParams, Record<string, never>>;

const compactStep: MaintenanceStep = {
  id: 'etcd-compact',
  describe: () =>
    "compact etcd's history to its current revision (KV.Compact, for the whole cluster): old revisions go, every key's value stays; watchers older than it start again",
  run: async (ctx, p) => {
    try {
      const r = await ctx.ops.etcd(p.access).compact();
      return { ok: true, detail: `revision ${r.revision}${r.already ? ' (already compacted to it)' : ''}` };
    } catch (err) {
      return { ok: false, text: `the compaction failed: ${errnoMessage(err)}` };
    }
  },
};

const defragStep: MaintenanceStep = {
  id: 'etcd-defrag',
  describe: (p) =>
    `defragment this member (${p.access.url}): its database file is rewritten without the free pages; it answers nothing while that runs (seconds for a few hundred MiB)${p.members > 1 ? '; the other members are defragmented on their own nodes, one at a time' : ''}`,
  run: async (ctx, p) => {
    ctx.say('defragmenting: etcd does not answer until it is done');
    try {
      const r = await ctx.ops.etcd(p.access).defragment(p.defragTimeoutMs);
      return {
        ok: true,
        detail: `database ${bytes(r.before)} -> ${bytes(r.after)} in ${(r.ms / 1000).toFixed(1)} s`,
      };
    } catch (err) {
      return { ok: false, text: `the defragmentation failed: ${errnoMessage(err)}` };
    }
  },
};

const disarmStep: MaintenanceStep = {
  id: 'etcd-disarm',
  describe: (p) =>
    `disarm NOSPACE once the database is under its ${bytes(p.quota)} quota again (Maintenance.Alarm DEACTIVATE): etcd takes writes again only after it`,
  run: async (ctx, p) => {
    try {
      const cluster = await readEtcdCluster(p.access);
      if (!roomUnderQuota(cluster.self.dbSize, p.quota, p.maxRequestBytes)) {
        return {
          ok: false,
          text: `the database is still ${bytes(cluster.self.dbSize)}, at or near its ${bytes(p.quota)} quota (room for less than two ${bytes(p.maxRequestBytes)} writes): disarmed now, NOSPACE would be raised again at once. Delete what fills it (an Event flood, a runaway controller's objects) through the API server, or raise --quota-backend-bytes in etcd's manifest (etcd warns above 8 GiB)`,
        };
      }
      const r = await ctx.ops.etcd(p.access).disarmNospace();
      const left = r.left.map((a) => a.alarm).join(', ');
      return {
        ok: true,
        detail: `${r.disarmed.length === 0 ? 'no NOSPACE alarm was raised' : `${r.disarmed.length} NOSPACE alarm(s) disarmed`}${left ? `; still raised: ${left}` : ''}`,
      };
    } catch (err) {
      return { ok: false, text: `the alarm could not be disarmed: ${errnoMessage(err)}` };
    }
  },
};

const writeCheckStep: MaintenanceStep = {
  id: 'etcd-write-check',
  describe: () =>
    "check: a key of breakglass's own (under /breakglass/check/) written, read back and deleted",
  run: async (ctx, p) => {
    try {
      const r = await ctx.ops.etcd(p.access).testWrite();
      return { ok: true, detail: `written at revision ${r.revision}, read back, deleted` };
    } catch (err) {
      return { ok: false, text: `etcd still refuses a write: ${errnoMessage(err)}` };
    }
  },
};

const common = {
  start: () => ({}),
  warnings: (p: EtcdMaintenanceParams) =>
    p.members > 1
      ? [
          `etcd has ${p.members} members: this defragments only this one; run it on each master in turn, never two at once`,
        ]
      : [],
};

export const etcdReclaim: Maintenance = {
  ...common,
  command: 'etcd reclaim',
  title: (p) => `Reclaim etcd's space on ${p.access.url}`,
  steps: (p) => [
    snapshotStep<EtcdMaintenanceParams>(p, 'Nothing was changed in etcd.'),
    compactStep,
    defragStep,
    disarmStep,
    writeCheckStep,
  ],
  notes: () => [
    'no key is deleted: the compaction drops old revisions, the defragmentation the free pages they leave',
    'cut short, `breakglass recover` ends the record and the command can run again: each step may repeat',
  ],
  success: (p) => `etcd on ${p.access.url} has its space back and takes writes`,
};

export const etcdDefrag: Maintenance = {
  ...common,
  command: 'etcd defrag',
  title: (p) => `Defragment etcd on ${p.access.url}`,
  steps: [defragStep, writeCheckStep],
  success: (p) => `etcd on ${p.access.url} is defragmented`,
};

export const etcdDisarm: Maintenance = {
  ...common,
  warnings: () => [],
  command: 'etcd disarm',
  title: (p) => `Disarm etcd's NOSPACE alarm on ${p.access.url}`,
  steps: [disarmStep, writeCheckStep],
  success: () => 'NOSPACE is disarmed and etcd takes writes',
};
