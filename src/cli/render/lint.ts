// What `lint` prints: the findings about the manifest directory, one per line, and how many.
import { countBySeverity } from '../../model/static-pods.js';
import type { Finding } from '../../sources/manifests/types.js';
import { escapeName, sanitizeLine } from '../../util/sanitize.js';

export function lintText(findings: Finding[], dir: string): string {
  if (findings.length === 0) return `${escapeName(dir)}: no findings\n`;
  const { errors, warnings } = countBySeverity(findings);
  return `${findings.map(findingLine).join('\n')}\n\n${errors} error(s), ${warnings} warning(s) in ${escapeName(dir)}\n`;
}

export function findingLine(f: Finding): string {
  const where = f.line === undefined ? '' : `:${f.line}:${f.column ?? 1}`;
  return `  ${f.severity.padEnd(7)} ${sanitizeLine(f.file)}${where}: ${sanitizeLine(f.message)}`;
}
