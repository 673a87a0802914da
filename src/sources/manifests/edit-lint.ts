// Whether an edited manifest may replace the one kubelet runs: it must parse, be one Pod with the same
// name and namespace, and bring no error the file did not have. Pure: text in, findings out.
import { escapeName } from '../../util/sanitize.js';
import { parseManifestText } from './parse.js';
import type { Finding } from './types.js';

export interface EditLint {
  ok: boolean;
  /** What stops it (errors), and warnings that do not. */
  findings: Omit<Finding, 'file'>[];
}

export function lintEdit(
  edited: string,
  current: string,
  pod: { name: string; namespace: string },
  nodeName: string,
): EditLint {
  const after = parseManifestText(edited, nodeName);
  const before = parseManifestText(current, nodeName);
  const known = new Set(
    before.findings.filter((f) => f.severity === 'error').map((f) => `${f.code}:${f.message}`),
  );
  const findings: Omit<Finding, 'file'>[] = after.findings.map((f) =>
    f.severity === 'error' && known.has(`${f.code}:${f.message}`) ? { ...f, severity: 'warning' } : f,
  );
  const [edit] = after.pods;
  if (after.pods.length === 0 && !findings.some((f) => f.severity === 'error')) {
    findings.push({ severity: 'error', code: 'not-a-pod', message: 'it does not decode to a pod' });
  }
  if (edit && (edit.name !== pod.name || edit.namespace !== pod.namespace)) {
    findings.push({
      severity: 'error',
      code: 'renamed',
      message: `it defines ${escapeName(edit.namespace)}/${escapeName(edit.name)}, not ${pod.namespace}/${pod.name}: kubelet would run a second pod beside a missing one`,
    });
  }
  return { ok: !findings.some((f) => f.severity === 'error'), findings };
}
