// etcd as this member sees it, judged: which member leads, whether a quorum stands, each member's health,
// the database against its quota, the alarms; and what of it an operator must act on. Pure: from what
// sources/etcd/cluster.ts read and the quota in etcd's manifest.
import type { EtcdCluster } from '../sources/etcd/cluster.js';

/** etcd's default --quota-backend-bytes (kubeadm sets none). */
export const ETCD_DEFAULT_QUOTA = 2 * 1024 ** 3;
/** A database this full of its quota is close to the NOSPACE alarm. */
export const QUOTA_WARNING_RATIO = 0.8;

export interface EtcdMemberView {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
  /** This node's member. */
  self: boolean;
  leader: boolean;
  /** null: not known (its URLs are on another node and this member's links are unreadable). */
  healthy: boolean | null;
  /** How that was found: its own Status ('self', 'status'), this member's raft link to it, or not at all. */
  how: 'self' | 'status' | 'peer-link' | 'unknown';
  error: string | null;
  /** From its own Status; null where it was not asked. */
  version: string | null;
  dbSize: number | null;
}

export interface EtcdAlarmView {
  memberId: string;
  member: string;
  alarm: 'NOSPACE' | 'CORRUPT';
}

export interface EtcdView {
  clusterId: string;
  member: {
    id: string;
    name: string;
    version: string;
    isLeader: boolean;
    isLearner: boolean;
    raftTerm: string;
    raftIndex: string;
    revision: number;
    /** What the member reports wrong with itself (alarms, "no leader"). */
    errors: string[];
  };
  members: EtcdMemberView[];
  /** null: no leader. */
  leader: { id: string; name: string } | null;
  quorum: boolean;
  quorumError: string | null;
  dbSize: number;
  dbSizeInUse: number;
  quota: number;
  /** null when they could not be read (it needs quorum). */
  alarms: EtcdAlarmView[] | null;
  alarmsError: string | null;
}

export interface EtcdProblem {
  code: 'etcd-alarm' | 'etcd-quota' | 'etcd-quorum-lost' | 'etcd-no-leader';
  severity: 'error' | 'warning';
  text: string;
}

/** etcd's default --max-request-bytes: the largest write it takes. */
export const ETCD_DEFAULT_MAX_REQUEST = 1.5 * 1024 ** 2;

/**
 * Whether etcd has room for writes again if NOSPACE were disarmed. etcd refuses a write, and raises the
 * alarm, when its file's size plus the write's would reach the quota, so a database just under its quota
 * still fills at the next large object: room for two of its largest requests is asked for.
 */
export function roomUnderQuota(dbSize: number, quota: number, maxRequestBytes: number): boolean {
  return dbSize + 2 * maxRequestBytes <= quota;
}

/** `--max-request-bytes` as etcd reads it: unset, 0 or negative is the default. */
export function etcdMaxRequest(flag: string | undefined): number {
  const n = Number(flag);
  return Number.isFinite(n) && n > 0 ? n : ETCD_DEFAULT_MAX_REQUEST;
}

/** `--quota-backend-bytes` as etcd reads it: unset, 0 or negative is the default. */
export function etcdQuota(flag: string | undefined): number {
  const n = Number(flag);
  return Number.isFinite(n) && n > 0 ? n : ETCD_DEFAULT_QUOTA;
}

