// Container logs read straight from disk, for when the runtime socket is dead or hung. kubelet's
// layout: <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log, with its rotations
// beside it as <restartCount>.log.<YYYYMMDD-hhmmss> and, older, .gz.
//
// A line in those files is one CRI record (`<RFC3339Nano> <stdout|stderr> <P|F>[:flags] <text>`,
// P = partial) or one Docker json-file record (`{"log":"...\n","stream":"stderr","time":"..."}`, no
// trailing newline = partial). Partial records are joined per stream, as kubelet does for kubectl logs.
// Every text leaving this module went through sanitizeLine and is at most MAX_LINE_CHARS long; files
// are read from the end in chunks, never whole.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { rootPath } from '../../node/root-fs.js';
import { isErrno } from '../../util/fsx.js';
import { escapeName, sanitizeLine } from '../../util/sanitize.js';
import type { LogLine, LogOptions } from './types.js';

export const DEFAULT_POD_LOGS_DIR = '/var/log/pods';
/** A joined line longer than this (UTF-16 code units) is emitted in pieces of this size. */
export const MAX_LINE_CHARS = 64 * 1024;
/** How far back from the end a tail looks at most: N lines spanning more than this give fewer lines. */
export const MAX_TAIL_BYTES = 16 * 1024 * 1024;
/** One record longer than this is cut here; the rest up to its newline is dropped. */
const MAX_RECORD_BYTES = 128 * 1024;
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const DEFAULT_POLL_MS = 300;
/** With inotify working, a slow re-check still runs, in case an event is lost. */
const SAFETY_POLL_MS = 2_000;
/**
 * After a wake-up, wait this long before reading: a container writing line by line wakes the follower
 * once per line, and one read per batch instead of per line is what keeps a log flood cheap.
 */
const BATCH_MS = 50;

type Stream = LogLine['stream'];

// ---------------------------------------------------------------------------------------------------
// Parsing and joining

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
function parseRecord(line: string): LogRecord {
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

// ---------------------------------------------------------------------------------------------------
// Files on disk

export interface LogFile {
  /** For opening, not for display (the directory part comes from the caller). */
  path: string;
  /** `0.log`, `0.log.20240101-120000`, `0.log.20240101-120000.gz`. */
  name: string;
  restartCount: number;
  /** The rotation stamp (YYYYMMDD-hhmmss) of a rotated file; null for the live `<n>.log`. */
  rotatedAt: string | null;
  compressed: boolean;
  size: number;
  mtime: Date;
}

export interface ContainerLogDir {
  /** Display-safe (escapeName). */
  name: string;
  path: string;
  /** By restart count; for one count the rotated files oldest first, then the live `<n>.log`. */
  files: LogFile[];
}

export interface PodLogDir {
  path: string;
  namespace: string;
  podName: string;
  /** For static pods the config hash. Display-safe (escapeName). */
  podUid: string;
  mtime: Date;
  containers: ContainerLogDir[];
}

const LOG_FILE_NAME = /^(\d+)\.log(?:\.(\d{8}-\d{6})(\.gz)?)?$/;

interface LogFileName {
  name: string;
  restartCount: number;
  rotatedAt: string | null;
  compressed: boolean;
}

function parseLogFileName(name: string): LogFileName | null {
  const match = LOG_FILE_NAME.exec(name);
  if (!match) return null;
  return {
    name,
    restartCount: Number(match[1]),
    rotatedAt: match[2] ?? null,
    compressed: match[3] !== undefined,
  };
}

function compareLogFiles(a: LogFileName, b: LogFileName): number {
  if (a.restartCount !== b.restartCount) return a.restartCount - b.restartCount;
  if (a.rotatedAt === b.rotatedAt) return 0;
  if (a.rotatedAt === null) return 1;
  if (b.rotatedAt === null) return -1;
  return a.rotatedAt < b.rotatedAt ? -1 : 1;
}

async function readDirOrEmpty(dir: string): Promise<fs.Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    throw err;
  }
}

async function statOrNull(file: string): Promise<fs.Stats | null> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

async function readLogFileNames(dir: string): Promise<LogFileName[]> {
  const names = (await readDirOrEmpty(dir)).flatMap((entry) => parseLogFileName(entry.name) ?? []);
  return names.sort(compareLogFiles);
}

