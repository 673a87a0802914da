// Files a view shows, read when it opens: the selected pod's manifest (again when its hash changes) and
// the newest audit records (again after each change breakglass made).
import { parseAuditLine } from '../../model/audit.js';
import { versionsOf } from '../../model/manifest-history.js';
import { readAuditTail } from '../../sources/breakglass-state.js';
import { readHistoryLog, readHistoryObject } from '../../sources/manifest-history.js';
import { readManifestText } from '../../sources/manifest-text.js';
import { errnoMessage } from '../../util/errors.js';
import { sanitizeLine, sanitizeText } from '../../util/sanitize.js';
import { unifiedDiff } from '../../util/text-diff.js';
import type { FeedHost } from '../feed.js';

export interface ManifestRequest {
  /** The pod view's key. */
  key: string;
  /** The file, or null for a pod without one. */
  path: string | null;
  /** Read again when the file's content changes. */
  sha256: string | null;
  /** Its exact name, for its history; null for a pod without a file. */
  fileName?: string | null;
}

export interface ShownFeed {
  showManifest(request: ManifestRequest | null): void;
  /** Read the audit log's tail now (the view opened, or a change was made). */
  readAudit(): void;
}

export function startShownFeed(host: FeedHost): ShownFeed {
  let wanted = '';
  return {
    showManifest(request) {
      const signature = JSON.stringify(request);
      if (signature === wanted) return;
      wanted = signature;
      if (!request) return;
      const { key, path } = request;
      if (!path) {
        host.update((s) => ({
          ...s,
          manifestText: {
            value: null,
            error: 'this pod has no manifest file (it runs from one kubelet no longer has)',
            at: Date.now(),
          },
        }));
        return;
      }
      // A new pod's manifest: nothing of the previous one stays on screen while it is read.
      if (host.snapshot.manifestText.value?.key !== key) {
        host.update((s) => ({ ...s, manifestText: { value: null, error: null, at: null } }));
      }
      readManifestText(path).then(
        (lines) => {
          if (wanted !== signature) return;
          const diff = healthyDiff(host.snapshot.layout.stateDir.value, request, lines);
          host.update((s) => ({
            ...s,
            manifestText: { value: { key, lines, ...diff }, error: null, at: Date.now() },
          }));
        },
        (err: unknown) => {
          if (wanted === signature)
            host.update((s) => ({
              ...s,
              manifestText: { value: null, error: errnoMessage(err), at: Date.now() },
            }));
        },
      );
    },
    readAudit() {
      const stateDir = host.snapshot.layout.stateDir.value;
      void readAuditTail(stateDir).then((r) => {
        const lines = r.lines.map((l, i) => parseAuditLine(sanitizeText(l), i));
        host.update((s) => ({ ...s, audit: { value: lines, error: r.error, at: Date.now() } }));
      });
    },
  };
}

/** From the last version its pod ran healthy on (other than this one) to the file as shown now. */
function healthyDiff(
  stateDir: string,
  request: ManifestRequest,
  lines: string[],
): { healthyDiff: { sha256: string; at: string; lines: string[] } | null; healthyNote: string | null } {
  const none = (note: string) => ({ healthyDiff: null, healthyNote: note });
  if (!request.fileName) return none('no history: this pod has no file');
  try {
    const versions = versionsOf(readHistoryLog(stateDir, request.fileName).records);
    const healthy = versions.find((v) => v.healthy);
    if (!healthy) return none('no version of it is known healthy yet');
    if (healthy.sha256 === request.sha256) return none('this is the last version its pod ran healthy on');
    const data = readHistoryObject(stateDir, healthy.sha256);
    if (!data) return none(`the bytes of ${healthy.sha256.slice(0, 12)} are no longer in the history`);
    const before = sanitizeText(data.toString('utf8'));
    const diff = unifiedDiff(
      before,
      `${lines.join('\n')}\n`,
      `last healthy ${healthy.sha256.slice(0, 12)}`,
      'now',
    );
    return {
      healthyDiff: {
        sha256: healthy.sha256,
        at: healthy.healthyAt ?? healthy.at,
        lines: diff.split('\n').map(sanitizeLine),
      },
      healthyNote: null,
    };
  } catch (err) {
    return none(`the history cannot be read: ${errnoMessage(err)}`);
  }
}
