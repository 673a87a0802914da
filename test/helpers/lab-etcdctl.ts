// etcdctl (Debian's, on the host) against the lab's etcd with kubeadm's health-check client
// certificate: how the tests look at etcd itself, not through breakglass.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { labPorts } from '../../scripts/lab/node.js';
import type { LabEnv } from './lab.js';

export function labEtcdctl(lab: LabEnv): (args: string[]) => SpawnSyncReturns<string> {
  const pki = path.join(lab.nodeRoot, 'etc/kubernetes/pki/etcd');
  return (args) =>
    spawnSync(
      'etcdctl',
      [
        `--endpoints=https://127.0.0.1:${labPorts(lab.portOffset).etcdClient}`,
        `--cacert=${pki}/ca.crt`,
        `--cert=${pki}/healthcheck-client.crt`,
        `--key=${pki}/healthcheck-client.key`,
        '--command-timeout=5s',
        ...args,
      ],
      { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } },
    );
}