/** The log files of one container directory, in the order of ContainerLogDir.files. Dangling links are left out. */
export async function listLogFiles(dir: string): Promise<LogFile[]> {
  const files: LogFile[] = [];
  for (const name of await readLogFileNames(dir)) {
    const file = path.join(dir, name.name);
    const stat = await statOrNull(file);
    if (stat?.isFile()) files.push({ ...name, path: file, size: stat.size, mtime: stat.mtime });
  }
  return files;
}

/**
 * The log directories of a pod, every UID it had (newest first by mtime), with their containers
 * and log files. Filesystem only. A missing podLogsDir gives [].
 */
export async function findPodLogDirs(
  podLogsDir: string,
  namespace: string,
  podName: string,
): Promise<PodLogDir[]> {
  // Namespaces and pod names cannot hold '_', so the prefix is unambiguous and the rest is the UID.
  const prefix = `${namespace}_${podName}_`;
  const dirs: PodLogDir[] = [];
  for (const entry of await readDirOrEmpty(podLogsDir)) {
    const uid = entry.name.slice(prefix.length);
    if (!entry.name.startsWith(prefix) || uid === '' || uid.includes('_') || !entry.isDirectory()) continue;
    const dir = path.join(podLogsDir, entry.name);
    const stat = await statOrNull(dir);
    if (stat === null) continue;
    dirs.push({
      path: dir,
      namespace: escapeName(namespace),
      podName: escapeName(podName),
      podUid: escapeName(uid),
      mtime: stat.mtime,
      containers: await listContainerDirs(dir),
    });
  }
  return dirs.sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
}

async function listContainerDirs(podDir: string): Promise<ContainerLogDir[]> {
  const containers: ContainerLogDir[] = [];
  for (const entry of await readDirOrEmpty(podDir)) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(podDir, entry.name);
    containers.push({ name: escapeName(entry.name), path: dir, files: await listLogFiles(dir) });
  }
  return containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The file a tail of this container directory reads: the live `<n>.log` of the highest restart count,
 * or, when that is empty, its newest uncompressed rotation. Null when there is nothing to read.
 */
export async function pickLogFile(containerDir: string): Promise<LogFile | null> {
  const files = (await listLogFiles(containerDir)).filter((file) => !file.compressed);
  const newestRestart = files.at(-1)?.restartCount;
  const candidates = files.filter((file) => file.restartCount === newestRestart);
  return candidates.findLast((file) => file.size > 0) ?? null;
}

async function newestLiveLog(containerDir: string): Promise<LogFileName | null> {
  return (await readLogFileNames(containerDir)).findLast((name) => name.rotatedAt === null) ?? null;
}

/** The live log of the next restart after `restartCount` (the smallest higher one: none is skipped). */
async function nextRestartLog(containerDir: string, restartCount: number): Promise<LogFileName | null> {
  const names = await readLogFileNames(containerDir);
  return names.find((name) => name.rotatedAt === null && name.restartCount > restartCount) ?? null;
}

// ---------------------------------------------------------------------------------------------------
// Reading lines

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
class LogDecoder {
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
class LastLines {
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

