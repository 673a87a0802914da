// One certificate renewed in place: a leaf's .crt and .key, or the client certificate and key embedded
// in a kubeconfig (with its CA data refreshed from the CA on disk, as kubeadm does). Read, renewed
// (issue.ts), then written as one crash-safe swap (swap-files.ts), refused if a file changed meanwhile.
import * as fs from 'node:fs';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import type { RenewFiles } from '../../node/kubeadm-pki.js';
import { BreakglassError } from '../../util/errors.js';
import { sha256 } from '../../util/fsx.js';
import type { GuardContext } from '../guard.js';
import { swapFiles } from '../swap-files.js';
import { renewCertificate } from './issue.js';

export interface RenewOutcome {
  name: string;
  serial: string;
  notAfter: Date;
  notes: string[];
}

export async function renewOne(ctx: GuardContext, target: RenewFiles, notAfter: Date): Promise<RenewOutcome> {
  const caCertPem = fs.readFileSync(target.caCertFile, 'utf8');
  const caKeyPem = fs.readFileSync(target.caKeyFile, 'utf8');
  if (target.kind === 'certificate') {
    const certData = fs.readFileSync(target.certFile!);
    const keyData = fs.readFileSync(target.keyFile!);
    const renewed = await renewCertificate({
      certPem: certData.toString('utf8'),
      keyPem: keyData.toString('utf8'),
      caCertPem,
      caKeyPem,
      notAfter,
    });
    // The key first: a crash between the two renames is the intent log's to finish either way.
    const { notes } = swapFiles(ctx, {
      action: 'renew-cert',
      label: `${target.name}.crt and .key`,
      files: [
        { path: target.keyFile!, expectSha: sha256(keyData), content: Buffer.from(renewed.keyPem) },
        { path: target.certFile!, expectSha: sha256(certData), content: Buffer.from(renewed.certPem) },
      ],
    });
    return { name: target.name, serial: renewed.serial, notAfter: renewed.notAfter, notes };
  }
  const data = fs.readFileSync(target.kubeconfig!);
  const embedded = embeddedClient(data.toString('utf8'));
  const renewed = await renewCertificate({
    certPem: embedded.certPem,
    keyPem: embedded.keyPem,
    caCertPem,
    caKeyPem,
    notAfter,
  });
  const text = embedded.withClient(renewed.certPem, renewed.keyPem, caCertPem);
  const { notes } = swapFiles(ctx, {
    action: 'renew-cert',
    label: target.name,
    files: [{ path: target.kubeconfig!, expectSha: sha256(data), content: Buffer.from(text) }],
  });
  return { name: target.name, serial: renewed.serial, notAfter: renewed.notAfter, notes };
}

interface EmbeddedClient {
  certPem: string;
  keyPem: string;
  /** The kubeconfig with the current context's user's certificate and key, and its cluster's CA, set. */
  withClient(certPem: string, keyPem: string, caPem: string): string;
}

/** The current context's user and cluster, as kubeadm renews them (only those; the rest untouched). */
function embeddedClient(text: string): EmbeddedClient {
  const doc = parseDocument(text, { version: '1.1' });
  if (doc.errors.length > 0) throw new BreakglassError('the kubeconfig does not parse', 'pki');
  const current = String(doc.get('current-context') ?? '');
  const named = (list: string, name: string): YAMLMap | null => {
    const seq = doc.get(list);
    if (!isSeq(seq)) return null;
    const items = seq.items.filter(isMap) as YAMLMap[];
    return (
      items.find((i) => i.get('name') === name) ?? (items.length === 1 && name === '' ? items[0]! : null)
    );
  };
  const context = current === '' ? null : named('contexts', current);
  const contextMap = context?.get('context');
  const userName = isMap(contextMap) ? String(contextMap.get('user') ?? '') : '';
  const clusterName = isMap(contextMap) ? String(contextMap.get('cluster') ?? '') : '';
  const user = named('users', userName)?.get('user');
  const cluster = named('clusters', clusterName)?.get('cluster');
  if (!isMap(user)) throw new BreakglassError("the kubeconfig's current context names no user", 'pki');
  const field = (key: string) => {
    const value = user.get(key);
    if (typeof value !== 'string' || value.trim() === '')
      throw new BreakglassError(`the kubeconfig's user has no ${key}`, 'pki');
    return Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
  };
  const base64 = (pem: string) => Buffer.from(pem).toString('base64');
  return {
    certPem: field('client-certificate-data'),
    keyPem: field('client-key-data'),
    withClient(certPem, keyPem, caPem) {
      const changes: [YAMLMap, string, string][] = [
        [user, 'client-certificate-data', base64(certPem)],
        [user, 'client-key-data', base64(keyPem)],
      ];
      if (isMap(cluster) && cluster.has('certificate-authority-data'))
        changes.push([cluster, 'certificate-authority-data', base64(caPem)]);
      // The values replaced where they stand, every other byte as it was (kubeadm's layout, comments);
      // only when one is not written out once on its own (folded, repeated) is the document rewritten.
      let out = text;
      for (const [map, key, value] of changes) {
        const old = String(map.get(key));
        out = out.split(old).length === 2 ? out.replace(old, value) : '';
        if (out === '') break;
      }
      if (out !== '') return out;
      for (const [map, key, value] of changes) map.set(key, value);
      return doc.toString({ lineWidth: 0, indentSeq: false });
    },
  };
}
