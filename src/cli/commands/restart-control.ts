// The restart that runs detached, from another terminal: `--attach` follows it (or tells how the last
// one ended), `--cancel` asks it to stop; and which run `--resume` and `--rollback` act on.
import { type ProcedureRecord, readProcedureRecord } from '../../node/state-dir.js';
import { archivedProcedures, recordRunnerAlive } from '../../sources/breakglass-state.js';
import { BreakglassError } from '../../util/errors.js';
import { sanitizeLine } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import { attach, runnerHandle } from '../detached.js';
import { EXIT_OK, EXIT_PROBLEMS, type Io, jsonLine } from '../io.js';
import { discover } from '../node.js';

/** The record of the run that goes on now, when its process still runs. */
function running(stateDir: string): ProcedureRecord | null {
  const record = readProcedureRecord(stateDir);
  return record && record.end === null && recordRunnerAlive(record) ? record : null;
}

/**
 * The newest run that did not finish: one whose process died without recovery yet (its record is still
 * current), else the newest ended one, if it failed or was interrupted. A run going on now is none.
 */
export function lastUnfinished(stateDir: string): ProcedureRecord | null {
  const current = readProcedureRecord(stateDir);
  if (current) {
    if (recordRunnerAlive(current))
      throw new BreakglassError(
        `a restart runs now (pid ${current.pid}, ${current.id}): follow it with \`breakglass restart --attach\``,
        'locked',
      );
    return current;
  }
  const newest = archivedProcedures(stateDir).find((r) => r.command === 'restart');
  return newest?.end && !newest.end.ok ? newest : null;
}

export async function attachCommand(args: CliArgs, io: Io): Promise<number> {
  const stateDir = (await discover(args.flags)).stateDir.value;
  const record = running(stateDir);
  if (record) {
    const handle = runnerHandle(record.eventsPath, record.pid, record.processStart);
    return attach(io, handle, { json: args.flags.json, fromStart: true, cancel: handle.cancel });
  }
  const last = archivedProcedures(stateDir).find((r) => r.command === 'restart');
  const text = last?.end
    ? `no restart runs now; the last one (${last.id}) ${last.end.ok ? 'finished' : last.end.interrupted ? 'was interrupted' : 'failed'} at ${last.end.at}: ${last.end.text}`
    : 'no restart runs now, and none has run on this node';
  if (args.flags.json) jsonLine(io, { ok: last?.end?.ok ?? true, running: false, text, last: last ?? null });
  else io.out(`${sanitizeLine(text)}\n`);
  return !last?.end || last.end.ok ? EXIT_OK : EXIT_PROBLEMS;
}

export async function cancelCommand(args: CliArgs, io: Io): Promise<number> {
  const stateDir = (await discover(args.flags)).stateDir.value;
  const record = running(stateDir);
  if (!record) throw new BreakglassError('no restart runs now: nothing to cancel', 'nothing');
  runnerHandle(record.eventsPath, record.pid, record.processStart).cancel();
  const text = `asked the restart (pid ${record.pid}, ${record.id}) to stop: it stops waiting and puts back what it took away; \`breakglass restart --attach\` follows it to its end`;
  if (args.flags.json) jsonLine(io, { ok: true, text, id: record.id, pid: record.pid });
  else io.out(`${text}\n`);
  return EXIT_OK;
}
