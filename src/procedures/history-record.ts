// What the node shows, kept in the manifest history: every manifest file's bytes as breakglass sees them
// (and kubeadm's backups), with a healthy mark when its pod runs healthy on them. The judgement is the
// model's (model/manifest-history.ts: what is new, what is healthy; history-prune.ts: what to drop), the
// writing ops' (ops/manifest-history.ts). Called by the TUI's recorder, `history --record`, `status`
// and `revert`; cheap when nothing is new (a read of each small log, nothing written).
import * as fs from 'node:fs';
import { HISTORY_LIMITS, pruneChoice } from '../model/history-prune.js';
import {
  appendsFor,
  type FileObservation,
  type Observation,
  observationsOf,
} from '../model/manifest-history.js';
import type { NodeModel } from '../model/node.js';
import type { HistorySource } from '../node/history-paths.js';
import { type HistoryContext, type RecordResult, recordHistory } from '../ops/manifest-history.js';
import { kubeadmBackups } from '../sources/manifest-history.js';
import { sha256 } from '../util/fsx.js';

export interface RecordContext extends HistoryContext {
  /** The node's root (--root): where kubeadm's backups are looked for. */
  root: string;
}

interface Item extends Observation {
  fileName: Buffer;
  read(): Buffer | null;
}

const DECISIONS = {
  appends: (records: Parameters<typeof appendsFor>[0], item: Item) => appendsFor(records, item),
  prune: (logs: Parameters<typeof pruneChoice>[0], stored: string[]) =>
    pruneChoice(logs, HISTORY_LIMITS, stored),
  overBound: (versions: number, bytes: () => number) =>
    versions > HISTORY_LIMITS.perFile || bytes() > HISTORY_LIMITS.totalBytes,
};

/** Records the node as the model shows it; with `kubeadm`, kubeadm's backups too. */
export function recordNode(
  ctx: RecordContext,
  model: NodeModel,
  options: { kubeadm: boolean; now?: Date } = { kubeadm: false },
): RecordResult {
  const now = options.now ?? new Date();
  const items: Item[] = observationsOf(model, now).map(fileItem);
  if (options.kubeadm) {
    for (const backup of kubeadmBackups(ctx.root).backups) {
      items.push({
        fileName: Buffer.from(backup.fileName),
        sha256: sha256(backup.data),
        size: backup.data.length,
        at: backup.at.toISOString(),
        source: 'kubeadm-backup',
        healthy: false,
        read: () => backup.data,
      });
    }
  }
  return recordHistory(ctx, items, DECISIONS);
}

/** Records these bytes as a version of `fileName` (what a revert is about to replace, or what it put back). */
export function recordBytes(
  ctx: HistoryContext,
  fileName: string,
  data: Buffer,
  source: HistorySource,
  healthy = false,
): RecordResult {
  const item: Item = {
    fileName: Buffer.from(fileName),
    sha256: sha256(data),
    size: data.length,
    at: new Date().toISOString(),
    source,
    healthy,
    read: () => data,
  };
  return recordHistory(ctx, [item], DECISIONS);
}

function fileItem(obs: FileObservation): Item {
  return {
    ...obs,
    read: () => {
      try {
        return fs.readFileSync(obs.path);
      } catch {
        return null;
      }
    },
  };
}
