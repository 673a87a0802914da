// The records of kubelet's container log files, and partial records joined into lines. A line in those
// files is one CRI record (`<RFC3339Nano> <stdout|stderr> <P|F>[:flags] <text>`, P = partial) or one
// Docker json-file record (`{"log":"...\n","stream":"stderr","time":"..."}`, no trailing newline =
// partial). Partial records are joined per stream, as kubelet does for kubectl logs. Every text leaving
// here went through sanitizeLine and is at most MAX_LINE_CHARS long. Pure.
import { sanitizeLine } from '../../../util/sanitize.js';
import type { LogLine } from '../types.js';

/** A joined line longer than this (UTF-16 code units) is emitted in pieces of this size. */
export const MAX_LINE_CHARS = 64 * 1024;

export type Stream = LogLine['stream'];

/** One record of a log file: a whole line, or a piece of one when `partial`. */
export interface LogRecord extends LogLine {
  partial: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * One line of a container log file, CRI or Docker json-file (detected per line). A line in neither
 * format comes back whole as text (stdout, time null, not partial) rather than being dropped.
 * The text is sanitized.
 */
export function parseCriLogLine(line: string): LogRecord {
  const record = parseRecord(line);
  return { ...record, text: sanitizeLine(record.text) };
}

/** Like parseCriLogLine, but the text is still raw: only for the joiner, which sanitizes what it emits. */
export function parseRecord(line: string): LogRecord {
  const parsed = line.startsWith('{') ? parseDockerJsonRecord(line) : parseCriRecord(line);
  return parsed ?? { time: null, stream: 'stdout', partial: false, text: line };
}

function parseCriRecord(line: string): LogRecord | null {
  const timeEnd = line.indexOf(' ');
  const time = timeEnd > 0 ? parseTime(line.slice(0, timeEnd)) : null;
  if (time === null) return null;
  const streamEnd = line.indexOf(' ', timeEnd + 1);
  const stream = streamEnd > 0 ? asStream(line.slice(timeEnd + 1, streamEnd)) : null;
  if (stream === null) return null;
  const tagEnd = line.indexOf(' ', streamEnd + 1);
  const tag = line.slice(streamEnd + 1, tagEnd < 0 ? line.length : tagEnd).split(':')[0];
  if (tag !== 'P' && tag !== 'F') return null;
  return { time, stream, partial: tag === 'P', text: tagEnd < 0 ? '' : line.slice(tagEnd + 1) };
}

function parseDockerJsonRecord(line: string): LogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { log, stream, time } = value as Record<string, unknown>;
  const streamName = asStream(stream);
  if (typeof log !== 'string' || streamName === null) return null;
  const partial = !log.endsWith('\n');
  return {
    time: typeof time === 'string' ? parseTime(time) : null,
    stream: streamName,
    partial,
    text: partial ? log : log.slice(0, -1),
  };
}

function parseTime(text: string): Date | null {
  if (!RFC3339.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms);
}

function asStream(value: unknown): Stream | null {
  return value === 'stdout' || value === 'stderr' ? value : null;
}

interface PendingLine {
  time: Date | null;
  text: string;
}

/**
 * Turns records into complete lines: partial records are joined, per stream, up to the next full one.
 * A line growing past maxChars is emitted in pieces of maxChars, so a runaway partial cannot eat memory.
 */
export class LogLineJoiner {
  private readonly pending = new Map<Stream, PendingLine>();

  constructor(private readonly maxChars = MAX_LINE_CHARS) {}

  /** One raw line of a log file (without its newline); returns the lines it completed. */
  pushLine(rawLine: string): LogLine[] {
    return this.push(parseRecord(rawLine));
  }

  /** One record (from parseCriLogLine or raw); returns the lines it completed. */
  push(record: LogRecord): LogLine[] {
    const line = this.pending.get(record.stream) ?? { time: record.time, text: '' };
    line.text += record.text;
    const out = this.emitOverflow(record.stream, line);
    if (record.partial) {
      this.pending.set(record.stream, line);
    } else {
      this.pending.delete(record.stream);
      out.push(finishedLine(record.stream, line.time, line.text));
    }
    return out;
  }

  /** Emits the partial lines still waiting for their end (the writer is gone, or the file ended). */
  flush(): LogLine[] {
    const out = [...this.pending].map(([stream, line]) => finishedLine(stream, line.time, line.text));
    this.pending.clear();
    return out;
  }

  private emitOverflow(stream: Stream, line: PendingLine): LogLine[] {
    const out: LogLine[] = [];
    while (line.text.length > this.maxChars) {
      const cut = cutBeforeSurrogateSplit(line.text, this.maxChars);
      out.push(finishedLine(stream, line.time, line.text.slice(0, cut)));
      line.text = line.text.slice(cut);
    }
    return out;
  }
}

function finishedLine(stream: Stream, time: Date | null, text: string): LogLine {
  return { time, stream, text: sanitizeLine(text) };
}

/** `at`, or one less when that would split a surrogate pair. */
function cutBeforeSurrogateSplit(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
