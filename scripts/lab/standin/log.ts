import { type KlogSeverity, klogLine } from '../klog.js';

/** klog's lines on stderr, in UTC: the containers' local time. */
export function log(severity: KlogSeverity, source: string, message: string): void {
  process.stderr.write(klogLine(severity, source, message, 'UTC'));
}
