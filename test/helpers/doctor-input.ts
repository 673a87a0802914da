// A node for the diagnosis's unit tests: kubeadm's four control-plane manifests (from the fixtures),
// what the runtime runs of them, their probes, kubelet's unit, and the evidence the doctor reads, each
// as a test tells it. Everything else reads as healthy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DoctorInput, EvidenceLine } from '../../src/model/diagnosis/types.js';
import type { HealthView, NodeFacts } from '../../src/model/facts.js';
import { emptySlot } from '../../src/model/facts.js';
import { nodeModel } from '../../src/model/node.js';
import { parseManifestText } from '../../src/sources/manifests/parse.js';
import type { ManifestDirSnapshot, ManifestFile } from '../../src/sources/manifests/types.js';
import type { Container } from '../../src/sources/runtime/types.js';
import type { UnitState } from '../../src/sources/systemd.js';
import { FIXTURES } from './paths.js';
import { container, sandbox } from './runtime-fixtures.js';

export const NOW = Date.parse('2026-12-01T12:00:00Z');
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
const NODE = 'm1';

export interface NodeSpec {
  /** File name -> its text; default kubeadm's four manifests. */
  files?: Record<string, string>;
  /** Per pod: its containers (default: one running); [] for nothing in the runtime. */
  containers?: Record<string, Partial<Container>[]>;
  /** Per pod: its probe's answer (default ok). */
  health?: Record<string, Partial<HealthView>>;
  kubelet?: Partial<UnitState>;
  runtimeError?: string;
  crashLogs?: Record<string, EvidenceLine[]>;
  journal?: DoctorInput['kubeletJournal'];
  facts?: Partial<NodeFacts>;
}

export function kubeadmManifest(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, 'kubeadm', `${name}.yaml`), 'utf8');
}

export function doctorNode(spec: NodeSpec = {}): DoctorInput {
  const files = spec.files ?? Object.fromEntries(COMPONENTS.map((c) => [`${c}.yaml`, kubeadmManifest(c)]));
  const manifests = dir('/etc/kubernetes/manifests', files);
  const pods = manifests.files.flatMap((f) => f.pods);
  const containers = pods.flatMap((p) =>
    (spec.containers?.[p.name] ?? [{}]).map((c, i) =>
      container({
        podName: p.mirrorPodName,
        podUid: `uid-${p.name}`,
        id: `${p.name}-${i}`,
        sandboxId: `sb-${p.name}`,
        name: p.containers[0]!.name,
        ...c,
      }),
    ),
  );
  const sandboxes = pods
    .filter((p) => (spec.containers?.[p.name] ?? [{}]).length > 0)
    .map((p) => sandbox({ podName: p.mirrorPodName, podUid: `uid-${p.name}`, id: `sb-${p.name}` }));
  const health = new Map<string, HealthView>(
    pods
      .filter((p) => p.health)
      .map((p) => [
        p.name,
        {
          ok: true,
          statusCode: 200,
          latencyMs: 1,
          error: null,
          url: `https://127.0.0.1/${p.name}`,
          ...spec.health?.[p.name],
        },
      ]),
  );
  const facts = {
    layout: {
      root: '/',
      manifests: { value: '/etc/kubernetes/manifests', source: 'test' },
      nodeName: { value: NODE, source: 'test' },
      staticPodURL: { value: null, source: 'test' },
      pki: { value: '/etc/kubernetes/pki', source: 'test' },
    },
    dirs: { manifests, holding: dir('/etc/kubernetes/breakglass/disabled', {}) },
    intent: null,
    procedures: { current: null, last: null },
    runtime: spec.runtimeError
      ? { value: null, error: spec.runtimeError, at: NOW, choice: null }
      : {
          value: {
            info: {
              kind: 'cri',
              endpoint: 'unix:///run/containerd/containerd.sock',
              name: 'containerd',
              version: '1.7',
              apiVersion: 'v1',
            },
            sandboxes,
            containers,
          },
          error: null,
          at: NOW,
          choice: { kind: 'cri', endpoint: 'unix:///run/containerd/containerd.sock' },
        },
    kubeletUnit: { name: 'kubelet.service', value: unit(spec.kubelet), error: null, at: NOW },
    runtimeUnit: null,
    health,
    disk: emptySlot(),
    etcd: emptySlot(),
    vitals: emptySlot(),
    certs: emptySlot(),
    etcdCluster: emptySlot(),
    ...spec.facts,
  } as unknown as NodeFacts;
  const model = nodeModel(facts);
  const crashLogs = Object.entries(spec.crashLogs ?? {}).map(([name, lines]) => {
    const pod = model.pods.find((p) => p.name === name)!;
    const c = pod.containers.find((x) => x.state !== 'running') ?? pod.containers[0]!;
    return { podKey: pod.key, container: c.name, containerId: c.id, lines, error: null };
  });
  return { facts, model, kubeletJournal: spec.journal ?? [], crashLogs, etcd: null, now: NOW };
}

function unit(over: Partial<UnitState> = {}): UnitState {
  return {
    name: 'kubelet.service',
    loadState: 'loaded',
    activeState: 'active',
    subState: 'running',
    result: 'success',
    since: new Date(NOW - 3_600_000),
    nRestarts: 0,
    mainPid: 100,
    execMainStatus: 0,
    description: 'kubelet',
    ...over,
  };
}

function dir(name: string, files: Record<string, string>): ManifestDirSnapshot {
  return {
    dir: name,
    error: null,
    findings: [],
    files: Object.entries(files).map(([file, text]): ManifestFile => {
      const parsed = parseManifestText(text, NODE);
      return {
        name: file,
        displayName: file,
        rawName: Buffer.from(file),
        path: `${name}/${file}`,
        kind: 'file',
        loadedByKubelet: true,
        symlinkTarget: null,
        mode: 0o600,
        uid: 0,
        gid: 0,
        size: text.length,
        mtimeMs: 0,
        ctimeMs: 0,
        sha256: null,
        text,
        pods: parsed.pods,
        findings: parsed.findings.map((f) => ({ ...f, file })),
      };
    }),
  };
}

/** kube-apiserver's manifest with one more flag, as a bad hand edit leaves it. */
export function withFlag(text: string, flag: string): string {
  return text.replace(/(\n(\s+)- kube-apiserver\n)/, `$1$2- ${flag}\n`);
}

export function line(text: string, at = NOW - 5_000): EvidenceLine {
  return { time: new Date(at), text };
}
