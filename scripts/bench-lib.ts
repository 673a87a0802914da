// What the benchmark scripts share: statistics, Markdown tables, the machine's facts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile (p in 0..100) of samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sum = samples.reduce((a, b) => a + b, 0);
  return {
    n: samples.length,
    min: Math.min(...samples),
    mean: sum / samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
  };
}

export function ms(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** A Markdown table with padded columns (the layout Biome's Markdown formatter keeps). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(3, h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${widths.map((w, c) => (cells[c] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Machine facts

export function commandOutput(command: string, args: string[]): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

export function cpuModel(): string {
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => /^(model name|Hardware|Processor|cpu model)\s*:/.test(l));
    if (line) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // not Linux, or no /proc: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function machineFacts(): string {
  const tmp = os.tmpdir();
  const rows = [
    ['Date', new Date().toISOString()],
    ['CPUs (nproc)', commandOutput('nproc', []) ?? String(os.availableParallelism())],
    ['CPU model', cpuModel()],
    ['Memory', `${mib(os.totalmem())} MiB`],
    ['Node', process.version],
    ['Kernel', `${os.type()} ${os.release()} (${os.arch()})`],
    ['Temp dir', `${tmp} (${commandOutput('stat', ['-f', '-c', '%T', tmp]) ?? 'unknown fs'})`],
    ['User', `uid ${process.geteuid?.() ?? '?'}`],
  ];
  return table(['Fact', 'Value'], rows);
}
