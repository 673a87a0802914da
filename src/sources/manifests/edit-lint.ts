// Whether an edited manifest may replace the one kubelet runs: it must parse, be one Pod with the same
// name and namespace, and bring no error the file did not have. Pure: text in, findings out.
import { parse as parseYaml } from 'yaml';
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

/**
 * Whether two manifests decode to the same object (a comment, the order of keys or the quoting changed):
 * kubelet hashes the decoded pod into its UID, so it keeps such a pod running and starts no new one.
 */
export function sameDecodedPod(a: string, b: string): boolean {
  const x = decodedForm(a);
  return x !== null && x === decodedForm(b);
}

/** The decoded object in one canonical text (keys sorted): what kubelet's hash of the pod depends on. */
export function decodedForm(text: string): string | null {
  try {
    return canonical(parseYaml(text, { version: '1.1' }));
  } catch {
    return null;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
