// klog's text format, as the lab's stand-ins write it to stderr: the kubelet stand-in (kubelet/) and the
// control plane's (standin.ts).
//
// Bundled by esbuild into the single file of the stand-in that runs in the lab's containers
// (installStandin): it must import nothing but node: built-ins.

export type KlogSeverity = 'I' | 'W' | 'E' | 'F';
export type KlogFieldValue = string | number | boolean | string[];

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * `I1122 04:30:00.000000   12345 server.go:123] message`, stamped in the process's local time zone as
 * klog does, or in UTC.
 */
export function klogLine(
  severity: KlogSeverity,
  source: string,
  message: string,
  zone: 'local' | 'UTC',
  now = new Date(),
): string {
  // The local time's fields are those of UTC shifted by this instant's offset.
  const at = zone === 'UTC' ? now : new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  const date = `${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  const micros = pad(at.getUTCMilliseconds() * 1000, 6);
  return `${severity}${date} ${time}.${micros} ${String(process.pid).padStart(7)} ${source}] ${message}\n`;
}

/** A structured log line's message: `"Could not process manifest file" err="…" path="…"`. */
export function klogStructured(message: string, fields: Record<string, KlogFieldValue> = {}): string {
  const pairs = Object.entries(fields).map(([key, value]) =>
    typeof value === 'number' || typeof value === 'boolean'
      ? `${key}=${value}`
      : `${key}=${JSON.stringify(value)}`,
  );
  return [JSON.stringify(message), ...pairs].join(' ');
}
