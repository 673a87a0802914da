// One client to this node's etcd member kept from one read to the next, so a screen that reads etcd
// every 10 s does not pay a TLS handshake each time (bench/ETCD.md). Made anew when the endpoint or the
// certificate files change (a renewal, a hand edit), so what is judged is the node as it is now, and
// after a TLS refusal. It is kept through etcd being down: its channel reconnects by itself once etcd is
// back. A client closed while etcd is down is what leaks: grpc-js's connection then still makes one more
// attempt, and if etcd is back by then it stays open, unused (etcd-session.test.ts).
import { createHash } from 'node:crypto';
import { EtcdClient, EtcdError } from '../../clients/etcd.js';
import type { EtcdAccess } from '../../node/etcd.js';
import { type EtcdCluster, type ReadClusterOptions, readEtcdCluster, readEtcdTls } from './cluster.js';

export class EtcdSession {
  private held: { key: string; client: EtcdClient } | null = null;

  constructor(private readonly timeoutMs = 3_000) {}

  async read(access: EtcdAccess, options: Omit<ReadClusterOptions, 'client'> = {}): Promise<EtcdCluster> {
    const tls = readEtcdTls(access);
    const key = createHash('sha256')
      .update(`${access.address}\n${access.metricsFlag}\n`)
      .update(tls.ca)
      .update(tls.cert)
      .update(tls.key)
      .digest('hex');
    if (this.held?.key !== key) {
      this.close();
      this.held = { key, client: new EtcdClient(access.address, tls, this.timeoutMs) };
    }
    try {
      return await readEtcdCluster(access, {
        ...options,
        timeoutMs: this.timeoutMs,
        client: this.held.client,
      });
    } catch (err) {
      if (err instanceof EtcdError && err.reason === 'tls') this.close();
      throw err;
    }
  }

  close(): void {
    this.held?.client.close();
    this.held = null;
  }
}
