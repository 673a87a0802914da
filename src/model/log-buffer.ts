// A bounded log: the newest lines of one source, kept in a ring so that a flood costs a fixed amount of
// memory. Pure data structure, no I/O: sources push, views read a window.

export type LogLevel = 'error' | 'warning' | 'info';

export interface LogEntry {
  /** Increases by one per line ever pushed: a stable address for a line while it stays in the buffer. */
  seq: number;
  time: Date | null;
  /** Already sanitized by the source. */
  text: string;
  level: LogLevel;
  /** Where it came from, for a pane that mixes sources: 'stderr', 'kubelet[123]'. */
  origin: string | null;
}

export const DEFAULT_LOG_CAPACITY = 5_000;

export class LogBuffer {
  private readonly lines: (LogEntry | undefined)[];
  private next = 0;
  private size = 0;
  /** seq of the next line pushed; also counts every line ever pushed. */
  private nextSeq = 0;
  /** Bumped on every change, so a view can tell whether to re-render. */
  version = 0;

  constructor(readonly capacity = DEFAULT_LOG_CAPACITY) {
    this.lines = new Array(capacity);
  }

  push(line: Omit<LogEntry, 'seq' | 'level'> & { level?: LogLevel }): void {
    this.lines[this.next] = { ...line, level: line.level ?? levelOf(line.text), seq: this.nextSeq++ };
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    this.version++;
  }

  clear(): void {
    this.lines.fill(undefined);
    this.next = 0;
    this.size = 0;
    this.version++;
  }

  get length(): number {
    return this.size;
  }

  /** Lines pushed so far, including those already dropped. */
  get total(): number {
    return this.nextSeq;
  }

  /** Lines dropped because the buffer was full. */
  get dropped(): number {
    return this.nextSeq - this.size;
  }

  /** The i-th line held, 0 = oldest. */
  at(index: number): LogEntry | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.lines[(this.next - this.size + index + this.capacity) % this.capacity];
  }

  /** Lines [start, end) by index, oldest first. */
  slice(start: number, end: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = Math.max(0, start); i < Math.min(end, this.size); i++) out.push(this.at(i)!);
    return out;
  }

  tail(count: number): LogEntry[] {
    return this.slice(this.size - count, this.size);
  }

  /** The index of the first line after `from` (or before, going back) that matches; -1 when none. */
  find(from: number, predicate: (entry: LogEntry) => boolean, direction: 1 | -1 = 1): number {
    for (let i = from + direction; i >= 0 && i < this.size; i += direction) {
      if (predicate(this.at(i)!)) return i;
    }
    return -1;
  }
}

// klog's header (E0102 15:04:05.000000 ...), Go's and etcd's JSON level fields, and plain words.
const KLOG_ERROR = /^[EF]\d{4} /;
const KLOG_WARNING = /^W\d{4} /;
const JSON_ERROR = /"(level|severity)"\s*:\s*"(error|fatal|panic|dpanic|critical)"/i;
const JSON_WARNING = /"(level|severity)"\s*:\s*"(warn|warning)"/i;
const WORD_ERROR = /\b(error|failed|fatal|panic|refused|timed? ?out|crashloopbackoff|oomkilled)\b/i;
const WORD_WARNING = /\b(warn|warning|back-off|backoff|retrying|unhealthy)\b/i;

/** How a line reads to an operator scanning for trouble: klog severity, JSON level, else plain words. */
export function levelOf(text: string): LogLevel {
  if (KLOG_ERROR.test(text)) return 'error';
  if (KLOG_WARNING.test(text)) return 'warning';
  if (/^[ID]\d{4} /.test(text)) return 'info';
  if (JSON_ERROR.test(text)) return 'error';
  if (JSON_WARNING.test(text)) return 'warning';
  if (/"(level|severity)"\s*:/.test(text)) return 'info';
  if (WORD_ERROR.test(text)) return 'error';
  if (WORD_WARNING.test(text)) return 'warning';
  return 'info';
}

/** journald's PRIORITY: 0-3 are errors, 4 a warning; otherwise the text decides. */
export function levelOfPriority(priority: number | null, text: string): LogLevel {
  if (priority !== null && priority <= 3) return 'error';
  if (priority === 4) return 'warning';
  return levelOf(text);
}
