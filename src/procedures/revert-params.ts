// What a revert is asked, planned from the node: the manifest as it is now, the version put back (the
// last its pod ran healthy on, or the one named), read from the history and checked, and the gate.
import type { NodeFacts } from '../model/facts.js';
import { historyView, revertChoice, versionsOf } from '../model/manifest-history.js';
import type { NodeModel } from '../model/node.js';
import { readHistoryLog, readHistoryObject } from '../sources/manifest-history.js';
import { readManifestBytes } from '../sources/manifest-text.js';
import { sameDecodedPod } from '../sources/manifests/edit-lint.js';
import { parseManifestText } from '../sources/manifests/parse.js';
import { BreakglassError } from '../util/errors.js';
import { sha256 } from '../util/fsx.js';
import { escapeName } from '../util/sanitize.js';
import { REVERT_GATE_SECONDS, type RevertParams } from './revert.js';

export interface RevertAsk {
  /** A version's sha256 (or a unique prefix); null: the last known healthy. */
  to: string | null;
  gateSeconds: number | undefined;
  readOnly: boolean;
}

export function revertParams(model: NodeModel, facts: NodeFacts, name: string, ask: RevertAsk): RevertParams {
  const view = historyView(model, name);
  const shown = escapeName(name);
  if (!view?.staticPod || !view.fileName || !view.file)
    throw new BreakglassError(`unknown static pod or manifest "${shown}"`, 'unknown');
  if (view.enabled !== true) {
    throw new BreakglassError(
      `${view.file} is disabled (in the holding directory): enable it first, then revert it`,
      'usage',
    );
  }
  const manifest = view.staticPod.manifest;
  if (manifest.kind !== 'file') throw new BreakglassError(`${view.file} is not a regular file`, 'usage');
  const data = readManifestBytes(manifest.path, view.file);
  const stateDir = facts.layout.stateDir.value;
  const versions = versionsOf(readHistoryLog(stateDir, view.fileName).records);
  const choice = revertChoice(versions, sha256(data), ask.to);
  if (!choice.ok) throw new BreakglassError(`${view.file}: ${choice.text}`, 'history');
  const target = readHistoryObject(stateDir, choice.version.sha256);
  if (!target) {
    throw new BreakglassError(
      `${view.file}: the bytes of ${choice.version.sha256.slice(0, 12)} are no longer in the history`,
      'history',
    );
  }
  const pod = parseManifestText(target.toString('utf8'), facts.layout.nodeName.value).pods[0];
  if (!pod) {
    throw new BreakglassError(
      `${view.file}: ${choice.version.sha256.slice(0, 12)} does not decode to a pod; not put back`,
      'history',
    );
  }
  return {
    name: pod.name,
    file: view.file,
    fileName: view.fileName,
    podName: pod.mirrorPodName,
    namespace: pod.namespace,
    enabled: true,
    probeKey: pod.health ? pod.name : null,
    current: { sha256: sha256(data), data },
    target: { ...choice.version, data: target },
    endpoint: pod.readiness ?? pod.health,
    gateSeconds: ask.gateSeconds ?? REVERT_GATE_SECONDS,
    samePod: sameDecodedPod(data.toString('utf8'), target.toString('utf8')),
    history: {
      stateDir,
      manifests: facts.layout.manifests.value,
      readOnly: ask.readOnly,
    },
  };
}
