// Reading container log files: the last N lines from the end in chunks (never the whole file), and an
// open file read forwards from an offset for following. Used when the runtime socket is dead or hung,
// and always for CRI runtimes, whose logs are these files.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { isErrno } from '../../../util/fsx.js';
import type { LogLine, LogOptions } from '../types.js';
import { pickLogFile, statOrNull } from './files.js';
import { LogLineJoiner, type LogRecord, parseRecord, type Stream } from './records.js';

/** How far back from the end a tail looks at most: N lines spanning more than this give fewer lines. */
export const MAX_TAIL_BYTES = 16 * 1024 * 1024;
/** One record longer than this is cut here; the rest up to its newline is dropped. */
const MAX_RECORD_BYTES = 128 * 1024;
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** One line of a file, undecoded as a record yet, with the byte offset where it starts. */
interface RawLine {
  offset: number;
  text: string;
}

/** Splits chunks read in order into lines; a line longer than MAX_RECORD_BYTES is cut there. */
class LineSplitter {
  private parts: Buffer[] = [];
  private kept = 0;

  constructor(private lineStart: number) {}

  /** The lines that `chunk` (read at `chunkOffset`) completes. */
  push(chunk: Buffer, chunkOffset: number): RawLine[] {
    const lines: RawLine[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
      lines.push({ offset: this.lineStart, text: this.take(chunk.subarray(from, nl)) });
      from = nl + 1;
      this.lineStart = chunkOffset + from;
    }
    this.keep(chunk.subarray(from));
    return lines;
  }

  /** What is left after the last newline, as a line: its writer is gone. */
  rest(): RawLine | null {
    if (this.kept === 0) return null;
    return { offset: this.lineStart, text: this.take(Buffer.alloc(0)) };
  }

  reset(offset: number): void {
    this.parts = [];
    this.kept = 0;
    this.lineStart = offset;
  }

  private take(lastPiece: Buffer): string {
    if (this.parts.length === 0)
      return lastPiece.toString('utf8', 0, Math.min(lastPiece.length, MAX_RECORD_BYTES));
    this.keep(lastPiece);
    const text = Buffer.concat(this.parts).toString('utf8');
    this.parts = [];
    this.kept = 0;
    return text;
  }

  private keep(piece: Buffer): void {
    const room = MAX_RECORD_BYTES - this.kept;
    if (room <= 0 || piece.length === 0) return;
    const copy = Buffer.from(piece.subarray(0, room));
    this.parts.push(copy);
    this.kept += copy.length;
  }
}

/** Per stream, the offset before which a record is a fragment of a line that began before the tail. */
type CleanFrom = Partial<Record<Stream, number>>;

/** Parses raw lines, drops fragments before the tail's clean points, joins partial records. */
export class LogDecoder {
  private readonly joiner = new LogLineJoiner();
  private cleanFrom: CleanFrom = {};

  startTail(cleanFrom: CleanFrom): void {
    this.cleanFrom = cleanFrom;
  }

  /** Offsets restart (another file, a truncation): the tail's clean points mean nothing any more. */
  forgetOffsets(): void {
    this.cleanFrom = {};
  }

  push(lines: RawLine[]): LogLine[] {
    const out: LogLine[] = [];
    for (const line of lines) {
      const record = parseRecord(line.text);
      const cleanFrom = this.cleanFrom[record.stream];
      if (cleanFrom !== undefined && line.offset < cleanFrom) continue;
      out.push(...this.joiner.push(record));
    }
    return out;
  }

  flush(): LogLine[] {
    return this.joiner.flush();
  }
}

/** Keeps the last `limit` lines pushed (all of them when the limit is Infinity). */
export class LastLines {
  private items: LogLine[] = [];

  constructor(private readonly limit: number) {}

  push(lines: LogLine[]): void {
    if (this.limit === 0) return;
    for (const line of lines) this.items.push(line);
    if (this.items.length > 2 * this.limit) this.items = this.items.slice(-this.limit);
  }

  lines(): LogLine[] {
    return this.items.length > this.limit ? this.items.slice(-this.limit) : this.items;
  }
}

