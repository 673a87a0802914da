// `breakglass edit NAME`: $EDITOR (else vi) on a copy outside the manifest directory; on save the edit is
// linted (it must parse, be one Pod of the same name, bring no new error), its diff shown, and on
// confirmation swapped in crash-safely with the old version kept in the history; then the pod is
// watched until it is healthy, and if it is not, putting the old version back is one key away. An edit
// that does not lint stays where it was written: edit it again, or drop it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { historyView, versionsOf } from '../../model/manifest-history.js';
import { nodeModel } from '../../model/node.js';
import { dropWorkingCopy, openWorkingCopy, type WorkingCopy } from '../../ops/edit-copy.js';
import { checkMayChange } from '../../ops/guard.js';
import { editPod } from '../../procedures/edit.js';
import { REVERT_GATE_SECONDS, type RevertParams } from '../../procedures/revert.js';
import { readHistoryLog, readHistoryObject } from '../../sources/manifest-history.js';
import { readManifestBytes } from '../../sources/manifest-text.js';
import { decodedForm, lintEdit, sameDecodedPod } from '../../sources/manifests/edit-lint.js';
import { parseManifestText } from '../../sources/manifests/parse.js';
import { BreakglassError } from '../../util/errors.js';
import { sha256 } from '../../util/fsx.js';
import { escapeName, sanitizeText } from '../../util/sanitize.js';
import { unifiedDiff } from '../../util/text-diff.js';
import type { CliArgs } from '../args.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io } from '../io.js';
import { readNode } from '../node.js';
import { runProcedureCommand } from '../run-procedure.js';
import { revert } from './revert.js';

export async function edit(args: CliArgs, io: Io): Promise<number> {
  const name = args.targets[0]!;
  const facts = await readNode(args.flags, { runtime: false });
  checkMayChange({ readOnly: args.flags.readOnly, stateDir: facts.layout.stateDir.value }, 'edit a manifest');
  const view = historyView(nodeModel(facts), name);
  if (!view?.staticPod || !view.fileName || !view.file)
    throw new BreakglassError(`unknown static pod or manifest "${escapeName(name)}"`, 'unknown');
  if (view.enabled !== true)
    throw new BreakglassError(
      `${view.file} is disabled (in the holding directory): enable it first`,
      'usage',
    );
  const manifest = view.staticPod.manifest;
  if (manifest.kind !== 'file') throw new BreakglassError(`${view.file} is not a regular file`, 'usage');
  const pod = view.staticPod.pod;
  const current = readManifestBytes(manifest.path, view.file);
  const stateDir = facts.layout.stateDir.value;
  const copy = openWorkingCopy(stateDir, view.fileName, current);
  if (copy.resumed) io.err(`breakglass: continuing the earlier edit kept in ${escapeName(copy.path)}\n`);
  if (copy.setAside)
    io.err(
      `breakglass: ${view.file} changed since the edit kept for it was started: that edit is set aside in ${escapeName(copy.setAside)}, this one starts from the file as it is now\n`,
    );
  const nodeName = facts.layout.nodeName.value;

  for (;;) {
    runEditor(copy);
    const edited = fs.readFileSync(copy.path);
    if (edited.equals(current)) {
      dropWorkingCopy(copy);
      io.out(`${view.file}: no change; nothing done\n`);
      return EXIT_OK;
    }
    const podId = pod
      ? { name: pod.name, namespace: pod.namespace }
      : brokenPodId(view.fileName, stateDir, nodeName);
    const lint = lintEdit(edited.toString('utf8'), current.toString('utf8'), podId, nodeName);
    for (const f of lint.findings) {
      const at = f.line === undefined ? '' : `:${f.line}${f.column === undefined ? '' : `:${f.column}`}`;
      io.err(`${f.severity} ${view.file}${at}: ${escapeName(f.message)}\n`);
    }
    if (lint.ok) {
      io.err(
        sanitizeText(
          unifiedDiff(
            current.toString('utf8'),
            edited.toString('utf8'),
            `${view.file} (now)`,
            `${view.file} (edited)`,
          ),
        ),
      );
      break;
    }
    io.err(`breakglass: the edit is not put in place; it is kept in ${escapeName(copy.path)}\n`);
    const answer =
      io.ask && !args.flags.json
        ? await io.ask('[e]dit it again, [d]rop it, or [l]eave it for later? ')
        : 'l';
    if (/^e/i.test(answer.trim())) continue;
    if (/^d/i.test(answer.trim())) {
      dropWorkingCopy(copy);
      io.err(`breakglass: the edit is dropped; ${view.file} is as it was\n`);
    } else {
      io.err(`breakglass: \`breakglass edit ${escapeName(name)}\` continues it\n`);
    }
    return EXIT_PROBLEMS;
  }

  const edited = fs.readFileSync(copy.path);
  const target = parseManifestText(edited.toString('utf8'), nodeName).pods[0]!;
  const params: RevertParams = {
    name: target.name,
    file: view.file,
    fileName: view.fileName,
    podName: target.mirrorPodName,
    namespace: target.namespace,
    enabled: true,
    probeKey: target.health ? target.name : null,
    current: { sha256: sha256(current), data: current },
    target: {
      sha256: sha256(edited),
      size: edited.length,
      at: new Date().toISOString(),
      source: 'edit',
      healthy: false,
      healthyAt: null,
      podUids: podUidsOfSamePod(stateDir, view.fileName, edited),
      data: edited,
    },
    endpoint: target.readiness ?? target.health,
    gateSeconds: args.flags.gateTimeout ?? REVERT_GATE_SECONDS,
    history: { stateDir, manifests: facts.layout.manifests.value, readOnly: args.flags.readOnly },
    recordAs: 'edit',
    samePod: sameDecodedPod(current.toString('utf8'), edited.toString('utf8')),
  };
  const code = await runProcedureCommand(args, io, {
    procedure: editPod,
    feeds: ['runtime', 'health'],
    confirm: true,
    params: () => params,
    result: (p) => ({ pod: p.name, file: p.file, sha256: p.target.sha256, previous: p.current.sha256 }),
  });
  const nowHolds = sha256(readManifestBytes(manifest.path, view.file));
  if (nowHolds === params.target.sha256) dropWorkingCopy(copy); // in place, and in the history
  if (code === EXIT_OK || nowHolds !== params.target.sha256 || !io.ask || args.flags.json) return code;
  // In place but not healthy: the version before the edit is one key away.
  const answer = await io.ask(
    `Put back ${view.file} as it was before the edit (${params.current.sha256.slice(0, 12)})? [y/N] `,
  );
  if (!/^y(es)?$/i.test(answer.trim())) return code;
  return revert({ ...args, flags: { ...args.flags, to: params.current.sha256, yes: true } }, io);
}

