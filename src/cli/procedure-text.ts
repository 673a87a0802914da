// A procedure's plan and events as the operator reads them on a terminal.
import type { Plan, ProcedureEvent } from '../procedures/procedure.js';
import { sanitizeLine } from '../util/sanitize.js';

export function planText(plan: Plan): string {
  return [
    plan.title,
    ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
    ...plan.notes.map((n) => `  (${n})`),
    ...plan.warnings.map((w) => `  ! ${w}`),
    '',
  ].join('\n');
}

export function eventText(e: ProcedureEvent): string {
  switch (e.event) {
    case 'plan':
      return planText(e.plan);
    case 'started':
      return `   (running as pid ${e.pid} in its own session: closing this terminal does not stop it; Ctrl-C cancels it${!e.command || e.command === 'restart' ? '; `breakglass restart --attach` follows it again' : ''})\n`;
    case 'step':
      return `${e.index + 1}. ${sanitizeLine(e.text)}\n`;
    case 'progress':
      return `   ${clock()} ${sanitizeLine(e.text)}\n`;
    case 'step-done': {
      if (e.resumed) return '   ✓ done before: skipped\n';
      if (e.ok) return e.detail ? `   ✓ ${sanitizeLine(e.detail)}\n` : '';
      const evidence = (e.evidence ?? []).map((l) => `     ${sanitizeLine(l)}\n`).join('');
      return `   ✗ ${sanitizeLine(e.text ?? 'failed')}\n${evidence}`;
    }
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
