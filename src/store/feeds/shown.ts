// Files a view shows, read when it opens: the selected pod's manifest (again when its hash changes) and
// the newest audit records (again after each change breakglass made).
import { parseAuditLine } from '../../model/audit.js';
import { readAuditTail } from '../../sources/breakglass-state.js';
import { readManifestText } from '../../sources/manifest-text.js';
import { errnoMessage } from '../../util/errors.js';
import { sanitizeText } from '../../util/sanitize.js';
import type { FeedHost } from '../feed.js';

export interface ManifestRequest {
  /** The pod view's key. */
  key: string;
  /** The file, or null for a pod without one. */
  path: string | null;
  /** Read again when the file's content changes. */
  sha256: string | null;
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
          if (wanted === signature)
            host.update((s) => ({
              ...s,
              manifestText: { value: { key, lines }, error: null, at: Date.now() },
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
