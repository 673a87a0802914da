// npm run lab -- <command> [--dir D] [--port-offset N] [--runtime cri|docker] [--daemons-only]
//   up           starts the lab: packages, its own dockerd and containerd, images, then the control plane
//                (systemd with kubelet.service, etcd and the stand-ins as static pods); prints its env lines
//   down         stops it, leaving no process, mount or container behind (images and caches stay)
//   status       where everything is, how breakglass is pointed at it, health, faults on
//   fault [NAME] breaks the lab (without NAME: the list of faults)
//   heal [NAME]  undoes one fault, or all of them
//   open         breakglass pointed at the lab, in this terminal (the TUI; status when not a terminal)
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FAULTS } from './faults.js';
import {
  DEFAULT_LAB_DIR,
  labBreakglassArgs,
  labDown,
  labEnvFor,
  labEnvLines,
  labFault,
  labHeal,
  labIsUp,
  labStatus,
  labUp,
} from './lab.js';

const USAGE = `usage: npm run lab -- up|down|status|fault [NAME]|heal [NAME]|open [--dir DIR] [--port-offset N] [--runtime cri|docker] [--daemons-only]`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: DEFAULT_LAB_DIR },
      'port-offset': { type: 'string' },
      runtime: { type: 'string' },
      'daemons-only': { type: 'boolean' },
    },
  });
  const [command, name, ...rest] = positionals;
  const dir = values.dir!;
  if (rest.length > 0) throw new Error(USAGE);
  switch (command) {
    case 'up': {
      const runtime = values.runtime;
      if (runtime !== undefined && runtime !== 'cri' && runtime !== 'docker')
        throw new Error('--runtime is cri or docker');
      const offset = values['port-offset'] === undefined ? undefined : Number(values['port-offset']);
      // 10259 + 22000 < 32768: every port stays below Linux's ephemeral range, where any outgoing
      // connection may hold a number the lab wants to listen on.
      if (offset !== undefined && !(Number.isInteger(offset) && offset >= 0 && offset <= 22000)) {
        throw new Error(
          '--port-offset takes a whole number from 0 to 22000 (ports stay below 32768, the ephemeral range)',
        );
      }
      const env = await labUp(dir, {
        controlPlane: values['daemons-only']
          ? false
          : { ...(offset !== undefined ? { portOffset: offset } : {}), ...(runtime ? { runtime } : {}) },
      });
      process.stdout.write(values['daemons-only'] ? labEnvLines(env) : await labStatus(dir));
      return 0;
    }
    case 'down':
      await labDown(dir);
      return 0;
    case 'status':
      if (!(await labIsUp(dir))) {
        process.stderr.write(`lab: not up in ${dir}\n`);
        return 1;
      }
      process.stdout.write(await labStatus(dir));
      return 0;
    case 'fault':
      if (!name) {
        for (const f of FAULTS) process.stdout.write(`${f.name.padEnd(30)} ${f.description}\n`);
        return 0;
      }
      await labFault(dir, name);
      return 0;
    case 'heal':
      await labHeal(dir, name);
      return 0;
    case 'open': {
      if (!(await labIsUp(dir))) {
        process.stderr.write(`lab: not up in ${dir}: npm run lab -- up\n`);
        return 1;
      }
      const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/breakglass');
      const result = spawnSync(bin, labBreakglassArgs(labEnvFor(dir)), { stdio: 'inherit' });
      return result.status ?? 1;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