  region(start: number, end: number): TailRegion {
    return { start, end, cleanFrom: Object.fromEntries(this.cleanFrom) };
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
async function findTailRegion(handle: fsp.FileHandle, size: number, tail: number): Promise<TailRegion> {
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
      return end < 0 ? { start: size, end: size, cleanFrom: {} } : scan.region(lineEnd + 1, end);
    }
    chunkEnd = chunkStart;
  }
  return { start: 0, end: Math.max(end, 0), cleanFrom: {} };
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
function tailCount(tail: number | undefined): number {
  return tail === undefined || !(tail >= 0) ? Number.POSITIVE_INFINITY : Math.floor(tail);
}

/** The last `tail` lines of one file; trailing partials count as lines (the writer may be dead). */
async function readFileTail(file: string, tail: number): Promise<LogLine[]> {
  const log = await OpenLog.open(file, -1); // -1: no restart count, this file is read once
  if (log === null) return [];
  try {
    const region = await findTailRegion(log.handle, await log.size(), tail);
    log.seek(region.start);
    const decoder = new LogDecoder();
    decoder.startTail(region.cleanFrom);
    const last = new LastLines(tail);
    for await (const lines of log.rawLines(region.end)) last.push(decoder.push(lines));
    last.push(decoder.flush());
    return last.lines();
  } finally {
    await log.close();
  }
}

/**
 * The last `tail` complete lines (all, bounded by MAX_TAIL_BYTES, when tail is unset) of a container
 * directory's newest `<n>.log`, or of its newest rotation when `<n>.log` is empty. [] when there is none.
 */
export async function readContainerLog(
  containerDir: string,
  options: Pick<LogOptions, 'tail'> = {},
): Promise<LogLine[]> {
  const tail = tailCount(options.tail);
  if (tail === 0) return [];
  const file = await pickLogFile(containerDir);
  return file === null ? [] : readFileTail(file.path, tail);
}

/** An open log file read forwards from `offset`. */
class OpenLog {
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

// ---------------------------------------------------------------------------------------------------
// Following

export interface FollowLogOptions extends LogOptions {
  /** Called when the container restarted and following moved on to its new `<n>.log` (the path). */
  onSwitch?: (file: string) => void;
  /** false: never fs.watch, only poll. Default true. */
  watch?: boolean;
  /**
   * Poll interval when fs.watch is unavailable (no inotify watches left, no directory yet) or the log
   * is a symlink (Docker), whose writes a directory watch does not see. Default 300 ms.
   */
  pollMs?: number;
}

/**
 * Wakes the follower: at a change in the directory (fs.watch), or when the poll interval is over.
 * Idle with inotify working, it costs one timer every SAFETY_POLL_MS.
 */
class Wakeup {
  private watcher: fs.FSWatcher | null = null;
  private signalled = false;
  private dirChanged = true;
  private closed = false;
  private release: (() => void) | null = null;

  constructor(
    private readonly dir: string,
    private readonly useWatch: boolean,
  ) {}

  get watching(): boolean {
    return this.watcher !== null;
  }

  /** Resolves at the next change, after `ms` at most, or at once when one came meanwhile or closed. */
  wait(ms: number): Promise<void> {
    this.startWatching();
    if (this.closed || this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.notify(true), ms);
      this.release = () => {
        clearTimeout(timer);
        this.release = null;
        this.signalled = false;
        resolve();
      };
    });
  }

  /** Whether entries may have changed since the last call (a create or rename, or a poll tick). */
  takeDirChanged(): boolean {
    const changed = this.dirChanged;
    this.dirChanged = false;
    return changed;
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    this.release?.();
  }

  private notify(dirChanged: boolean): void {
    if (dirChanged) this.dirChanged = true;
    this.signalled = true;
    this.release?.();
  }

  private startWatching(): void {
    if (!this.useWatch || this.watcher !== null || this.closed) return;
    try {
      const watcher = fs.watch(this.dir, (event) => this.notify(event === 'rename'));
      watcher.on('error', () => {
        this.stopWatching();
        this.notify(true);
      });
      this.watcher = watcher;
    } catch {
      // No directory yet, or out of inotify watches: polling until a later wait() manages.
      this.watcher = null;
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

/**
 * The tail of a container's log, then the lines appended to it, until `signal` aborts or the consumer
 * stops. Follows restarts (a higher `<n>.log` appears: the old file is finished, onSwitch is called),
 * rotation (the file renamed away: the new `<n>.log` is opened) and copytruncate (the size shrinks:
 * read again from 0). Waits for a first log file if there is none yet.
 */
export function followContainerLog(
  containerDir: string,
  options: FollowLogOptions = {},
): AsyncGenerator<LogLine, void, undefined> {
  return new LogFollower(containerDir, options).lines();
}

class LogFollower {
  private readonly wakeup: Wakeup;
  private readonly decoder = new LogDecoder();
  private readonly pollMs: number;
  private log: OpenLog | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly options: FollowLogOptions,
  ) {
    this.wakeup = new Wakeup(dir, options.watch !== false);
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  async *lines(): AsyncGenerator<LogLine, void, undefined> {
    const { signal } = this.options;
    if (signal?.aborted) return;
    const onAbort = () => void this.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await this.openFirstLog())) return;
      yield* this.tailLines();
      while (!this.closed) {
        yield* this.drain();
        const moved = yield* this.followMoves();
        if (!moved) {
          await this.wakeup.wait(this.pollInterval());
          if (!this.closed) await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
        }
      }
    } catch (err) {
      if (!this.closed) throw err; // reads cut short by the abort are expected
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.close();
    }
  }

