// The kubelet stand-in's log lines on stderr: klog's structured format, in local time as kubelet's are.
import { type KlogFieldValue, type KlogSeverity, klogLine, klogStructured } from '../klog.js';

/** `E0102 15:04:05.000000   12345 file.go:211] "Could not process manifest file" err="…" path="…"` */
export function klog(
  severity: KlogSeverity,
  source: string,
  message: string,
  fields: Record<string, KlogFieldValue> = {},
) {
  process.stderr.write(klogLine(severity, source, klogStructured(message, fields), 'local'));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
