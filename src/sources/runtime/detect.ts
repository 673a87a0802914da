// Which runtime this node's kubelet talks to, and how to reach it from here.
import * as fs from 'node:fs';
import { type Located, rootPath } from '../../node/discover.js';
import type { RuntimeKind } from './types.js';

export interface RuntimeChoice {
  kind: RuntimeKind;
  /** The endpoint as breakglass dials it (root-prefixed under --root). */
  endpoint: string;
  /** Why this one, in plain words. */
  source: string;
}

/** Well-known sockets, in the order kubeadm's own detection tries them. */
const WELL_KNOWN: { path: string; kind: RuntimeKind; name: string }[] = [
  { path: '/run/containerd/containerd.sock', kind: 'cri', name: 'containerd' },
  { path: '/run/crio/crio.sock', kind: 'cri', name: 'CRI-O' },
  { path: '/var/run/crio/crio.sock', kind: 'cri', name: 'CRI-O' },
  { path: '/var/run/docker.sock', kind: 'docker', name: 'Docker' },
];
const DOCKER_SOCKET = '/var/run/docker.sock';

export function chooseRuntime(
  root: string,
  configured: Located<string | null>,
): RuntimeChoice | { error: string } {
  if (configured.value !== null) {
    const fromFlag = configured.source === '--runtime flag';
    const socket = socketPath(configured.value);
    if (socket === null)
      return { error: `unsupported runtime endpoint ${configured.value} (only unix sockets)` };
    if (/cri-dockerd\.sock$/.test(socket)) {
      // cri-dockerd is a CRI shim in front of Docker: the Engine API underneath holds the truth.
      return {
        kind: 'docker',
        endpoint: `unix://${rootPath(root, DOCKER_SOCKET)}`,
        source: `Docker behind cri-dockerd (${configured.source})`,
      };
    }
    const dial = fromFlag ? socket : rootPath(root, socket);
    return {
      kind: /docker\.sock$/.test(socket) ? 'docker' : 'cri',
      endpoint: `unix://${dial}`,
      source: configured.source,
    };
  }
  for (const candidate of WELL_KNOWN) {
    const dial = rootPath(root, candidate.path);
    if (isSocket(dial)) {
      return { kind: candidate.kind, endpoint: `unix://${dial}`, source: `found ${candidate.name}'s socket` };
    }
  }
  return {
    error: 'no runtime endpoint in kubelet configuration and no containerd, CRI-O or Docker socket found',
  };
}

function socketPath(endpoint: string): string | null {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  return null;
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}
