// The steps before etcd is touched: that restarting this member keeps quorum (its peers answer), and a
// snapshot through etcd's own Maintenance API, checked before the procedure goes on.
import { quorumFacts, quorumWithoutThisMember } from '../model/etcd-quorum.js';
import type { EtcdAccess } from '../node/etcd.js';
import { bytes } from '../ops/snapshot-space.js';
import { readEtcdCluster } from '../sources/etcd/cluster.js';
import { sanitizeLine } from '../util/sanitize.js';
import type { Step } from './procedure.js';

export interface EtcdPlan {
  access: EtcdAccess;
  /** false: --skip-snapshot (the plan warns). */
  snapshot: boolean;
  keepSnapshots: number;
  /** Go on even when the restart would lose quorum (--force). */
  force: boolean;
}

export function etcdSteps<P>(etcd: EtcdPlan): Step<P, unknown>[] {
  const steps: Step<P, unknown>[] = [
    {
      id: 'etcd-quorum',
      describe: () =>
        `etcd quorum: check that its peers keep quorum while this member (${etcd.access.url}) restarts${etcd.force ? ' (--force: go on even if not)' : ''}`,
      run: async (ctx) => {
        let cluster: Awaited<ReturnType<typeof readEtcdCluster>>;
        try {
          cluster = await readEtcdCluster(etcd.access);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          // A member that does not answer loses nothing by a restart: the restart is how it may come back.
          ctx.say(`etcd does not answer (${sanitizeLine(why)}): its quorum is not this restart's to lose`);
          return { ok: true, detail: `etcd does not answer: ${why}` };
        }
        const verdict = quorumWithoutThisMember(quorumFacts(cluster));
        if (verdict.ok) return { ok: true, detail: verdict.text };
        if (etcd.force) {
          ctx.say('--force: going on anyway');
          return { ok: true, detail: `${verdict.text}; --force` };
        }
        return { ok: false, text: `${verdict.text}: refused (--force does it anyway)` };
      },
    },
  ];
  if (etcd.snapshot)
    steps.push(snapshotStep(etcd, 'Nothing was restarted; to restart without a snapshot: --skip-snapshot'));
  return steps;
}

/** A snapshot through etcd's Maintenance API into the state directory, checked; `refused`: what a failure means. */
export function snapshotStep<P>(
  etcd: Pick<EtcdPlan, 'access' | 'keepSnapshots'>,
  refused: string,
): Step<P, unknown> {
  return {
    id: 'etcd-snapshot',
    describe: () =>
      `etcd snapshot: through its Maintenance API into the state directory's snapshots/, checked (bolt database, trailing SHA-256, revision); needs twice the database free, 10 % left after`,
    run: async (ctx) => {
      try {
        const snap = await ctx.ops.snapshotEtcd({
          access: etcd.access,
          out: null,
          keep: etcd.keepSnapshots,
          signal: ctx.signal,
          say: ctx.say,
        });
        for (const note of snap.notes) ctx.say(`note: ${note}`);
        const text = `snapshot ${snap.path}: revision ${snap.revision}, ${bytes(snap.size)}, sha256 ${snap.sha256}`;
        return { ok: true, detail: text };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { ok: false, text: `${why}. ${refused}` };
      }
    },
  };
}
