// A static pod in kubeadm's shapes, keys in the order kubeadm's YAML has them (sorted): probes with
// kubeadm's thresholds, hostPath volumes and their mounts, hostNetwork, priority, seccomp.
import type { LabComponent } from './manifests.js';

type HostPathType = 'DirectoryOrCreate' | 'FileOrCreate' | 'Directory';

export interface Volume {
  name: string;
  hostPath: string;
  type: HostPathType;
  mountPath: string;
  readOnly: boolean;
}

interface Probes {
  scheme: 'HTTP' | 'HTTPS';
  port: number;
  liveness: string;
  /** Only etcd and the apiserver have a readiness probe in kubeadm's manifests. */
  readiness: string | null;
  startup: string;
}

export interface PodParts {
  name: LabComponent;
  annotations: Record<string, string> | null;
  image: string;
  command: string[];
  probes: Probes;
  requests: Record<string, string>;
  volumes: Volume[];
  /** kubeadm lists etcd's mounts data first; every other pod's mounts are sorted by name. */
  mountOrder?: string[];
}

function httpGet(probes: Probes, urlPath: string) {
  return { host: '127.0.0.1', path: urlPath, port: probes.port, scheme: probes.scheme };
}

/** kubeadm's thresholds: liveness 8 x 10 s, readiness 3 x 1 s, startup 24 x 10 s, all with a 15 s timeout. */
function probeFields(probes: Probes): Record<string, object> {
  return {
    livenessProbe: {
      failureThreshold: 8,
      httpGet: httpGet(probes, probes.liveness),
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 15,
    },
    ...(probes.readiness === null
      ? {}
      : {
          readinessProbe: {
            failureThreshold: 3,
            httpGet: httpGet(probes, probes.readiness),
            periodSeconds: 1,
            timeoutSeconds: 15,
          },
        }),
    startupProbe: {
      failureThreshold: 24,
      httpGet: httpGet(probes, probes.startup),
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 15,
    },
  };
}

/** Go's order: bytewise, not the locale's. */
export const bytewise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: { name: string }, b: { name: string }): number => bytewise(a.name, b.name);

function volumeMounts(parts: PodParts): object[] {
  const order = parts.mountOrder;
  const volumes = order
    ? order.map((name) => parts.volumes.find((v) => v.name === name)!)
    : [...parts.volumes].sort(byName);
  return volumes.map((v) => ({
    mountPath: v.mountPath,
    name: v.name,
    ...(v.readOnly ? { readOnly: true } : {}),
  }));
}

/** Go's YAML output sorts map keys bytewise: kubeadm's manifests list fields in that order. */
function sortedKeys(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => bytewise(a, b)));
}

export function staticPod(parts: PodParts): object {
  const container = sortedKeys({
    command: parts.command,
    image: parts.image,
    imagePullPolicy: 'IfNotPresent',
    name: parts.name,
    resources: { requests: parts.requests },
    volumeMounts: volumeMounts(parts),
    ...probeFields(parts.probes),
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(parts.annotations ? { annotations: parts.annotations } : {}),
      creationTimestamp: null,
      labels: { component: parts.name, tier: 'control-plane' },
      name: parts.name,
      namespace: 'kube-system',
    },
    spec: {
      containers: [container],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [...parts.volumes]
        .sort(byName)
        .map((v) => ({ hostPath: { path: v.hostPath, type: v.type }, name: v.name })),
    },
    status: {},
  };
}

export function volume(name: string, hostPath: string, type: HostPathType, readOnly: boolean): Volume {
  return { name, hostPath, type, mountPath: hostPath, readOnly };
}
