// This node's etcd member and its peers, as etcd's API tells them: the member's status, the member list,
// and whether each peer answers on its own client URL. What a restart of this member must know first:
// whether the others keep quorum without it. Reads only (Status and MemberList need no quorum).
import * as fs from 'node:fs';
import { EtcdClient, type EtcdMember, type EtcdStatus, type EtcdTls } from '../../clients/etcd.js';
import type { EtcdAccess } from '../../node/etcd.js';
import { BreakglassError, errnoMessage } from '../../util/errors.js';

export interface PeerAnswer {
  member: EtcdMember;
  /** null when it answered Status. */
  error: string | null;
}

export interface EtcdCluster {
  self: EtcdStatus;
  members: EtcdMember[];
  /** Every member but this one. */
  peers: PeerAnswer[];
}

export function readEtcdTls(access: EtcdAccess): EtcdTls {
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new BreakglassError(
        `cannot read etcd's ${what} ${file}: ${errnoMessage(err)} (kubeadm makes it: kubeadm init phase certs etcd-healthcheck-client)`,
        'etcd',
      );
    }
  };
  return {
    ca: read(access.caFile, 'CA certificate'),
    cert: read(access.certFile, 'client certificate'),
    key: read(access.keyFile, 'client key'),
  };
}

/** Rejects with an EtcdError when this member does not answer. */
export async function readEtcdCluster(access: EtcdAccess, timeoutMs = 3_000): Promise<EtcdCluster> {
  const tls = readEtcdTls(access);
  const client = new EtcdClient(access.address, tls, timeoutMs);
  try {
    const self = await client.status();
    const members = await client.memberList();
    const peers = await Promise.all(
      members
        .filter((m) => m.id !== self.memberId)
        .map(async (member): Promise<PeerAnswer> => {
          const url = member.clientURLs[0];
          if (!url) return { member, error: 'it lists no client URL' };
          const peer = new EtcdClient(new URL(url).host, tls, timeoutMs);
          try {
            await peer.status();
            return { member, error: null };
          } catch (err) {
            return { member, error: err instanceof Error ? err.message : String(err) };
          } finally {
            peer.close();
          }
        }),
    );
    return { self, members, peers };
  } finally {
    client.close();
  }
}