/** Reads up to `length` bytes at `position` into `buffer`; fewer at the end of the file. */
async function readAt(
  handle: fsp.FileHandle,
  buffer: Buffer,
  position: number,
  length: number,
): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Where a tail starts: whole lines from `start` to `end` (just past the last newline). */
interface TailRegion {
  start: number;
  end: number;
  cleanFrom: CleanFrom;
  /** The scan stopped MAX_TAIL_BYTES back from the end, before it had the lines asked for. */
  bounded: boolean;
}

/**
 * Counts whole lines while scanning a file backwards. A stream's lines after its earliest full record
 * seen are whole; records of that stream before it are fragments, as are partials with no full record
 * before them yet (their line began further back).
 */
class BackwardScan {
  private readonly fullRecords = new Map<Stream, number>();
  private readonly cleanFrom = new Map<Stream, number>();

  constructor(private readonly tail: number) {}

  /** One more record (going backwards); true once the lines after the clean points are enough. */
  add(record: LogRecord, nextLineStart: number): boolean {
    if (!record.partial) {
      this.fullRecords.set(record.stream, (this.fullRecords.get(record.stream) ?? 0) + 1);
      this.cleanFrom.set(record.stream, nextLineStart);
    } else if (!this.fullRecords.has(record.stream)) {
      this.fullRecords.set(record.stream, 0);
    }
    return this.enough();
  }

  region(start: number, end: number, bounded = false): TailRegion {
    return { start, end, cleanFrom: Object.fromEntries(this.cleanFrom), bounded };
  }

  private enough(): boolean {
    let whole = 0;
    for (const full of this.fullRecords.values()) {
      if (full === 0) return false;
      whole += full - 1;
    }
    return whole >= this.tail;
  }
}

/** Finds where the last `tail` whole lines begin, reading backwards from `size` in chunks. */
export async function findTailRegion(
  handle: fsp.FileHandle,
  size: number,
  tail: number,
): Promise<TailRegion> {
  const scan = new BackwardScan(tail);
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let end = -1; // just past the last newline: bytes after it are a line still being written
  let lineEnd = -1; // the newline ending the line being looked at
  for (let chunkEnd = size; chunkEnd > 0; ) {
    const chunkStart = Math.max(0, chunkEnd - CHUNK_BYTES);
    const chunk = await readAt(handle, buffer, chunkStart, chunkEnd - chunkStart);
    for (
      let nl = chunk.lastIndexOf(NEWLINE);
      nl >= 0;
      nl = nl > 0 ? chunk.lastIndexOf(NEWLINE, nl - 1) : -1
    ) {
      const newlineAt = chunkStart + nl;
      if (end >= 0) {
        const lineStart = newlineAt + 1;
        const record = await recordAt(handle, chunk, chunkStart, lineStart, lineEnd);
        if (scan.add(record, lineEnd + 1)) return scan.region(lineStart, end);
      } else {
        end = newlineAt + 1;
      }
      lineEnd = newlineAt;
    }
    if (size - chunkStart >= MAX_TAIL_BYTES) {
      // Far enough back: start at the last line looked at, and accept a fragment at the start.
      return end < 0
        ? { start: size, end: size, cleanFrom: {}, bounded: true }
        : scan.region(lineEnd + 1, end, true);
    }
    chunkEnd = chunkStart;
  }
  return { start: 0, end: Math.max(end, 0), cleanFrom: {}, bounded: false };
}

/** The record in [lineStart, lineEnd): from the chunk in hand when it lies inside, else read. */
async function recordAt(
  handle: fsp.FileHandle,
  chunk: Buffer,
  chunkStart: number,
  lineStart: number,
  lineEnd: number,
): Promise<LogRecord> {
  const length = Math.min(lineEnd - lineStart, MAX_RECORD_BYTES);
  const bytes =
    lineStart + length <= chunkStart + chunk.length
      ? chunk.subarray(lineStart - chunkStart, lineStart - chunkStart + length)
      : await readAt(handle, Buffer.allocUnsafe(length), lineStart, length);
  return parseRecord(bytes.toString('utf8'));
}

/** tail option -> how many lines: undefined, negative or NaN = all. */
export function tailCount(tail: number | undefined): number {
  return tail === undefined || !(tail >= 0) ? Number.POSITIVE_INFINITY : Math.floor(tail);
}

/** A tail that gave fewer lines than asked because it looked back no further than MAX_TAIL_BYTES. */
export interface TailCut {
  file: string;
  /** The lines it gave, and the file's size when read. */
  lines: number;
  fileBytes: number;
}