  private async close(): Promise<void> {
    this.closed = true;
    this.wakeup.close();
    await this.log?.close();
  }

  private pollInterval(): number {
    return this.wakeup.watching && !this.log?.viaSymlink ? SAFETY_POLL_MS : this.pollMs;
  }

  private async openFirstLog(): Promise<boolean> {
    while (!this.closed) {
      const name = await newestLiveLog(this.dir);
      const log =
        name === null ? null : await OpenLog.open(path.join(this.dir, name.name), name.restartCount);
      if (log !== null && this.closed) await log.close();
      else if (log !== null) {
        this.log = log;
        return true;
      }
      await this.wakeup.wait(this.pollInterval());
    }
    return false;
  }

  /** The last `tail` lines, from the newest rotation when the live file is still empty. */
  private async *tailLines(): AsyncGenerator<LogLine> {
    const tail = tailCount(this.options.tail);
    const log = this.log!;
    if (tail === Number.POSITIVE_INFINITY) return; // all of it: the first drain reads from 0
    const size = await log.size();
    if (size === 0) {
      yield* await this.rotatedTail(log, tail);
      return;
    }
    const region = await findTailRegion(log.handle, size, tail);
    log.seek(region.start);
    this.decoder.startTail(region.cleanFrom);
    const last = new LastLines(tail);
    for await (const lines of log.rawLines(size)) last.push(this.decoder.push(lines));
    yield* last.lines();
  }

  private async rotatedTail(log: OpenLog, tail: number): Promise<LogLine[]> {
    const picked = await pickLogFile(this.dir);
    const isRotation =
      picked !== null && picked.rotatedAt !== null && picked.restartCount === log.restartCount;
    return isRotation && tail > 0 ? readFileTail(picked.path, tail) : [];
  }

  /** Everything appended since the last read; after a truncation, the file again from 0. */
  private async *drain(): AsyncGenerator<LogLine> {
    const log = this.log!;
    const size = await log.size();
    if (size === log.offset) return; // idle: no read
    if (size < log.offset) {
      yield* this.decoder.flush();
      this.decoder.forgetOffsets();
      log.seek(0);
    }
    for await (const lines of log.rawLines()) yield* this.decoder.push(lines);
  }

  /** Moves to the next restart's file, or to the recreated file after a rotation. True when it moved. */
  private async *followMoves(): AsyncGenerator<LogLine, boolean> {
    if (this.closed || !this.wakeup.takeDirChanged()) return false;
    const log = this.log!;
    const next = await nextRestartLog(this.dir, log.restartCount);
    if (next !== null) {
      const moved = yield* this.switchTo(path.join(this.dir, next.name), next.restartCount);
      if (moved) this.options.onSwitch?.(path.join(this.dir, next.name));
      return moved;
    }
    if ((await log.onDisk()) !== 'replaced') return false;
    return yield* this.switchTo(log.file, log.restartCount);
  }

  /** Finishes the current file and opens `file` from 0. A new restart also ends its pending partials. */
  private async *switchTo(file: string, restartCount: number): AsyncGenerator<LogLine, boolean> {
    const next = await OpenLog.open(file, restartCount);
    if (next === null) return false;
    const previous = this.log!;
    this.log = next;
    try {
      for await (const lines of previous.rawLines()) yield* this.decoder.push(lines);
      yield* this.decoder.push(previous.rest());
      if (restartCount !== previous.restartCount) yield* this.decoder.flush();
      this.decoder.forgetOffsets();
    } finally {
      await previous.close();
    }
    if (this.closed) await next.close();
    return true;
  }
}

/**
 * The directory of a container's log files, from the log path its runtime reports: a node path, so
 * below --root first; as reported for a runtime of this machine (a lab beside a rescued root). null
 * when neither holds a log file.
 */
export async function containerLogDirOf(root: string, logPath: string): Promise<string | null> {
  for (const dir of [path.dirname(rootPath(root, logPath)), path.dirname(logPath)]) {
    if (await pickLogFile(dir)) return dir;
  }
  return null;
}
