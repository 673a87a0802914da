// etcd's own troubles: out of space (the NOSPACE alarm, or its database at its quota), corruption, its
// peers gone (quorum), and a disk too slow for its WAL. Pure.
import { escapeName } from '../../util/sanitize.js';
import { type Cause, cause, evidence, fix, LAYER } from './cause.js';
import type { DoctorInput, EtcdWord } from './types.js';

const WRITERS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
/** etcd's heartbeat: fsyncs slower than this make followers miss it and call elections. */
const FSYNC_ELECTION_MS = 100;
const QUOTA_WARNING = 0.8;
/** Fewer fsyncs than this in the window: their p99 is their slowest, not a p99. */
export const MIN_FSYNCS = 20;

export function etcdCauses({ facts, etcd }: DoctorInput): Cause[] {
  const out: Cause[] = [];
  const word = etcd?.word ?? null;
  const source = 'etcd Maintenance.Status';
  if (word && etcd) {
    const size = `database ${gib(word.dbSizeBytes)} of its ${gib(word.quotaBytes)} quota`;
    const etcdctl = etcdctlCommand(word);
    if (word.errors.some((e) => /NOSPACE/i.test(e))) {
      out.push(
        cause(LAYER.etcd, WRITERS, {
          code: 'etcd-nospace',
          severity: 'error',
          title: `etcd raised its NOSPACE alarm and refuses every write (${size}): the API server can read but not write`,
          subject: 'etcd',
          evidence: [
            evidence(`alarms: ${word.errors.map(escapeName).join('; ')}`, source, etcd.at),
            evidence(size, source, etcd.at),
          ],
          fix: fix(
            `a snapshot, then compact to the current revision, defragment this member (it blocks while it runs${word.members > 1 ? '; then each other member on its own node' : ''}), and disarm the alarm (the step people forget); by hand: ${etcdctl} compact <revision>; defrag; alarm disarm`,
            'breakglass etcd reclaim',
          ),
        }),
      );
    } else if (word.dbSizeBytes >= QUOTA_WARNING * word.quotaBytes) {
      out.push(
        cause(LAYER.etcd, [], {
          code: 'etcd-nospace',
          severity: 'warning',
          title: `etcd's ${size}: at its quota it raises NOSPACE and refuses every write`,
          subject: 'etcd',
          evidence: [evidence(size, source, etcd.at)],
          fix: fix('compact and defragment every member before it fills', 'breakglass etcd reclaim'),
        }),
      );
    }
    const corrupt = word.errors.find((e) => /CORRUPT/i.test(e));
    if (corrupt) out.push(corruptCause(word, corrupt, etcd.at));
    if (word.peersDown.length > 0) {
      const alive = word.members - word.peersDown.length;
      const quorum = Math.floor(word.members / 2) + 1;
      const lost = alive < quorum;
      out.push(
        cause(LAYER.etcd, lost ? ['etcd', ...WRITERS] : [], {
          code: 'etcd-peers-down',
          severity: lost ? 'error' : 'warning',
          title: `${word.peersDown.length} of ${word.members} etcd members do not answer: ${lost ? 'quorum is lost, etcd serves no writes and the API server stops' : `quorum holds (${alive} of the ${quorum} needed), one more loss stops it`}`,
          subject: 'etcd',
          evidence: word.peersDown.map((p) =>
            evidence(`${escapeName(p.name)}: ${escapeName(p.error)}`, 'etcd Status of each peer', etcd.at),
          ),
          fix: fix(
            lost
              ? 'bring the other members back; only if they are gone for good: --force-new-cluster on this one, or a restore'
              : 'bring the missing member back before restarting this one',
            null,
          ),
        }),
      );
    }
    const view = word.view;
    const quorumCause = out.some((c) => c.code === 'etcd-peers-down' && c.severity === 'error');
    if ((!view.leader || !view.quorum) && !quorumCause) {
      const what = view.leader ? 'no quorum answers it' : 'it has no leader';
      out.push(
        cause(LAYER.etcd, ['etcd', ...WRITERS], {
          code: 'etcd-no-quorum',
          severity: 'error',
          title: `etcd serves no writes and no linearizable reads: ${what}, so the API server fails`,
          subject: 'etcd',
          evidence: [
            evidence(
              `leader: ${view.leader ? escapeName(view.leader.name) : 'none'}; ${view.members.length} member(s)`,
              source,
              etcd.at,
            ),
            ...(view.quorumError
              ? [evidence(`a linearizable read: ${escapeName(view.quorumError)}`, 'etcd KV.Range', etcd.at)]
              : []),
          ],
          fix: fix(
            view.members.length > 1
              ? 'bring the other members back; only if they are gone for good: --force-new-cluster on this one, or a restore'
              : "a single member without a leader: its data directory or its --initial-cluster flags are wrong (etcd's log says which); else restore it from the newest snapshot in <state-dir>/snapshots with etcdutl snapshot restore, into a new data directory",
            `${etcdctl} endpoint status -w table`,
          ),
        }),
      );
    }
  }
  const sample = facts.etcd.value;
  const p99 = sample?.walFsync.p99Ms ?? null;
  if (sample && p99 !== null && sample.walFsync.verdict === 'slow') {
    const slowest = p99 >= FSYNC_ELECTION_MS;
    const severity = fsyncSeverity(sample.walFsync.window, sample.walFsync.observations, p99);
    const window =
      sample.walFsync.window === 'interval' && sample.walFsync.windowMs !== null
        ? `over the last ${Math.round(sample.walFsync.windowMs / 1000)} s`
        : 'since etcd started';
    out.push(
      cause(LAYER.etcd, [], {
        code: 'etcd-fsync-slow',
        severity,
        title: `etcd's disk is too slow: WAL fsync p99 ${Math.round(p99)} ms ${window} (etcd wants under ${sample.walFsync.thresholdMs} ms)${slowest && severity === 'error' ? ': leader elections and API server timeouts follow' : ''}`,
        subject: 'etcd',
        evidence: [
          evidence(
            `${sample.walFsync.metric} p99 ${p99.toFixed(1)} ms over ${sample.walFsync.observations} fsyncs ${window}`,
            sample.url,
            sample.at,
          ),
          ...(sample.backendCommit.p99Ms !== null
            ? [
                evidence(
                  `${sample.backendCommit.metric} p99 ${sample.backendCommit.p99Ms.toFixed(1)} ms`,
                  sample.url,
                  sample.at,
                ),
              ]
            : []),
        ],
        fix: fix(
          'give etcd a faster disk of its own, or find what else writes to it (iostat -x 1)',
          'iostat -x 1 5',
        ),
      }),
    );
  }
  return out;
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/**
 * Since etcd started, the p99 includes its start-up: a hint only. Over an interval, a few fsyncs make
 * the p99 their slowest one: far above the heartbeat that still says the disk is slow, a little above
 * the budget does not; many of them far above it is etcd missing heartbeats.
 */
export function fsyncSeverity(
  window: 'interval' | 'since-start',
  observations: number,
  p99Ms: number,
): 'error' | 'warning' | 'info' {
  if (window !== 'interval') return 'info';
  if (p99Ms >= FSYNC_ELECTION_MS)
    return observations >= MIN_FSYNCS ? 'error' : observations >= 3 ? 'warning' : 'info';
  return observations >= MIN_FSYNCS ? 'warning' : 'info';
}

/** etcd's CORRUPT alarm names the member whose data differs: this one, or a peer to fix on its node. */
function corruptCause(word: EtcdWord, alarm: string, at: string): Cause {
  // etcd words an alarm as `memberID:<decimal id> alarm:CORRUPT`, the IDs as the member list gives them.
  const id = /memberID:(\d+)/.exec(alarm)?.[1] ?? null;
  const self = id === null || id === word.memberId;
  const name = id === null ? 'a member' : escapeName(word.memberNames[id] ?? id);
  const fixText = !self
    ? `the data of ${name} differs: fix it on that member's node (remove it and add it back empty), not here`
    : word.members > 1
      ? 'remove this member and add it back with an empty data directory: it takes the data from the others (etcdctl member remove, member add; keep the old data directory aside)'
      : 'a single member: restore it from the newest snapshot (breakglass snapshot writes them to <state-dir>/snapshots) with etcdutl snapshot restore, into a new data directory';
  return cause(LAYER.etcd, self ? ['etcd', ...WRITERS] : [], {
    code: 'etcd-corrupt',
    severity: 'error',
    title: `etcd raised its CORRUPT alarm: the data of ${self ? 'this member' : name} differs from its peers'`,
    subject: 'etcd',
    evidence: [evidence(escapeName(alarm), 'etcd Maintenance.Status', at)],
    fix: fix(fixText, null),
  });
}

/** etcdctl pointed at this member with kubeadm's client certificate. */
function etcdctlCommand(word: EtcdWord): string {
  const a = word.access;
  const [url, ca, cert, key] = [a.url, a.caFile, a.certFile, a.keyFile].map(escapeName);
  return `ETCDCTL_API=3 etcdctl --endpoints ${url} --cacert ${ca} --cert ${cert} --key ${key}`;
}