/** The last `tail` lines of one file; trailing partials count as lines (the writer may be dead). */
export async function readFileTail(
  file: string,
  tail: number,
  onCut?: (cut: TailCut) => void,
): Promise<LogLine[]> {
  const log = await OpenLog.open(file, -1); // -1: no restart count, this file is read once
  if (log === null) return [];
  try {
    const size = await log.size();
    const region = await findTailRegion(log.handle, size, tail);
    log.seek(region.start);
    const decoder = new LogDecoder();
    decoder.startTail(region.cleanFrom);
    const last = new LastLines(tail);
    for await (const lines of log.rawLines(region.end)) last.push(decoder.push(lines));
    last.push(decoder.flush());
    const lines = last.lines();
    if (region.bounded && lines.length < tail) onCut?.({ file, lines: lines.length, fileBytes: size });
    return lines;
  } finally {
    await log.close();
  }
}

/**
 * The last `tail` complete lines (all, bounded by MAX_TAIL_BYTES, when tail is unset) of a container
 * directory's newest `<n>.log`, or of its newest rotation when `<n>.log` is empty. [] when there is none.
 * `onCut` hears when the bound gave fewer lines than asked.
 */
export async function readContainerLog(
  containerDir: string,
  options: Pick<LogOptions, 'tail'> = {},
  onCut?: (cut: TailCut) => void,
): Promise<LogLine[]> {
  const tail = tailCount(options.tail);
  if (tail === 0) return [];
  const file = await pickLogFile(containerDir);
  return file === null ? [] : readFileTail(file.path, tail, onCut);
}

/** Every line of the same file readContainerLog reads, front to back, a batch at a time: no bound. */
export async function* streamContainerLog(containerDir: string): AsyncGenerator<LogLine[]> {
  const file = await pickLogFile(containerDir);
  if (file === null) return;
  const log = await OpenLog.open(file.path, -1);
  if (log === null) return;
  try {
    const decoder = new LogDecoder();
    for await (const lines of log.rawLines()) yield decoder.push(lines);
    yield decoder.flush(); // a last line without its newline is still being written: as readFileTail
  } finally {
    await log.close();
  }
}

/** An open log file read forwards from `offset`. */
export class OpenLog {
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private readonly splitter: LineSplitter;
  private closed = false;

  private constructor(
    readonly file: string,
    readonly restartCount: number,
    readonly handle: fsp.FileHandle,
    private readonly identity: string,
    readonly viaSymlink: boolean,
    public offset: number,
  ) {
    this.splitter = new LineSplitter(offset);
  }

  /** Null when the file is not there (any more). */
  static async open(file: string, restartCount: number): Promise<OpenLog | null> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw err;
    }
    try {
      const stat = await handle.stat();
      return new OpenLog(file, restartCount, handle, identityOf(stat), await isSymlink(file), 0);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  seek(offset: number): void {
    this.offset = offset;
    this.splitter.reset(offset);
  }

  /** Batches of complete lines from the offset on, up to `until` or the end of the file. */
  async *rawLines(until = Number.POSITIVE_INFINITY): AsyncGenerator<RawLine[]> {
    while (this.offset < until && !this.closed) {
      const at = this.offset;
      const chunk = await readAt(this.handle, this.buffer, at, Math.min(CHUNK_BYTES, until - at));
      if (chunk.length === 0) return;
      this.offset += chunk.length;
      yield this.splitter.push(chunk, at);
    }
  }

  /** The unterminated line at the end, as a line: this file is done. */
  rest(): RawLine[] {
    const rest = this.splitter.rest();
    return rest === null ? [] : [rest];
  }

  /** What the path holds now: still this file, another one (rotated away and recreated), or nothing. */
  async onDisk(): Promise<'same' | 'replaced' | 'gone'> {
    const stat = await statOrNull(this.file);
    if (stat === null) return 'gone';
    return identityOf(stat) === this.identity ? 'same' : 'replaced';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** A hint only (for the poll interval): a path renamed away meanwhile is no symlink. */
async function isSymlink(file: string): Promise<boolean> {
  try {
    return (await fsp.lstat(file)).isSymbolicLink();
  } catch {
    return false;
  }
}

function identityOf(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}