/** $EDITOR (a command line: `code -w` works), else vi, on the working copy, on this terminal. */
function runEditor(copy: WorkingCopy): void {
  const editor = process.env.EDITOR?.trim() || 'vi';
  const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'editor', copy.path], { stdio: 'inherit' });
  if (r.error)
    throw new BreakglassError(
      `cannot run the editor (${editor}): ${r.error.message}; the copy is kept in ${escapeName(copy.path)}`,
      'editor',
    );
  if (r.status !== 0)
    throw new BreakglassError(
      `the editor (${editor}) exited with ${r.status ?? r.signal}: nothing put in place; the copy is kept in ${escapeName(copy.path)}`,
      'editor',
    );
}

/**
 * The pod a manifest that does not decode stands for: the last version in its history that did, else
 * its file name (kubeadm names the file after the pod) in kube-system.
 */
function brokenPodId(
  fileName: string,
  stateDir: string,
  nodeName: string,
): { name: string; namespace: string } {
  for (const v of versionsOf(readHistoryLog(stateDir, fileName).records)) {
    const data = readHistoryObject(stateDir, v.sha256);
    const pod = data ? parseManifestText(data.toString('utf8'), nodeName).pods[0] : undefined;
    if (pod) return { name: pod.name, namespace: pod.namespace };
  }
  return { name: fileName.replace(/\.(ya?ml|json)$/, ''), namespace: 'kube-system' };
}

/**
 * The pods the history saw healthy on a version that decodes as the edit does: kubelet hashes the
 * decoded pod, so an edit back to such a version (a broken file repaired before kubelet dropped the pod)
 * keeps that pod running, and no new container comes.
 */
function podUidsOfSamePod(stateDir: string, fileName: string, edited: Buffer): string[] {
  const form = decodedForm(edited.toString('utf8'));
  if (form === null) return [];
  return versionsOf(readHistoryLog(stateDir, fileName).records).flatMap((v) => {
    const data = v.podUids.length > 0 ? readHistoryObject(stateDir, v.sha256) : null;
    return data && decodedForm(data.toString('utf8')) === form ? v.podUids : [];
  });
}
