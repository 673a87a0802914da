// `breakglass revert NAME [--to SHA]`: the manifest put back as it was when its pod last ran healthy (or
// as the version named), crash-safe, then gated on a new container and its probe. Shows the plan and asks
// first (--yes).
import * as fs from 'node:fs';
import type { NodeFacts } from '../../model/facts.js';
import { historyView, revertChoice, versionsOf } from '../../model/manifest-history.js';
import type { NodeModel } from '../../model/node.js';
import { REVERT_GATE_SECONDS, type RevertParams, revertPod } from '../../procedures/revert.js';
import { readHistoryLog, readHistoryObject } from '../../sources/manifest-history.js';
import { parseManifestText } from '../../sources/manifests/parse.js';
import { BreakglassError } from '../../util/errors.js';
import { sha256 } from '../../util/fsx.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import type { Io } from '../io.js';
import { runProcedureCommand } from '../run-procedure.js';

export function revert(args: CliArgs, io: Io): Promise<number> {
  const name = args.targets[0]!;
  return runProcedureCommand(args, io, {
    procedure: revertPod,
    feeds: ['runtime', 'health'],
    confirm: true,
    params: (model, facts) => revertParams(model, facts, name, args),
    result: (p) => ({ pod: p.name, file: p.file, sha256: p.target.sha256, previous: p.current.sha256 }),
  });
}

function revertParams(model: NodeModel, facts: NodeFacts, name: string, args: CliArgs): RevertParams {
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
  const data = fs.readFileSync(manifest.path);
  const stateDir = facts.layout.stateDir.value;
  const versions = versionsOf(readHistoryLog(stateDir, view.fileName).records);
  const choice = revertChoice(versions, sha256(data), args.flags.to ?? null);
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
    gateSeconds: args.flags.gateTimeout ?? REVERT_GATE_SECONDS,
    history: {
      stateDir,
      manifests: facts.layout.manifests.value,
      readOnly: args.flags.readOnly,
    },
  };
}
