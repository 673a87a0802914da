// Certificate and kubeconfig expiry, like kubeadm certs check-expiration: read at once, every 10 minutes,
// and on request (after a change).
import * as path from 'node:path';
import type { NodeLayout } from '../../node/discover.js';
import { readCertificates } from '../../sources/certs.js';
import { errnoMessage } from '../../util/errors.js';
import type { Feed, FeedHost } from '../feed.js';

const REFRESH_MS = 10 * 60_000;

export interface CertsFeed extends Feed {
  refresh(): void;
}

export function startCertsFeed(host: FeedHost, layout: NodeLayout): CertsFeed {
  const pkiDir = layout.pki.value;
  const read = async () => {
    try {
      const list = await readCertificates({ pkiDir, kubeconfigDir: path.dirname(pkiDir), root: layout.root });
      host.update((s) => ({ ...s, certs: { value: list, error: null, at: Date.now() } }), 'background');
    } catch (err) {
      host.update((s) => ({ ...s, certs: { ...s.certs, error: errnoMessage(err), at: Date.now() } }));
    }
  };
  void read();
  const timer = setInterval(() => void read(), REFRESH_MS);
  timer.unref();
  return { refresh: () => void read(), close: () => clearInterval(timer) };
}
