// What /proc says: the processes (parent, state, command line), which of them are a lab's runtime, and
// the mount points under a directory.
import * as fs from 'node:fs';
import * as path from 'node:path';

const RUNTIME_EXECUTABLE = /^(dockerd|docker-proxy|containerd|containerd-shim.*|runc)$/;

export interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  args: string[];
}

export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (stat) processes.push({ pid, ...stat, args: readCmdline(pid) });
  }
  return processes;
}

/**
 * Live runtime processes (daemons, shims, runc) with the lab dir in an argument. Only those: an operator's
 * `tail -f <dir>/dockerd.log`, or `lab down --dir D` itself, names the dir too and is none of the lab's.
 */
export function labRuntimeProcesses(dir: string, processes: ProcessInfo[] = listProcesses()): ProcessInfo[] {
  return processes.filter(
    (p) =>
      p.state !== 'Z' && RUNTIME_EXECUTABLE.test(path.basename(p.args[0] ?? '')) && mentionsDir(p.args, dir),
  );
}

export function mentionsDir(args: string[], dir: string): boolean {
  return args.some((arg) => arg.endsWith(dir) || arg.includes(`${dir}/`));
}

export function descendantsOf(roots: number[], processes: ProcessInfo[]): number[] {
  const found = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of processes) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return [...found].filter((pid) => !roots.includes(pid));
}

/** State and parent from /proc/<pid>/stat; the command name in parentheses may itself hold spaces or ')'. */
function readStat(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '?', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

export function readCmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** A zombie counts as gone: it holds nothing, and PID 1 here may take its time to reap it. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** Mount points at or under dir, from /proc/self/mountinfo (field 5, with its octal escapes undone). */
export function mountsUnder(dir: string): string[] {
  const abs = path.resolve(dir);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((mountPoint) => mountPoint === abs || mountPoint.startsWith(`${abs}/`));
}
