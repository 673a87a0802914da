// Fault injection for the crash-safety tests: BREAKGLASS_CRASHPOINT=<name> makes the process kill
// itself with SIGKILL when it reaches that point, exactly like a power cut or an OOM kill would;
// <name>#<n> at the n-th time it gets there (a procedure passes some points once per step).
const [target, nth] = (process.env.BREAKGLASS_CRASHPOINT ?? '').split('#');
let reached = 0;

export function crashpoint(name: string): void {
  if (target !== name) return;
  reached++;
  if (reached >= Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
