// The kubeconfig of the operator behind sudo (~/.kube/config, usually a copy of admin.conf) refreshed
// from the renewed admin.conf: the old one kept beside it (config.breakglass-<time>), the new one written
// beside it with the old one's owner and mode and renamed in. Only when it holds the admin's client
// certificate (the same subject, signed by the same CA), so another cluster's kubeconfig is left alone.
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { fsyncDir } from '../../util/fsx.js';

export interface UserKubeconfig {
  user: string;
  file: string;
}

/** SUDO_USER's ~/.kube/config under the node root, when it holds an older copy of admin.conf's user. */
export function staleAdminCopy(
  root: string,
  adminConf: string,
  sudoUser: string | undefined,
): UserKubeconfig | null {
  if (!sudoUser || sudoUser === 'root') return null;
  const home = homeOf(root, sudoUser);
  if (!home) return null;
  const file = path.join(root, home, '.kube/config');
  const mine = clientCertificate(file);
  const admin = clientCertificate(adminConf);
  if (!mine || !admin) return null;
  const same = mine.subject === admin.subject && mine.issuer === admin.issuer;
  return same && mine.serialNumber !== admin.serialNumber ? { user: sudoUser, file } : null;
}

/** Writes admin.conf's bytes over the user's kubeconfig, the old one kept; returns where it was kept. */
export function refreshUserKubeconfig(target: UserKubeconfig, adminConf: string, now = new Date()): string {
  const stat = fs.statSync(target.file);
  const kept = `${target.file}.breakglass-${now.toISOString().replace(/[:.]/g, '-')}`;
  fs.copyFileSync(target.file, kept, fs.constants.COPYFILE_EXCL);
  fs.chownSync(kept, stat.uid, stat.gid);
  const temp = path.join(path.dirname(target.file), `.config.breakglass-${process.pid}.tmp`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.writeSync(fd, fs.readFileSync(adminConf));
    fs.fchownSync(fd, stat.uid, stat.gid);
    fs.fchmodSync(fd, stat.mode & 0o777);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, target.file);
  fsyncDir(path.dirname(target.file));
  return kept;
}

function homeOf(root: string, user: string): string | null {
  try {
    const line = fs
      .readFileSync(path.join(root, 'etc/passwd'), 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === user);
    return line?.split(':')[5] || null;
  } catch {
    return null;
  }
}

/** The current context's embedded client certificate, or null when there is none to compare. */
function clientCertificate(file: string): X509Certificate | null {
  try {
    const doc = parseDocument(fs.readFileSync(file, 'utf8'), { version: '1.1' });
    const config = doc.toJS() as {
      'current-context'?: string;
      contexts?: { name: string; context?: { user?: string } }[];
      users?: { name: string; user?: Record<string, string> }[];
    };
    const context = config.contexts?.find((c) => c.name === config['current-context']);
    const user = config.users?.find((u) => u.name === context?.context?.user)?.user;
    const data = user?.['client-certificate-data'];
    return data ? new X509Certificate(Buffer.from(data, 'base64')) : null;
  } catch {
    return null;
  }
}
