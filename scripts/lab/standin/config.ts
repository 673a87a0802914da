// What the flags point at: the serving address and certificate, and the kubeconfig's server and TLS.
import * as fs from 'node:fs';
import { type Component, FlagError, type Flags } from './flags.js';

const DEFAULT_SECURE_PORT: Record<Component, number> = {
  'kube-apiserver': 6443,
  'kube-controller-manager': 10257,
  'kube-scheduler': 10259,
};

export interface Serving {
  bindAddress: string;
  port: number;
  certFile: string;
  keyFile: string;
}

/** PEM contents; each absent when its flag is (etcd over plain http needs none). */
export interface TlsClient {
  ca?: string;
  cert?: string;
  key?: string;
}

export function servingOf(component: Component, flags: Flags): Serving {
  const port = Number(flags.get('secure-port') ?? DEFAULT_SECURE_PORT[component]);
  if (port < 1 || port > 65535) {
    throw new FlagError(
      `--secure-port ${port} must be between 1 and 65535, inclusive. It cannot be turned off with 0`,
    );
  }
  const certFile = flags.get('tls-cert-file');
  const keyFile = flags.get('tls-private-key-file');
  if (!certFile || !keyFile) {
    throw new FlagError(
      'the lab stand-in needs --tls-cert-file and --tls-private-key-file: it cannot self-sign',
    );
  }
  // The real default is 0.0.0.0; the lab listens on loopback only.
  return { bindAddress: flags.get('bind-address') ?? '127.0.0.1', port, certFile, keyFile };
}

export function readFileOrFail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const goWords: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
    };
    throw new Error(`open ${file}: ${goWords[code] ?? code}`);
  }
}

interface Kubeconfig {
  server: string;
  tls: TlsClient;
}

/** The first value of a kubeconfig key (`    server: https://…`): the lab's kubeconfigs hold one of each. */
function kubeconfigValue(text: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
}

function kubeconfigPem(text: string, dataKey: string, fileKey: string, file: string): string {
  const data = kubeconfigValue(text, dataKey);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const path = kubeconfigValue(text, fileKey);
  if (path) return readFileOrFail(path);
  throw new Error(`${file}: no ${dataKey} nor ${fileKey}`);
}

export function readKubeconfig(file: string): Kubeconfig {
  const text = readFileOrFail(file);
  const server = kubeconfigValue(text, 'server');
  if (!server) throw new Error(`invalid configuration: ${file} names no server`);
  return {
    server,
    tls: {
      ca: kubeconfigPem(text, 'certificate-authority-data', 'certificate-authority', file),
      cert: kubeconfigPem(text, 'client-certificate-data', 'client-certificate', file),
      key: kubeconfigPem(text, 'client-key-data', 'client-key', file),
    },
  };
}
