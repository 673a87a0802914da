// One line of `journalctl --output=json` as an entry, sanitized. Pure.
//
// Every string in an entry went through sanitizeLine: escape sequences (OSC 52, CSI, ...) and control
// characters are gone; a multi-line MESSAGE becomes one line, its line breaks turned into spaces.
import { sanitizeLine } from '../../util/sanitize.js';

export interface JournalEntry {
  /** __CURSOR: where this entry is (journalctl --after-cursor); '' when journalctl gave none. */
  cursor: string;
  /** __REALTIME_TIMESTAMP (microseconds since the epoch), at millisecond precision. */
  time: Date | null;
  /** PRIORITY, syslog's 0 (emerg) .. 7 (debug). */
  priority: number | null;
  /** _PID */
  pid: number | null;
  /** SYSLOG_IDENTIFIER, sanitized. */
  identifier: string | null;
  /**
   * The unit the entry is about, sanitized: UNIT when systemd writes about a unit (its "Started ...",
   * "Main process exited" lines come from init.scope), OBJECT_SYSTEMD_UNIT or COREDUMP_UNIT when a
   * privileged daemon does, otherwise _SYSTEMD_UNIT (the unit that wrote it).
   */
  unit: string | null;
  /**
   * MESSAGE, sanitized, one line. Journal JSON gives MESSAGE as a string, as an array of byte values when
   * it is not valid UTF-8 (decoded here, bad bytes as U+FFFD), as null when journalctl withholds it, or as
   * an array of those when the field occurs more than once (joined with spaces). '' when absent.
   */
  text: string;
  /** The JSON line was longer than MAX_LINE_BYTES and was cut: text is the beginning of the message. */
  truncated: boolean;
}

/**
 * One line of `journalctl -o json`: an entry, or null when the line is not a JSON object. Every field
 * may be missing. With `truncated` (the line was cut), a JSON object cut short is read as far as it goes,
 * and `tail`, the line's last bytes, gives the whole fields after the cut.
 */
export function parseJournalLine(line: string, truncated = false, tail?: string): JournalEntry | null {
  const head = truncated ? parseCutObject(line) : parseObject(line);
  if (head === null) return null;
  const fields = truncated && tail ? { ...parseTailFields(tail), ...head } : head;
  return {
    cursor: fieldString(fields.__CURSOR) ?? '',
    time: parseMicroseconds(fieldString(fields.__REALTIME_TIMESTAMP)),
    priority: parsePriority(fields.PRIORITY),
    pid: parsePid(fieldString(fields._PID)),
    identifier: nameOrNull(fieldString(fields.SYSLOG_IDENTIFIER)),
    unit: nameOrNull(
      fieldString(fields.UNIT) ??
        fieldString(fields.OBJECT_SYSTEMD_UNIT) ??
        fieldString(fields.COREDUMP_UNIT) ??
        fieldString(fields._SYSTEMD_UNIT),
    ),
    text: messageText(fields.MESSAGE),
    truncated,
  };
}

