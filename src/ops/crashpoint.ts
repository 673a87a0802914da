// Fault injection for the crash-safety tests: BREAKGLASS_CRASHPOINT=<name> makes the process kill
// itself with SIGKILL when it reaches that point, exactly like a power cut or an OOM kill would.
const target = process.env.BREAKGLASS_CRASHPOINT;

export function crashpoint(name: string): void {
  if (target === name) process.kill(process.pid, 'SIGKILL');
}
