// Throwaway units that write to the lab's journal, and the journalctl processes that follow them.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Lines of shell, for ExecStart=/bin/sh -c "...": systemd's own escapes (\\, \", $$, %%) applied. */
export function execStartScript(lines: string[]): string {
  const script = lines.join('; ');
  const escaped = script
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('$', '$$$$')
    .replaceAll('%', '%%');
  return `/bin/sh -c "${escaped}"`;
}

/**
 * A oneshot unit running these lines. journald's rate limit (10 000 lines in 30 s, scaled by free space) is
 * lifted for it (LogRateLimitIntervalSec=0 would mean "journald's default", not "off"), and it lingers a
 * little at the end: journald attributes a line to a unit by the sender's cgroup, so lines still queued
 * when the unit's processes are gone can lose their unit (and its rate limit).
 */
export function unitText(description: string, lines: string[]): string {
  return `[Unit]
Description=${description}

[Service]
Type=oneshot
LogRateLimitIntervalSec=1s
LogRateLimitBurst=1000000
ExecStart=${execStartScript([...lines, 'sleep 2'])}
`;
}

/** A process that is gone, or a zombie nobody has reaped yet, is not running. */
export function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** journalctl processes (ours: their arguments name this journal directory and one of these units). */
export function journalctlProcesses(units: string[]): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || !running(Number(entry))) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (
        path.basename(args[0] ?? '') === 'journalctl' &&
        args.some((arg) => units.some((unit) => arg === `--unit=${unit}`))
      )
        found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
