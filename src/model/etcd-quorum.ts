// Whether etcd keeps quorum while this member restarts: a majority of the voting members must still
// answer without it. Pure: from the member list and which peers answered.
import type { EtcdCluster } from '../sources/etcd/cluster.js';

export interface QuorumFacts {
  members: number;
  /** Peers (members other than this one) that answered. */
  answeringPeers: number;
  /** Peers that did not, with why, for the message. */
  silentPeers: string[];
}

export interface QuorumVerdict {
  ok: boolean;
  text: string;
}

/** The facts from what etcd said; learners do not vote, so they count for nothing. */
export function quorumFacts(cluster: EtcdCluster): QuorumFacts {
  const voters = cluster.peers.filter((p) => !p.member.isLearner);
  return {
    members: cluster.members.filter((m) => !m.isLearner).length,
    answeringPeers: voters.filter((p) => p.error === null).length,
    silentPeers: voters
      .filter((p) => p.error !== null)
      .map((p) => `${p.member.name || p.member.id}: ${p.error}`),
  };
}

export function quorumWithoutThisMember(f: QuorumFacts): QuorumVerdict {
  if (f.members <= 1) {
    return {
      ok: true,
      text: 'a single member: etcd, and the API server with it, is unavailable until it is back',
    };
  }
  const needed = Math.floor(f.members / 2) + 1;
  const silent = f.silentPeers.length > 0 ? ` (not answering: ${f.silentPeers.join('; ')})` : '';
  if (f.answeringPeers >= needed) {
    return {
      ok: true,
      text: `${f.answeringPeers} of ${f.members - 1} peers answer: quorum (${needed} of ${f.members}) holds while this member restarts${silent}`,
    };
  }
  return {
    ok: false,
    text: `restarting this member would lose etcd's quorum: ${f.answeringPeers} of ${f.members - 1} peers answer, ${needed} of ${f.members} members are needed${silent}`,
  };
}
