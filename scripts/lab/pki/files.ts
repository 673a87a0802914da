// Where the PKI's files live under a node root, and how each is written.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const KEY_MODE = 0o600;
export const CERT_MODE = 0o644;

export function labPkiDir(nodeRoot: string): string {
  return path.join(nodeRoot, 'etc/kubernetes/pki');
}

export function labKubeconfigPath(nodeRoot: string, file: string): string {
  return path.join(nodeRoot, 'etc/kubernetes', `${file}.conf`);
}

export function certPath(pki: string, name: string): string {
  return path.join(pki, `${name}.crt`);
}

export function keyPath(pki: string, name: string): string {
  return path.join(pki, `${name}.key`);
}

/** Written beside the target and renamed in: a reader never sees half a key or certificate. */
export function writeAtomically(file: string, content: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temp, content, { mode });
  fs.chmodSync(temp, mode);
  fs.renameSync(temp, file);
}
