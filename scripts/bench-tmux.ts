// What the TUI benchmarks share (bench-tui.ts, bench-startup.ts): a process's CPU and memory from /proc,
// a key press timed to the screen in tmux, and the flood container's line count.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Tmux } from '../test/helpers/tmux.js';

const CLK_TCK = 100;
export const KEY_PRESSES = 20;

/** CPU seconds (user + system) and resident memory of a process. */
export function usageOf(pid: number): { cpuSeconds: number; rssKiB: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / CLK_TCK, rssKiB: Number(rss?.[1] ?? 0) };
}

/** Sends a key and times until the screen shows its effect (tmux polled every few ms). */
export async function keyLatency(tmux: Tmux, key: string, shows: RegExp): Promise<number> {
  const started = performance.now();
  tmux.keys(key);
  for (;;) {
    if (shows.test(tmux.screen())) return performance.now() - started;
    if (performance.now() - started > 10_000)
      throw new Error(`no effect of ${key} after 10 s:\n${tmux.screen()}`);
    await sleep(2);
  }
}

/** KEY_PRESSES times: `?` opens the help, `q` closes it; both timed. */
export async function helpToggles(tmux: Tmux): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < KEY_PRESSES; i++) {
    samples.push(await keyLatency(tmux, '?', /── keys /));
    samples.push(await keyLatency(tmux, 'q', /POD\s+MANIFEST\s+STATE/));
    await sleep(50);
  }
  return samples;
}

export /** Lines the flood has written so far: the counter in the newest line of its newest log file. */
function floodLines(podLogsDir: string): number {
  let newest: { file: string; mtime: number } | null = null;
  for (const d of fs.readdirSync(podLogsDir).filter((x) => x.startsWith('kube-system_log-flood'))) {
    const cdir = path.join(podLogsDir, d, 'log-flood');
    for (const f of fs.existsSync(cdir) ? fs.readdirSync(cdir) : []) {
      const file = path.join(cdir, f);
      const mtime = fs.statSync(file).mtimeMs;
      if (!newest || mtime > newest.mtime) newest = { file, mtime };
    }
  }
  if (!newest) return 0;
  const fd = fs.openSync(newest.file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    const counts = [...buffer.toString('utf8').matchAll(/flood line (\d+)/g)].map((m) => Number(m[1]));
    return counts.length > 0 ? Math.max(...counts) : 0;
  } finally {
    fs.closeSync(fd);
  }
}
