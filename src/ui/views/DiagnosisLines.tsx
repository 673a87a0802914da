// The top of the alerts: the doctor's most likely root cause, in one line, and its fix (the key that does
// it where the screen has one, else the command), with how many more findings `breakglass doctor` lists.
import { Text } from 'ink';
import type { Diagnosis } from '../../model/diagnosis/types.js';
import { sanitizeLine } from '../../util/sanitize.js';
import { tuiFix } from '../fixes.js';
import { fit } from '../format.js';
import { color, dim } from '../theme.js';

/** The findings worth the operator's eye: the informational ones stay in `breakglass doctor`. */
export function shownDiagnosis(findings: Diagnosis[]): Diagnosis[] {
  return findings.filter((f) => f.severity !== 'info');
}

export function diagnosisText(findings: Diagnosis[]): [string, string] | null {
  const [first, ...rest] = shownDiagnosis(findings);
  if (!first) return null;
  const key = first.fix.action
    ? tuiFix({ code: first.code as never, severity: 'error', message: '', fix: first.fix.action })
    : '';
  const how = first.fix.command ? `\`${first.fix.command}\`` : first.fix.text;
  const more = rest.length > 0 ? `  (+${rest.length} more: breakglass doctor)` : '';
  return [`» ${sanitizeLine(first.title)}`, `  fix: ${sanitizeLine(how)}${sanitizeLine(key)}${more}`];
}

export function DiagnosisLines({ findings, width }: { findings: Diagnosis[]; width: number }) {
  const text = diagnosisText(findings);
  if (!text) return null;
  const tone = shownDiagnosis(findings)[0]!.severity === 'error' ? 'error' : 'warning';
  return (
    <>
      <Text color={color(tone)} bold wrap="truncate-end">
        {fit(text[0], width)}
      </Text>
      <Text {...dim()} wrap="truncate-end">
        {fit(text[1], width)}
      </Text>
    </>
  );
}
