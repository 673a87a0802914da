// This node's etcd member and the cluster as it sees it, from etcd's own API: the member's status, the
// member list, the alarms, whether a quorum stands behind it (a linearizable read, etcdctl endpoint
// health's test), and each peer's state. A peer is asked itself only on a client URL of this node
// (loopback, or an address of one of its interfaces); a peer elsewhere is never contacted: this
// member's raft connection to it, from its own metrics, says whether it is up.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import {
  type EtcdAlarm,
  EtcdClient,
  type EtcdMember,
  type EtcdStatus,
  type EtcdTls,
} from '../../clients/etcd.js';
import type { EtcdAccess } from '../../node/etcd.js';
import { BreakglassError, errnoMessage } from '../../util/errors.js';
import { sanitizeLine } from '../../util/sanitize.js';
import { metricsUrlFromFlag, scrapeEtcd } from './metrics.js';

export interface PeerAnswer {
  member: EtcdMember;
  /**
   * 'status': it answered (or not) on its own client URL; 'peer-link': its URLs are not this node's,
   * so this member's raft connection to it says; 'unknown': neither could be read.
   */
  how: 'status' | 'peer-link' | 'unknown';
  /** What it said of itself ('status' only). */
  status: EtcdStatus | null;
  /** null when it answered, or its link is up. */
  error: string | null;
}

export interface EtcdCluster {
  self: EtcdStatus;
  members: EtcdMember[];
  /** Every member but this one. */
  peers: PeerAnswer[];
  /** null when they could not be read (listing them needs quorum). */
  alarms: EtcdAlarm[] | null;
  alarmsError: string | null;
  /** A linearizable read answered: a quorum of members stands behind this one. */
  quorum: boolean;
  quorumError: string | null;
}

export interface ReadClusterOptions {
  timeoutMs?: number;
  /** A client to this member kept by the caller (sources/etcd/session.ts), left open; else one for this read. */
  client?: EtcdClient;
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

/** The addresses of this node: loopback and every interface's. */
export function localAddresses(): Set<string> {
  const out = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.toLowerCase());
  }
  return out;
}

/** A client URL breakglass may contact: its host is loopback or one of this node's own addresses. */
export function isLocalUrl(url: string, local: Set<string>): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost') return true;
  if (net.isIPv4(host) && host.startsWith('127.')) return true;
  return net.isIP(host) !== 0 && local.has(host);
}

/** An etcd member ID as the metrics' labels write it (hex), from the API's decimal. */
export function hexMemberId(id: string): string {
  try {
    return BigInt(id).toString(16);
  } catch {
    return id.toLowerCase();
  }
}

const message = (err: unknown) => sanitizeLine(err instanceof Error ? err.message : String(err));

/** Rejects with an EtcdError when this member does not answer its Status. */
export async function readEtcdCluster(
  access: EtcdAccess,
  options: ReadClusterOptions = {},
): Promise<EtcdCluster> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const tls = readEtcdTls(access);
  const client = options.client ?? new EtcdClient(access.address, tls, timeoutMs);
  try {
    const self = await client.status();
    const local = localAddresses();
    const [members, alarms, quorum] = await Promise.all([
      client.memberList(),
      client.alarms().then(
        (list) => ({ list, error: null }),
        (err: unknown) => ({ list: null, error: message(err) }),
      ),
      client.get('health').then(
        () => null,
        (err: unknown) => message(err),
      ),
    ]);
    // The raft links are read only for a peer that is not asked itself: a single member needs none.
    const elsewhere = members.some(
      (m) => m.id !== self.memberId && !m.clientURLs.some((u) => isLocalUrl(u, local)),
    );
    const links = elsewhere
      ? await raftLinks(access.metricsFlag, timeoutMs)
      : { up: null, error: 'not read: every peer is asked itself' };
    const peers = await Promise.all(
      members
        .filter((m) => m.id !== self.memberId)
        .map((member) => askPeer(member, { tls, timeoutMs, local, links })),
    );
    return {
      self,
      members,
      peers,
      alarms: alarms.list,
      alarmsError: alarms.error,
      quorum: quorum === null,
      quorumError: quorum,
    };
  } finally {
    if (!options.client) client.close();
  }
}

/** Which peers this member's raft connections are up to, from its metrics (plain HTTP, loopback only). */
async function raftLinks(metricsFlag: string, timeoutMs: number) {
  try {
    const scrape = await scrapeEtcd(metricsUrlFromFlag(metricsFlag), { timeoutMs });
    return { up: new Set(scrape.activePeers), error: null };
  } catch (err) {
    return { up: null, error: message(err) };
  }
}

async function askPeer(
  member: EtcdMember,
  ctx: {
    tls: EtcdTls;
    timeoutMs: number;
    local: Set<string>;
    links: { up: Set<string> | null; error: string | null };
  },
): Promise<PeerAnswer> {
  const url = member.clientURLs.find((u) => isLocalUrl(u, ctx.local));
  if (url) {
    const peer = new EtcdClient(new URL(url).host, ctx.tls, ctx.timeoutMs);
    try {
      return { member, how: 'status', status: await peer.status(), error: null };
    } catch (err) {
      return { member, how: 'status', status: null, error: message(err) };
    } finally {
      peer.close();
    }
  }
  if (!ctx.links.up) {
    return {
      member,
      how: 'unknown',
      status: null,
      error: `not asked (its client URLs are on another node) and this member's raft links are unknown: ${ctx.links.error}`,
    };
  }
  const up = ctx.links.up.has(hexMemberId(member.id));
  return {
    member,
    how: 'peer-link',
    status: null,
    error: up ? null : "this member's raft connection to it is down",
  };
}
