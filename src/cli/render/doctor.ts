// What `breakglass doctor` prints: the findings as scripts read them (JSON), or as an operator reads
// them, the most likely root cause first, each with its evidence, what fails because of it and the fix.
import type { Diagnosis } from '../../model/diagnosis/types.js';
import { sanitizeLine } from '../../util/sanitize.js';

export interface DoctorReport {
  findings: DoctorFinding[];
  /** Sources that had not answered when the doctor looked: what it could not judge. */
  notRead: string[];
}

export type DoctorFinding = Omit<Diagnosis, 'fix'> & { fix: { text: string; command: string | null } };

export function doctorJson(findings: Diagnosis[], notRead: string[]): DoctorReport {
  return {
    findings: findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      title: f.title,
      subject: f.subject,
      evidence: f.evidence,
      consequences: f.consequences,
      fix: { text: f.fix.text, command: f.fix.command },
    })),
    notRead,
  };
}

const MARK = { error: '✖', warning: '!', info: 'i' } as const;

export function doctorText(report: DoctorReport): string {
  const lines: string[] = [];
  const wrong = report.findings.filter((f) => f.severity !== 'info');
  if (wrong.length === 0) lines.push('Nothing wrong found on this node.');
  else
    lines.push(`${wrong.length} finding(s)${wrong.length > 1 ? ', the most likely root cause first' : ''}:`);
  report.findings.forEach((f, i) => {
    lines.push('', `${i + 1}. ${MARK[f.severity]} ${clean(f.title)}`);
    for (const e of f.evidence) {
      const where = `${clean(e.source)}${e.line === undefined ? '' : `:${e.line}${e.column === undefined ? '' : `:${e.column}`}`}`;
      lines.push(`     ${e.at ? `${e.at}  ` : ''}${clean(e.text)}   [${where}]`);
    }
    if (f.consequences.length > 0) {
      lines.push('   because of it:');
      for (const c of f.consequences) lines.push(`     - ${clean(c)}`);
    }
    lines.push(`   fix: ${clean(f.fix.text)}`);
    if (f.fix.command) lines.push(`        ${clean(f.fix.command)}`);
  });
  if (report.notRead.length > 0)
    lines.push('', `not read in time (not judged): ${report.notRead.map(clean).join('; ')}`);
  return `${lines.join('\n')}\n`;
}

function clean(text: string): string {
  return sanitizeLine(text);
}
