// `breakglass restart-unit UNIT`: kubelet's unit or the runtime's restarted over D-Bus (systemd's job),
// then watched until active. Only those two: breakglass is not a general systemctl.

import { restartUnitProcedure, type UnitParams } from '../../procedures/restart-unit.js';
import { BreakglassError } from '../../util/errors.js';
import { escapeName } from '../../util/sanitize.js';
import type { CliArgs } from '../args.js';
import type { Io } from '../io.js';
import { runProcedureCommand } from '../run-procedure.js';

export function restartUnitCommand(args: CliArgs, io: Io): Promise<number> {
  const asked = args.targets[0]!;
  const unit = asked.includes('.') ? asked : `${asked}.service`;
  return runProcedureCommand(args, io, {
    procedure: restartUnitProcedure,
    feeds: ['systemd', 'health'],
    confirm: true,
    params: (_, facts): UnitParams => {
      if (unit === facts.kubeletUnit.name) return { unit, role: 'kubelet' };
      if (unit === facts.runtimeUnit?.name) return { unit, role: 'runtime' };
      const known = [facts.kubeletUnit.name, facts.runtimeUnit?.name].filter(Boolean).join(' or ');
      throw new BreakglassError(
        `${escapeName(unit)} is neither kubelet's unit nor the runtime's (${known})`,
        'unknown',
      );
    },
    result: (p) => ({ unit: p.unit }),
  });
}
