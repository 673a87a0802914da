// The systemd path unit that keeps a hand edit's previous version while no breakglass runs:
// breakglass-manifest-history.path (PathChanged= on the manifest directory) starts
// breakglass-manifest-history.service, which runs `breakglass history --record` once with the same node
// flags. Installed into /etc/systemd/system under --root, then loaded, enabled and started over D-Bus
// (ops/control/units.ts); removed the same way. Guarded and audited like every change.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rootPath } from '../node/root-fs.js';
import { BreakglassError, errnoMessage } from '../util/errors.js';
import { exists, fsyncDir, writeFileDurable } from '../util/fsx.js';
import { tryAppendAudit } from './audit.js';
import { openUnitControl, type UnitControl } from './control/units.js';
import { guardedChangeAsync } from './guard.js';

export const WATCH_PATH_UNIT = 'breakglass-manifest-history.path';
export const WATCH_SERVICE_UNIT = 'breakglass-manifest-history.service';
const UNIT_DIR = '/etc/systemd/system';

export interface WatchContext {
  root: string;
  stateDir: string;
  readOnly: boolean;
  manifests: string;
  dbusAddress: string;
  /** What the service runs: this Node, this breakglass, `history --record` and the node flags. */
  command: string[];
}

export interface WatchResult {
  unitDir: string;
  units: string[];
  notes: string[];
}

/** The unit files' text. Paths are this process's: systemd must see the same file system (it does on the node itself). */
export function watchUnits(ctx: Pick<WatchContext, 'manifests' | 'command'>): Record<string, string> {
  return {
    [WATCH_PATH_UNIT]: `[Unit]
Description=breakglass: keep every version of the static pod manifests (${unitEscape(ctx.manifests)})

[Path]
PathChanged=${unitEscape(ctx.manifests)}
Unit=${WATCH_SERVICE_UNIT}

[Install]
WantedBy=multi-user.target
`,
    [WATCH_SERVICE_UNIT]: `[Unit]
Description=breakglass: record the static pod manifests' versions in its history
# A burst of changes (an editor's saves and swap files) must not trip systemd's start limit: the path
# unit would fail and watch no more.
StartLimitIntervalSec=0

[Service]
Type=oneshot
ExecStart=${ctx.command.map(execWord).join(' ')}
`,
  };
}

export function installWatch(ctx: WatchContext): Promise<WatchResult> {
  return guardedChangeAsync(ctx, 'install systemd units', async () => {
    const unitDir = rootPath(ctx.root, UNIT_DIR);
    const units = watchUnits(ctx);
    const control = openUnitControl({ address: ctx.dbusAddress, timeoutMs: 10_000 });
    const notes: string[] = [];
    try {
      try {
        fs.mkdirSync(unitDir, { recursive: true, mode: 0o755 });
        for (const [name, text] of Object.entries(units))
          writeFileDurable(path.join(unitDir, name), text, 0o644);
      } catch (err) {
        throw new BreakglassError(`cannot write the units into ${unitDir}: ${errnoMessage(err)}`, 'io');
      }
      await loadUnits(control, ctx.root, unitDir, notes);
      await control.enableUnitFiles([WATCH_PATH_UNIT]);
      await control.startUnit(WATCH_PATH_UNIT, { timeoutMs: 30_000 });
      // The directory as it is now, so the first hand edit has its version before it.
      await control.startUnit(WATCH_SERVICE_UNIT, { timeoutMs: 60_000 });
    } catch (err) {
      audit(ctx, 'install-watch', 'failed', err instanceof Error ? err.message : String(err));
      throw err instanceof BreakglassError ? err : new BreakglassError(errnoMessage(err), 'systemd');
    } finally {
      await control.close();
    }
    audit(ctx, 'install-watch', 'ok', `${WATCH_PATH_UNIT} watches ${ctx.manifests}`);
    return { unitDir, units: Object.keys(units), notes };
  });
}

export function removeWatch(ctx: Omit<WatchContext, 'command' | 'manifests'>): Promise<WatchResult> {
  return guardedChangeAsync(ctx, 'remove systemd units', async () => {
    const unitDir = rootPath(ctx.root, UNIT_DIR);
    const control = openUnitControl({ address: ctx.dbusAddress, timeoutMs: 10_000 });
    const notes: string[] = [];
    const units = [WATCH_PATH_UNIT, WATCH_SERVICE_UNIT];
    try {
      for (const unit of units) {
        await control.stopUnit(unit, { timeoutMs: 30_000 }).catch((err: Error) => {
          if (!/not (found|loaded)/i.test(err.message)) notes.push(`stopping ${unit}: ${err.message}`);
        });
      }
      await control.disableUnitFiles(units).catch((err: Error) => notes.push(`disabling: ${err.message}`));
      for (const unit of units) {
        const file = path.join(unitDir, unit);
        if (exists(file)) fs.rmSync(file, { force: true });
      }
      fsyncDir(unitDir);
      await control.reload();
    } catch (err) {
      audit(ctx, 'remove-watch', 'failed', err instanceof Error ? err.message : String(err));
      throw err instanceof BreakglassError ? err : new BreakglassError(errnoMessage(err), 'systemd');
    } finally {
      await control.close();
    }
    audit(ctx, 'remove-watch', 'ok', units.join(', '));
    return { unitDir, units, notes };
  });
}

/**
 * systemd reads the units again. With --root, the unit directory is not systemd's own (a node root in a
 * lab, a mounted root): they are linked in (LinkUnitFiles, `systemctl link`), by the paths this process
 * sees, which systemd must see too.
 */
async function loadUnits(
  control: UnitControl,
  root: string,
  unitDir: string,
  notes: string[],
): Promise<void> {
  if (path.resolve(root) !== '/') {
    await control.linkUnitFiles([WATCH_PATH_UNIT, WATCH_SERVICE_UNIT].map((u) => path.join(unitDir, u)));
    notes.push(`linked from ${unitDir} (--root): systemd must see that path`);
  }
  await control.reload();
}

function audit(ctx: { stateDir: string }, action: string, outcome: 'ok' | 'failed', message: string): void {
  tryAppendAudit(ctx.stateDir, { action, file: WATCH_PATH_UNIT, outcome, message });
}

/** A path in a unit file: specifiers (%) doubled; control characters refused. */
function unitEscape(text: string): string {
  if (/[\x00-\x1f\x7f]/.test(text))
    throw new BreakglassError(
      `a path with control characters cannot go into a unit file: ${JSON.stringify(text)}`,
    );
  return text.replaceAll('%', '%%');
}

/** One word of ExecStart=: quoted, with systemd's specifiers and variables escaped. */
function execWord(word: string): string {
  const text = unitEscape(word).replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '$$$$');
  return `"${text}"`;
}
