// What the tests of the guided restart share: the control plane's pods, a run's JSON lines, the lab's
// health, and the fault that keeps a component from starting until it is fixed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { componentHealth } from '../../scripts/lab/controlplane.js';
import { labPorts } from '../../scripts/lab/node.js';
import { until } from './wait.js';

export const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

export type JsonLine = Record<string, unknown>;

/** A procedure's output with --json: its events, then the result line. */
export function jsonLines(stdout: string): JsonLine[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonLine);
}

export async function labHealthy(portOffset: number, timeoutMs = 180_000): Promise<void> {
  await until(
    'every lab component healthy',
    async () => (await componentHealth(labPorts(portOffset))).every((h) => h.healthy),
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * The controller manager broken the way a bad kubeconfig breaks it: the one running is unaffected, a
 * new one exits at start. Returns the fix (safe to call twice).
 */
export function breakControllerManager(nodeRoot: string): () => void {
  const conf = path.join(nodeRoot, 'etc/kubernetes/controller-manager.conf');
  const good = fs.readFileSync(conf);
  fs.writeFileSync(conf, 'apiVersion: v1\nkind: Config\n');
  let fixed = false;
  return () => {
    if (!fixed) fs.writeFileSync(conf, good, { mode: 0o600 });
    fixed = true;
  };
}
