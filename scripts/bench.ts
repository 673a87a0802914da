// Benchmarks on the real file system, in a temp node root: watch latency, idle cost, scan cost,
// change cost and CLI start-up. Prints a Markdown report and writes it to bench/RESULTS.md.
// Numbers are written down here, never asserted in tests: timing depends on the machine.
//
//   npm run bench                           (builds, then runs dist/scripts/bench.js)
//   BENCH_IDLE_SECONDS=5 npm run bench      (shorter idle window)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../test/helpers/paths.js';
import {
  benchChange,
  benchCli,
  benchIdle,
  benchScan,
  CHANGE_CYCLES,
  CLI_RUNS,
  changeReport,
  cliReport,
  idleReport,
  SCAN_ITERATIONS,
  scanReport,
} from './bench/node-costs.js';
import { benchWatchLatency, latencyReport, WATCH_CHANGES } from './bench/watch-latency.js';
import { machineFacts } from './bench-lib.js';

function idleSeconds(): number {
  const raw = process.env.BENCH_IDLE_SECONDS;
  if (raw === undefined || raw === '') return 60;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`BENCH_IDLE_SECONDS must be a positive number, not "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const seconds = idleSeconds();
  const log = (what: string) => process.stderr.write(`bench: ${what}\n`);
  const facts = machineFacts();
  // Idle first, while the heap holds only what the watcher needs.
  log(`idle cost (${seconds} s)`);
  const idle = await benchIdle(seconds);
  log(`watch latency (${WATCH_CHANGES} changes)`);
  const latency = await benchWatchLatency();
  log(`scan cost (${SCAN_ITERATIONS} scans)`);
  const scan = benchScan();
  log(`change cost (${CHANGE_CYCLES} cycles)`);
  const change = benchChange();
  log(`CLI start-up (${CLI_RUNS} runs)`);
  const cli = benchCli();

  const report = [
    '# breakglass benchmarks',
    '',
    'Written by `npm run bench` (scripts/bench.ts) on the real file system in a temp node root. These are',
    'measurements, not tests: rerun on the node in question before drawing conclusions.',
    '',
    facts,
    '',
    latencyReport(latency),
    '',
    idleReport(idle),
    '',
    scanReport(scan),
    '',
    changeReport(change),
    '',
    cliReport(cli),
    '',
  ].join('\n');
  process.stdout.write(report);
  const out = path.join(REPO_ROOT, 'bench');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'RESULTS.md'), report);
  log(`wrote ${path.join(out, 'RESULTS.md')}`);
}

await main();