function parseObject(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * A JSON object cut short, read as far as it goes: a whole line parses as usual; otherwise the fields
 * before the cut are kept and a string or byte array cut in the middle keeps its beginning.
 */
function parseCutObject(line: string): Record<string, unknown> | null {
  const whole = parseObject(line);
  if (whole !== null) return whole;
  const scanner = new CutScanner(line.trim());
  return scanner.object();
}

/**
 * The whole fields at the end of a line whose middle was dropped: from the first `,"KEY":` on. That
 * pattern cannot occur inside a JSON string (a quote in a string is always escaped), so it is a boundary.
 */
function parseTailFields(tail: string): Record<string, unknown> {
  const boundary = /,\s*"[A-Za-z0-9_]+"\s*:/g;
  for (let match = boundary.exec(tail); match !== null; match = boundary.exec(tail)) {
    const fields = parseObject(`{${tail.slice(match.index + 1)}`);
    if (fields !== null) return fields;
  }
  return {};
}

/** Just enough JSON for journalctl's output: objects of strings, numbers, null and arrays of those. */
class CutScanner {
  private at = 0;
  constructor(private readonly text: string) {}

  object(): Record<string, unknown> | null {
    this.space();
    if (this.text[this.at] !== '{') return null;
    this.at++;
    const fields: Record<string, unknown> = {};
    for (;;) {
      this.space();
      if (this.done() || this.text[this.at] !== '"') return fields;
      const key = this.string();
      if (key === null || key.cut) return fields;
      this.space();
      if (this.text[this.at] !== ':') return fields;
      this.at++;
      const value = this.value();
      if (value === undefined) return fields;
      fields[key.value] = value.value;
      if (value.cut) return fields;
      this.space();
      if (this.text[this.at] !== ',') return fields;
      this.at++;
    }
  }

  private done(): boolean {
    return this.at >= this.text.length;
  }

  private space(): void {
    while (!this.done() && /\s/.test(this.text[this.at]!)) this.at++;
  }

  /** undefined: nothing usable here. */
  private value(): { value: unknown; cut: boolean } | undefined {
    this.space();
    const c = this.text[this.at];
    if (c === '"') return this.string() ?? undefined;
    if (c === '[') return this.array();
    const literal = /^(?:null|true|false|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(
      this.text.slice(this.at, this.at + 64),
    );
    if (!literal) return undefined;
    this.at += literal[0].length;
    return { value: JSON.parse(literal[0]), cut: this.done() };
  }

  private array(): { value: unknown[]; cut: boolean } {
    this.at++;
    const items: unknown[] = [];
    for (;;) {
      this.space();
      if (this.done()) return { value: items, cut: true };
      if (this.text[this.at] === ']') {
        this.at++;
        return { value: items, cut: false };
      }
      const item = this.value();
      if (item === undefined) return { value: items, cut: true };
      // A number cut in the middle is a wrong byte: leave it out.
      if (!(item.cut && typeof item.value === 'number')) items.push(item.value);
      if (item.cut) return { value: items, cut: true };
      this.space();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== ']') return { value: items, cut: true };
    }
  }

  /** A JSON string at `at`; one cut short keeps what was complete (a half escape is dropped). */
  private string(): { value: string; cut: boolean } | null {
    const start = this.at;
    this.at++;
    while (!this.done()) {
      const c = this.text[this.at];
      if (c === '"') {
        this.at++;
        try {
          return { value: JSON.parse(this.text.slice(start, this.at)) as string, cut: false };
        } catch {
          return null;
        }
      }
      this.at += c === '\\' ? 2 : 1;
    }
    // Cut: drop a trailing half escape (\, \u12) and close the string.
    const body = this.text.slice(start + 1).replace(/\\(?:u[0-9a-fA-F]{0,3})?$/, '');
    try {
      return { value: JSON.parse(`"${body}"`) as string, cut: true };
    } catch {
      return null;
    }
  }
}

/** A field journalctl gives as a string; a field that occurs more than once is an array: its first. */
function fieldString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value) && value.length > 0 && !isByteArray(value)) return fieldString(value[0]);
  if (isByteArray(value)) return decodeBytes(value);
  return null;
}

function isByteArray(value: unknown): value is number[] {
  return (
    Array.isArray(value) &&
    value.every((byte) => typeof byte === 'number' && Number.isInteger(byte) && byte >= 0 && byte <= 255)
  );
}

function decodeBytes(bytes: number[]): string {
  return Buffer.from(bytes).toString('utf8');
}

function messageText(value: unknown): string {
  let raw: string;
  if (typeof value === 'string') raw = value;
  else if (value === null || value === undefined) raw = '';
  else if (isByteArray(value)) raw = decodeBytes(value);
  else if (Array.isArray(value))
    raw = value
      .map((one) => (typeof one === 'string' ? one : isByteArray(one) ? decodeBytes(one) : ''))
      .join(' ');
  else if (typeof value === 'number' || typeof value === 'boolean') raw = String(value);
  else raw = '';
  return sanitizeLine(raw.replace(/[\r\n]+$/, '').replace(/\r?\n/g, ' '));
}

function nameOrNull(value: string | null): string | null {
  if (value === null) return null;
  const clean = sanitizeLine(value);
  return clean === '' ? null : clean;
}

function parseMicroseconds(value: string | null): Date | null {
  if (value === null || !/^\d{1,19}$/.test(value)) return null;
  const ms = Number(BigInt(value) / 1000n);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date;
}

const PRIORITY_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** "6", 6, and syslog's names ("err", "warning") as journalctl -p takes them. */
function parsePriority(value: unknown): number | null {
  const text = fieldString(value);
  if (text === null) return null;
  const trimmed = text.trim().toLowerCase();
  if (/^[0-7]$/.test(trimmed)) return Number(trimmed);
  const named = PRIORITY_NAMES.indexOf(
    trimmed === 'error' ? 'err' : trimmed === 'warn' ? 'warning' : trimmed,
  );
  return named >= 0 ? named : null;
}

function parsePid(value: string | null): number | null {
  if (value === null || !/^\d{1,10}$/.test(value)) return null;
  const pid = Number(value);
  return pid > 0 ? pid : null;
}
