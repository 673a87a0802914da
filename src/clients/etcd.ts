// etcd's v3 gRPC API over TLS with a client certificate, the way kubeadm's own health checks reach it
// (pki/etcd/healthcheck-client.{crt,key}, CA pki/etcd/ca.crt). Unary calls have a deadline; the snapshot
// stream has an idle deadline instead (a large database takes long, a stalled stream must not). Every
// failure is an EtcdError in one line.
import * as net from 'node:net';
import { checkServerIdentity as tlsCheckServerIdentity } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ETCD_PROTO } from './etcd-proto.js';
import { serviceClients } from './grpc-service.js';

function hostOf(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

export interface EtcdTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface EtcdStatus {
  clusterId: string;
  memberId: string;
  revision: number;
  raftTerm: string;
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  leader: string;
  raftIndex: string;
  /** Alarms and health problems the member reports ("NOSPACE", ...). */
  errors: string[];
  isLearner: boolean;
}

export interface EtcdMember {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface EtcdAlarm {
  memberId: string;
  alarm: 'NONE' | 'NOSPACE' | 'CORRUPT';
}

export type EtcdErrorReason = 'unreachable' | 'tls' | 'timeout' | 'refused' | 'failed';

export class EtcdError extends Error {
  constructor(
    message: string,
    readonly reason: EtcdErrorReason,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

interface Header {
  clusterId: string;
  memberId: string;
  revision: string;
  raftTerm: string;
}

type Services = {
  Maintenance: grpc.ServiceClientConstructor;
  Cluster: grpc.ServiceClientConstructor;
  KV: grpc.ServiceClientConstructor;
};
let services: Services | null = null;

function etcdServices(): Services {
  if (!services) {
    const names = ['etcdserverpb.Maintenance', 'etcdserverpb.Cluster', 'etcdserverpb.KV'];
    const clients = serviceClients(ETCD_PROTO, names);
    services = {
      Maintenance: clients.get('etcdserverpb.Maintenance')!,
      Cluster: clients.get('etcdserverpb.Cluster')!,
      KV: clients.get('etcdserverpb.KV')!,
    };
  }
  return services;
}

type Unary = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, value?: unknown) => void,
) => void;

export class EtcdClient {
  private readonly maintenance: grpc.Client;
  private readonly cluster: grpc.Client;
  private readonly kv: grpc.Client;

  /** `address` is host:port (an https:// client URL's authority). */
  constructor(
    readonly address: string,
    tls: EtcdTls,
    private readonly timeoutMs = 5_000,
  ) {
    // An IP address is no TLS server name (RFC 6066; Node warns): the name sent is "localhost", the
    // certificate still checked against the address itself.
    const host = hostOf(address);
    const ip = net.isIP(host) !== 0;
    const credentials = grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
      checkServerIdentity: (_name, cert) => tlsCheckServerIdentity(host, cert),
    });
    const options = {
      ...(ip ? { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': address } : {}),
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    };
    const { Maintenance, Cluster, KV } = etcdServices();
    this.maintenance = new Maintenance(address, credentials, options);
    // One channel for all three services: the same connection, one TLS handshake.
    const channelOverride = this.maintenance.getChannel();
    this.cluster = new Cluster(address, credentials, { ...options, channelOverride });
    this.kv = new KV(address, credentials, { ...options, channelOverride });
  }

  async status(): Promise<EtcdStatus> {
    const r = await this.call<{
      header: Header;
      version: string;
      dbSize: string;
      dbSizeInUse: string;
      leader: string;
      raftIndex: string;
      errors: string[];
      isLearner: boolean;
    }>(this.maintenance, 'Status', {});
    return {
      clusterId: r.header.clusterId,
      memberId: r.header.memberId,
      revision: Number(r.header.revision),
      raftTerm: r.header.raftTerm,
      version: r.version,
      dbSize: Number(r.dbSize),
      dbSizeInUse: Number(r.dbSizeInUse),
      leader: r.leader,
      raftIndex: r.raftIndex,
      errors: r.errors,
      isLearner: r.isLearner,
    };
  }

  async memberList(): Promise<EtcdMember[]> {
    const r = await this.call<{
      members: { ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }[];
    }>(this.cluster, 'MemberList', {});
    return r.members.map((m) => ({
      id: m.ID,
      name: m.name,
      peerURLs: m.peerURLs,
      clientURLs: m.clientURLs,
      isLearner: m.isLearner,
    }));
  }

  async alarms(): Promise<EtcdAlarm[]> {
    const r = await this.call<{ alarms: { memberID: string; alarm: EtcdAlarm['alarm'] }[] }>(
      this.maintenance,
      'Alarm',
      { action: 'GET', memberID: '0', alarm: 'NONE' },
    );
    return r.alarms.map((a) => ({ memberId: a.memberID, alarm: a.alarm }));
  }

  /**
   * Switches an alarm off (Maintenance.Alarm DEACTIVATE; needs quorum). etcd's answer names the alarm
   * switched off, not the ones left, so it is not returned: `alarms()` tells those.
   */
  async disarm(alarm: EtcdAlarm): Promise<void> {
    await this.call(this.maintenance, 'Alarm', {
      action: 'DEACTIVATE',
      memberID: alarm.memberId,
      alarm: alarm.alarm,
    });
  }

  /** Maintenance.Defragment of this member only: it serves nothing while it runs. */
  async defragment(timeoutMs: number): Promise<void> {
    await this.call(this.maintenance, 'Defragment', {}, timeoutMs);
  }

  /**
   * One key (KV.Range): its value and modification revision, or null; and the store's revision.
   * `serializable`: this member's own copy, no quorum needed; else a linearizable read, which only a
   * member with a quorum behind it can answer (etcdctl endpoint health's test).
   */
  async get(
    key: string,
    options: { serializable?: boolean } = {},
  ): Promise<{ value: Buffer | null; modRevision: number; revision: number }> {
    const r = await this.call<{ header: Header; kvs: { value: Buffer; modRevision: string }[] }>(
      this.kv,
      'Range',
      { key: Buffer.from(key), serializable: options.serializable ?? false },
    );
    const kv = r.kvs[0];
    return {
      value: kv ? Buffer.from(kv.value) : null,
      modRevision: kv ? Number(kv.modRevision) : 0,
      revision: Number(r.header.revision),
    };
  }

  /** KV.Put; the revision it made. */
  async put(key: string, value: Buffer): Promise<number> {
    const r = await this.call<{ header: Header }>(this.kv, 'Put', { key: Buffer.from(key), value });
    return Number(r.header.revision);
  }

  /** KV.DeleteRange of one key; how many were deleted (0 or 1). */
  async delete(key: string): Promise<number> {
    const r = await this.call<{ deleted: string }>(this.kv, 'DeleteRange', { key: Buffer.from(key) });
    return Number(r.deleted);
  }

  /** KV.Compact: every revision before `revision` dropped from the history (physical: waits for it). */
  async compact(revision: number, timeoutMs = this.timeoutMs): Promise<void> {
    await this.call(this.kv, 'Compact', { revision: String(revision), physical: true }, timeoutMs);
  }

  /**
   * Maintenance.Snapshot: the backend database streamed as it was at the first message, followed by its
   * SHA-256 (the last 32 bytes, which `etcdutl snapshot restore` checks). Each chunk goes to `onChunk` in
   * order; resolves with the revision of the snapshot's first header. Rejects when no chunk comes for
   * `idleMs`, or on abort.
   */
  snapshot(
    onChunk: (chunk: Buffer) => void,
    options: { idleMs?: number; signal?: AbortSignal } = {},
  ): Promise<number> {
    const idleMs = options.idleMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const method = (
        this.maintenance as unknown as Record<string, (r: object) => grpc.ClientReadableStream<unknown>>
      ).Snapshot!;
      const stream = method.call(this.maintenance, {});
      let revision: number | null = null;
      let settled = false;
      const finish = (err: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (err) {
          stream.cancel();
          reject(err);
        } else resolve(revision ?? 0);
      };
      let timer = setTimeout(() => finish(idle()), idleMs);
      const idle = () =>
        new EtcdError(
          `${this.address}: the snapshot stream stalled (nothing for ${idleMs / 1000} s)`,
          'timeout',
        );
      const onAbort = () => finish(new EtcdError(`${this.address}: the snapshot was cancelled`, 'failed'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (message: { header: Header | null; blob: Buffer }) => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(idle()), idleMs);
        if (revision === null && message.header) revision = Number(message.header.revision);
        try {
          if (message.blob.length > 0) onChunk(message.blob);
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      });
      stream.on('error', (err: grpc.ServiceError) => finish(etcdError(this.address, 'Snapshot', err)));
      stream.on('end', () => finish(null));
    });
  }

  /** The one channel the three services share. */
  close(): void {
    this.maintenance.close();
  }

  private call<T>(
    client: grpc.Client,
    method: string,
    request: object,
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    const fn = (client as unknown as Record<string, Unary>)[method]!;
    const deadline = new Date(Date.now() + timeoutMs);
    return new Promise<T>((resolve, reject) => {
      fn.call(client, request, new grpc.Metadata(), { deadline }, (err, value) => {
        if (err) reject(etcdError(this.address, method, err));
        else resolve(value as T);
      });
    });
  }
}

export function etcdError(address: string, method: string, err: grpc.ServiceError): EtcdError {
  const detail = err.details || err.message;
  if (err.code === grpc.status.DEADLINE_EXCEEDED)
    return new EtcdError(`${address}: no answer to ${method} in time (etcd is down or hung?)`, 'timeout');
  if (err.code === grpc.status.UNAVAILABLE) {
    if (/certificate|SSL|TLS|handshake|alert/i.test(detail))
      return new EtcdError(`${address}: TLS refused: ${detail}`, 'tls');
    if (/ECONNREFUSED/i.test(detail))
      return new EtcdError(`${address}: connection refused (etcd is not running?)`, 'refused');
    return new EtcdError(`${address}: unavailable: ${detail}`, 'unreachable');
  }
  return new EtcdError(`${address}: ${method} failed: ${detail}`, 'failed');
}