export function etcdView(cluster: EtcdCluster, quota: number): EtcdView {
  const { self } = cluster;
  const name = (id: string) => cluster.members.find((m) => m.id === id)?.name || id;
  const leaderId = self.leader && self.leader !== '0' ? self.leader : null;
  const members = cluster.members.map((m): EtcdMemberView => {
    const base = {
      id: m.id,
      name: m.name,
      peerURLs: m.peerURLs,
      clientURLs: m.clientURLs,
      isLearner: m.isLearner,
      leader: m.id === leaderId,
    };
    if (m.id === self.memberId) {
      const healthy = leaderId !== null && cluster.quorum && self.errors.length === 0;
      return {
        ...base,
        self: true,
        healthy,
        how: 'self',
        error: healthy ? null : selfTrouble(cluster, leaderId),
        version: self.version,
        dbSize: self.dbSize,
      };
    }
    const peer = cluster.peers.find((p) => p.member.id === m.id);
    const status = peer?.status ?? null;
    const healthy =
      peer?.how === 'unknown' || !peer
        ? null
        : peer.error === null && (status === null || (status.leader !== '0' && status.errors.length === 0));
    return {
      ...base,
      self: false,
      healthy,
      how: peer?.how ?? 'unknown',
      error:
        peer?.error ??
        (status && healthy === false ? status.errors.join('; ') || 'it knows no leader' : null),
      version: status?.version ?? null,
      dbSize: status?.dbSize ?? null,
    };
  });
  return {
    clusterId: self.clusterId,
    member: {
      id: self.memberId,
      name: name(self.memberId),
      version: self.version,
      isLeader: leaderId === self.memberId,
      isLearner: self.isLearner,
      raftTerm: self.raftTerm,
      raftIndex: self.raftIndex,
      revision: self.revision,
      errors: self.errors,
    },
    members,
    leader: leaderId ? { id: leaderId, name: name(leaderId) } : null,
    quorum: cluster.quorum,
    quorumError: cluster.quorumError,
    dbSize: self.dbSize,
    dbSizeInUse: self.dbSizeInUse,
    quota,
    alarms:
      cluster.alarms
        ?.filter((a): a is typeof a & { alarm: EtcdAlarmView['alarm'] } => a.alarm !== 'NONE')
        .map((a) => ({ memberId: a.memberId, member: name(a.memberId), alarm: a.alarm })) ?? null,
    alarmsError: cluster.alarmsError,
  };
}

function selfTrouble(cluster: EtcdCluster, leaderId: string | null): string {
  if (cluster.self.errors.length > 0) return cluster.self.errors.join('; ');
  if (leaderId === null) return 'it knows no leader';
  return `no quorum answers: ${cluster.quorumError ?? 'a linearizable read failed'}`;
}

/** The alarms, from the list when it was read, else from the member's own errors ("NOSPACE"). */
export function activeAlarms(view: EtcdView): EtcdAlarmView['alarm'][] {
  const listed = view.alarms?.map((a) => a.alarm) ?? [];
  const fromErrors = view.member.errors.flatMap((e) =>
    /NOSPACE/i.test(e) ? ['NOSPACE' as const] : /CORRUPT/i.test(e) ? ['CORRUPT' as const] : [],
  );
  return [...new Set([...listed, ...fromErrors])];
}

/** What an operator must act on, the worst first. */
export function etcdProblems(view: EtcdView): EtcdProblem[] {
  const out: EtcdProblem[] = [];
  for (const alarm of activeAlarms(view)) {
    out.push({
      code: 'etcd-alarm',
      severity: 'error',
      text:
        alarm === 'NOSPACE'
          ? `etcd's NOSPACE alarm: it refuses every write (database ${sizeText(view)})`
          : "etcd's CORRUPT alarm: a member's data differs from the others'",
    });
  }
  if (!view.quorum) {
    const voters = view.members.filter((m) => !m.isLearner);
    // Answering: this one, a peer that answered its Status, or one whose raft link is up.
    const up = voters.filter(
      (m) => m.self || m.version !== null || (m.how === 'peer-link' && m.error === null),
    ).length;
    out.push({
      code: 'etcd-quorum-lost',
      severity: 'error',
      text: `etcd has no quorum (${up} of ${voters.length} members answer, ${Math.floor(voters.length / 2) + 1} needed): no writes, no reads the API server can use`,
    });
  }
  if (!view.leader)
    out.push({ code: 'etcd-no-leader', severity: 'error', text: 'etcd has no leader: it serves no writes' });
  if (!activeAlarms(view).includes('NOSPACE') && view.dbSize >= QUOTA_WARNING_RATIO * view.quota) {
    out.push({
      code: 'etcd-quota',
      severity: 'warning',
      text: `etcd's database is ${sizeText(view)}: at its quota it raises NOSPACE and refuses every write`,
    });
  }
  return out;
}

function sizeText(view: EtcdView): string {
  return `${mib(view.dbSize)} of its ${mib(view.quota)} quota, ${Math.round((100 * view.dbSize) / view.quota)} %`;
}

function mib(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
