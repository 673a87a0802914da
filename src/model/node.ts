// The one model of the node: from the facts the sources gave, every static pod as the operator reads it
// (phase, restarts, last exit, health, alerts), the node-wide alerts and the lint findings. The CLI and
// the TUI both render this; procedures gate on it. Pure, and memoized per facts value, so a repaint
// that changed nothing costs nothing.
import { API_SERVER_POD } from '../node/apiserver.js';
import type { Finding } from '../sources/manifests/types.js';
import { type Alert, nodeAlerts } from './alerts.js';
import { type HealthView, type NodeFacts, runtimeReading } from './facts.js';
import { type PodView, podViews } from './pod-view.js';
import { joinRuntime } from './runtime.js';
import { allFindings, type StaticPod, staticPodsOf } from './static-pods.js';

export interface NodeModel {
  /** Every manifest file's pod, in the directories' own order (manifests, then holding). */
  staticPods: StaticPod[];
  /** Enabled first (what kubelet runs), then disabled, then pods with no manifest; by name within each. */
  pods: PodView[];
  /** Node-wide, most urgent first; the pods' own alerts are among them. */
  alerts: Alert[];
  /** Every finding about the manifest directory and its files. */
  findings: Finding[];
  /** The API server's health probe; null when it was not probed. */
  apiServer: HealthView | null;
}

const cache = new WeakMap<NodeFacts, NodeModel>();

export function nodeModel(facts: NodeFacts): NodeModel {
  const hit = cache.get(facts);
  if (hit) return hit;
  const staticPods = staticPodsOfFacts(facts);
  const reading = runtimeReading(facts);
  const joined = reading ? joinRuntime(staticPods, reading.sandboxes, reading.containers) : null;
  const pods = podViews({
    staticPods,
    runtime: joined?.byStaticPod ?? null,
    podsWithoutManifest: joined?.podsWithoutManifest ?? [],
    podsFromUrl: joined?.podsFromUrl ?? [],
    health: facts.health,
  });
  const findings = allFindings(facts.dirs.manifests);
  const podFindings = pods.reduce((n, p) => n + p.findings.length, 0);
  const model: NodeModel = {
    staticPods,
    pods,
    alerts: nodeAlerts(
      facts,
      pods.flatMap((p) => p.alerts),
      podFindings,
    ),
    findings,
    apiServer: facts.health.get(API_SERVER_POD) ?? null,
  };
  cache.set(facts, model);
  return model;
}

/** The static pods the two directories hold (a holding directory that is not there holds none). */
function staticPodsOfFacts(facts: Pick<NodeFacts, 'dirs'>): StaticPod[] {
  const holding = facts.dirs.holding.error ? null : facts.dirs.holding;
  return staticPodsOf(facts.dirs.manifests, holding);
}

/** The pod now, by the runtime's identity (it keeps that when its manifest moves). */
export function podByRef(
  model: NodeModel,
  ref: { podName: string | null; namespace: string | null },
): PodView | null {
  return (
    model.pods.find(
      (p) => p.podName === ref.podName && p.namespace === ref.namespace && p.enabled !== null,
    ) ?? null
  );
}
