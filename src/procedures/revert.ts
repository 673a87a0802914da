// `breakglass revert NAME`: a manifest put back as it was when its pod last ran healthy (or the version
// given), crash-safely, then gated like a restart: a new container running and its probe answering.
// The file as it is now goes into the history first, so the revert itself can be undone the same way.

import type { Version } from '../model/manifest-history.js';
import { podByRef } from '../model/node.js';
import { endpointText } from '../model/restart-plan.js';
import type { HistoryContext } from '../ops/manifest-history.js';
import type { HealthEndpoint } from '../sources/manifests/types.js';
import { errnoMessage } from '../util/errors.js';
import { sanitizeLine } from '../util/sanitize.js';
import { gateText, passGate } from './gate.js';
import { recordBytes } from './history-record.js';
import type { PodSubject } from './pod-steps.js';
import type { Procedure, StepContext } from './procedure.js';

export const REVERT_GATE_SECONDS = 120;

export interface RevertParams extends PodSubject {
  /** The bytes the manifest holds now (planned on), and their sha256. */
  current: { sha256: string; data: Buffer };
  /** The version put back, and its bytes (checked against its sha256 when read). */
  target: Version & { data: Buffer };
  /** What the gate probes: the put-back version's own readiness or liveness endpoint. */
  endpoint: HealthEndpoint | null;
  gateSeconds: number;
  history: HistoryContext;
  /** What put these bytes there, as the history records it: a revert (default) or an edit. */
  recordAs?: 'revert' | 'edit';
  /** The bytes put in place decode to the pod that runs (a comment, formatting): kubelet keeps it. */
  samePod?: boolean;
}

interface RevertState {
  /** The pod's containers before the swap: the gate wants a new one. */
  before: Set<string>;
  since: number;
}

const short = (sha: string) => sha.slice(0, 12);

export const revertPod: Procedure<RevertParams, RevertState> = {
  command: 'revert',
  title: (p) => `Revert ${p.file} to ${short(p.target.sha256)}`,
  steps: [
    {
      id: 'keep-current',
      describe: (p) => `keep ${p.file} as it is now (${short(p.current.sha256)}) in the manifest history`,
      run: async (ctx, p) => {
        try {
          const result = recordBytes(p.history, p.fileName, p.current.data, 'seen');
          ctx.say(
            result.appended > 0
              ? `kept ${short(p.current.sha256)}`
              : `${short(p.current.sha256)} was kept already`,
          );
          return { ok: true };
        } catch (err) {
          return {
            ok: false,
            text: `cannot keep the current ${p.file} in the history (${errnoMessage(err)}): nothing changed`,
          };
        }
      },
    },
    {
      id: 'replace',
      describe: (p, plan) =>
        `write ${short(p.target.sha256)} (${versionWords(p.target)}) over ${p.file} in ${plan.manifestsDir}: a dot-named temp file beside it, fsynced, renamed over it (locked, intent-logged, verified, audited)`,
      run: async (ctx, p, state) => {
        state.before = containerIds(ctx, p);
        state.since = Date.now();
        try {
          const result = ctx.ops.replaceManifest({
            fileName: p.fileName,
            expectSha: p.current.sha256,
            content: p.target.data,
            action: 'revert',
          });
          for (const note of result.notes) ctx.say(`note: ${sanitizeLine(note)}`);
          ctx.say(`${p.file} now holds ${short(result.sha256After)}`);
        } catch (err) {
          return { ok: false, text: `revert ${p.file}: ${err instanceof Error ? err.message : String(err)}` };
        } finally {
          ctx.node.rescan();
        }
        tryRecord(ctx, p, false);
        return { ok: true };
      },
    },
    {
      id: 'gate',
      describe: (p) =>
        p.samePod
          ? `the pod decodes the same (kubelet keeps it running, no new container): gate: it still runs${p.endpoint ? ` and ${endpointText(p.endpoint)} answers` : ''}`
          : `kubelet notices at once through inotify (or within 20 s): ${gateText(p.endpoint, p.gateSeconds)}`,
      run: async (ctx, p, state) => {
        const result = await passGate(ctx, {
          pod: p,
          endpoint: p.endpoint,
          before: state.before,
          since: state.since,
          seconds: p.gateSeconds,
          accept: (c) => p.samePod === true || p.target.podUids.includes(c.podUid),
        });
        if (!result.ok) {
          return {
            ...result,
            text: `${result.text}; the version before the revert is in the history: \`breakglass revert ${p.name} --to ${short(p.current.sha256)}\` puts it back`,
          };
        }
        tryRecord(ctx, p, true);
        return result;
      },
    },
  ],
  start: () => ({ before: new Set(), since: Date.now() }),
  notes: (p) => [
    `the file as it is now stays in the history: \`breakglass revert ${p.name} --to ${short(p.current.sha256)}\` puts it back`,
    ...(p.endpoint
      ? []
      : ['the version put back declares no HTTP probe: the gate waits for a running container only']),
  ],
  warnings: (p) =>
    p.target.healthy ? [] : [`${short(p.target.sha256)} was never seen healthy: it is put back on your word`],
  success: (p) =>
    `${p.file} holds ${short(p.target.sha256)} again; ${p.name} runs${p.endpoint ? ` and ${endpointText(p.endpoint)} answers` : ''}`,
};

function versionWords(v: Version): string {
  if (v.source === 'edit') return 'the edit';
  const seen = v.source === 'kubeadm-backup' ? `kubeadm's backup of ${v.at}` : `seen ${v.at}`;
  return v.healthy ? `last known healthy, ${seen}` : seen;
}

function containerIds(ctx: StepContext, p: PodSubject): Set<string> {
  return new Set(podByRef(ctx.node.model(), p)?.containers.map((c) => c.id) ?? []);
}

/** The put-back version in the history (healthy once its gate passed); a failure to record is a note. */
function tryRecord(ctx: StepContext, p: RevertParams, healthy: boolean): void {
  try {
    recordBytes(p.history, p.fileName, p.target.data, p.recordAs ?? 'revert', healthy);
  } catch (err) {
    ctx.say(`note: the history could not be written (${errnoMessage(err)})`);
  }
}
