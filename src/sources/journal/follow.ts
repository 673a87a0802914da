// A systemd unit's journal (kubelet's, typically), read by running the real journalctl, in two steps:
//
//   1. the backlog:  journalctl --unit=<u> --output=json --all --output-fields=... --no-pager --lines=<n>
//   2. following:    journalctl --unit=<u> --output=json --all --output-fields=... --no-pager --follow
//                               --after-cursor=<the backlog's last cursor>   (or --since=@<start time>)
//   both with --directory=<dir> when given (the lab keeps its journal in a directory; a node, no directory).
//
// Why not one `journalctl -f -n <n>`: journalctl (seen with systemd 252) positions a follow at "the tail"
// lazily, on its first wake-up: with --lines=0, or when the unit has no entry yet, every entry written
// before that wake-up is skipped (in the lab, the first 9 000 lines of a 20 000-line burst, or all but the
// last). A cursor or a time is an exact position, so step 2 misses nothing and repeats nothing. Note that
// journalctl --follow only shows the current boot; the backlog may reach into earlier boots.
//
// journalctl does the matching (`-u kubelet` also finds systemd's own lines about the unit: "Started",
// "Main process exited", and coredumps) and reads every journal file format; we only parse its JSON lines.
// Without --all, journalctl replaces every field over 4096 bytes with null.
//
// Flood safety: entries are handed over in batches, at most one callback per BATCH_MS, each batch at most
// MAX_BATCH_ENTRIES entries and about MAX_BATCH_CHARS of text. When a batch is full, journalctl's stdout is
// paused until the batch is delivered, so journalctl blocks on the pipe (backpressure) instead of our
// memory growing. A line longer than MAX_LINE_BYTES is cut there (the rest up to its newline is dropped) and
// what survives is still parsed, marked truncated. Nothing is kept beyond the current batch and one line.
import { type ChildProcess, spawn } from 'node:child_process';
import { sanitizeLine } from '../../util/sanitize.js';
import { type JournalEntry, parseJournalLine } from './parse.js';

export interface JournalFollowOptions {
  /** A unit name as journalctl -u takes it: 'kubelet' or 'kubelet.service'. */
  unit: string;
  /** A journal directory (journalctl --directory); null or absent for the system journal. */
  directory?: string | null;
  /** How many of the latest entries come first (the backlog); default 200. */
  lines?: number;
  /** The journalctl binary; default 'journalctl' (looked up on PATH). */
  journalctl?: string;
  /** Aborting closes the follower, like close(). */
  signal?: AbortSignal;
}

export interface JournalFollower {
  /** Stops: kills journalctl (SIGTERM, then SIGKILL after KILL_AFTER_MS) and no callback runs any more. */
  close(): void;
  /** The current journalctl's process id (the backlog's, then the follower's; undefined if none started). */
  readonly pid: number | undefined;
  /** Lines that were not a JSON object: skipped. */
  readonly skippedLines: number;
  /** Lines longer than MAX_LINE_BYTES, cut (and delivered as truncated entries when what was left parsed). */
  readonly truncatedLines: number;
}

export const DEFAULT_JOURNAL_LINES = 200;
/** Entries are coalesced for this long, and two callbacks are at least this far apart. */
export const BATCH_MS = 50;
/** A batch holds at most this many entries: then stdout is paused until it is delivered. */
export const MAX_BATCH_ENTRIES = 5_000;
/** ... or about this much text (UTF-16 code units). */
export const MAX_BATCH_CHARS = 4 * 1024 * 1024;
/** One JSON line longer than this (bytes) is cut here. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Of a cut line, its last bytes are kept too: the fields after the long one (journalctl's order varies). */
export const LINE_TAIL_BYTES = 4 * 1024;
export const JOURNALCTL_MISSING = "journalctl not found: install systemd's journalctl to see kubelet's log";

const OUTPUT_FIELDS = [
  'MESSAGE',
  'PRIORITY',
  '_PID',
  'SYSLOG_IDENTIFIER',
  '_SYSTEMD_UNIT',
  'UNIT',
  'OBJECT_SYSTEMD_UNIT',
  'COREDUMP_UNIT',
];
const KILL_AFTER_MS = 2_000;
/** With an empty backlog, following starts this long before the start (entries still being written). */
const SINCE_MARGIN_MS = 1_000;
const MAX_STDERR_BYTES = 4 * 1024;
const NEWLINE = 0x0a;

function commonArgs(opts: JournalFollowOptions): string[] {
  return [
    `--unit=${opts.unit}`,
    '--output=json',
    '--all',
    `--output-fields=${OUTPUT_FIELDS.join(',')}`,
    '--no-pager',
    ...(opts.directory ? [`--directory=${opts.directory}`] : []),
  ];
}

function backlogLines(opts: JournalFollowOptions): number {
  const lines = opts.lines ?? DEFAULT_JOURNAL_LINES;
  if (!Number.isInteger(lines) || lines < 0)
    throw new RangeError(`lines must be a whole number >= 0: ${lines}`);
  return lines;
}

/** journalctl's arguments for the backlog (step 1). */
export function journalctlBacklogArgs(opts: JournalFollowOptions): string[] {
  return [...commonArgs(opts), `--lines=${backlogLines(opts)}`];
}

/** journalctl's arguments for following (step 2): after a cursor, or from a time on. */
export function journalctlFollowArgs(
  opts: JournalFollowOptions,
  from: { cursor: string } | { since: Date },
): string[] {
  const position =
    'cursor' in from
      ? `--after-cursor=${from.cursor}`
      : `--since=@${(from.since.getTime() / 1000).toFixed(3)}`;
  return [...commonArgs(opts), '--follow', position];
}

/**
 * Spawns journalctl and calls onEntries with batches of entries, oldest first: the backlog (the last
 * `lines` entries), then new ones as they come. Batches are coalesced for BATCH_MS and never closer
 * together than that, so a flood gives few callbacks, not one per line. onError gets a plain-words error,
 * at most once, after the entries read before it: journalctl missing (JOURNALCTL_MISSING), or journalctl
 * ending by itself ("journalctl: " and the first line of its stderr, sanitized, e.g. "Data from the
 * specified boot (+0) is not available: No such boot ID in journal" for a directory with no journal of
 * this boot). After close() (or the signal's abort) no callback runs. Throws (RangeError) only for a
 * `lines` that is not a whole number >= 0.
 */
export function followJournal(
  opts: JournalFollowOptions,
  onEntries: (entries: JournalEntry[]) => void,
  onError: (err: Error) => void,
): JournalFollower {
  const binary = opts.journalctl ?? 'journalctl';
  const lines = backlogLines(opts);
  const started = new Date();
  let closed = false;
  let failed = false;
  let skippedLines = 0;
  let truncatedLines = 0;
  /** The cursor of the last entry read: where following starts. */
  let lastCursor = '';

  let batch: JournalEntry[] = [];
  let batchChars = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastDelivery = 0;
  let paused = false;
  let child: ChildProcess | null = null;
  /** The current journalctl's reader: stop reading its stdout; read on (what was held first). */
  let pauseReader = (): void => {};
  let resumeReader = (): void => {};

  const deliver = (): void => {
    timer = null;
    if (closed) return;
    lastDelivery = Date.now();
    if (batch.length > 0) {
      const entries = batch;
      batch = [];
      batchChars = 0;
      onEntries(entries);
    }
    if (paused && !closed) {
      paused = false;
      resumeReader();
    }
  };

  const schedule = (): void => {
    if (timer !== null || closed) return;
    timer = setTimeout(deliver, Math.max(BATCH_MS, lastDelivery + BATCH_MS - Date.now()));
  };

  const fail = (error: Error): void => {
    if (closed || failed) return;
    failed = true;
    if (timer !== null) clearTimeout(timer);
    deliver();
    if (!closed) onError(error);
  };

  /** One line; rest: the end of a line that was cut (null when it was whole). */
  const takeLine = (buffer: Buffer, rest: Buffer | null): void => {
    if (rest !== null) truncatedLines++;
    const line = buffer.toString('utf8');
    if (line.trim() === '') return;
    const entry =
      rest === null ? parseJournalLine(line) : parseJournalLine(line, true, rest.toString('utf8'));
    if (entry === null) {
      skippedLines++;
      return;
    }
    if (entry.cursor !== '') lastCursor = entry.cursor;
    batch.push(entry);
    batchChars += entry.text.length + 64;
    if ((batch.length >= MAX_BATCH_ENTRIES || batchChars >= MAX_BATCH_CHARS) && !paused) {
      paused = true;
      pauseReader();
    }
    schedule();
  };

  /** One journalctl; onSuccess runs when it exits 0 (the backlog is complete). */
  const run = (args: string[], onSuccess: () => void): void => {
    const proc = spawn(binary, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' },
    });
    child = proc;
    // The line being read: its pieces and their bytes; past MAX_LINE_BYTES (cutting), only its last
    // LINE_TAIL_BYTES are kept, for the fields after the long one.
    let pieces: Buffer[] = [];
    let pieceBytes = 0;
    let cutting = false;
    let tail: Buffer = Buffer.alloc(0);
    let stderr = Buffer.alloc(0);
    /** The rest of a chunk not read yet because the batch filled up: read first when resuming. */
    let held: Buffer | null = null;

    const endLine = (): void => {
      const buffer = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, pieceBytes);
      const cut = cutting;
      const rest = tail;
      pieces = [];
      pieceBytes = 0;
      cutting = false;
      tail = Buffer.alloc(0);
      takeLine(buffer, cut ? rest : null);
    };

    const addPiece = (piece: Buffer): void => {
      if (piece.length === 0) return;
      if (cutting) {
        // Copied: a subarray would keep the whole chunk alive.
        const joined = tail.length === 0 ? piece : Buffer.concat([tail, piece]);
        tail = Buffer.from(joined.subarray(Math.max(0, joined.length - LINE_TAIL_BYTES)));
        return;
      }
      const room = MAX_LINE_BYTES - pieceBytes;
      if (piece.length > room) {
        pieces.push(Buffer.from(piece.subarray(0, room)));
        pieceBytes += room;
        cutting = true;
        addPiece(piece.subarray(room));
        return;
      }
      pieces.push(Buffer.from(piece));
      pieceBytes += piece.length;
    };

    /** Reads whole lines from chunk until it ends or the batch fills (then the rest is held). */
    const consume = (chunk: Buffer): void => {
      let start = 0;
      while (!paused) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline < 0) break;
        if (pieces.length === 0 && !cutting && newline - start <= MAX_LINE_BYTES) {
          takeLine(chunk.subarray(start, newline), null);
        } else {
          addPiece(chunk.subarray(start, newline));
          endLine();
        }
        start = newline + 1;
      }
      if (paused) {
        held = start < chunk.length ? chunk.subarray(start) : null;
        return;
      }
      if (start < chunk.length) addPiece(chunk.subarray(start));
    };

    resumeReader = () => {
      const rest = held;
      held = null;
      if (rest !== null) consume(rest);
      if (!paused) proc.stdout.resume();
    };
    pauseReader = () => proc.stdout.pause();

    proc.stdout.on('data', (chunk: Buffer) => {
      if (!closed) consume(chunk);
    });

    proc.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES)
        stderr = Buffer.concat([stderr, chunk.subarray(0, MAX_STDERR_BYTES - stderr.length)]);
    });

    proc.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') fail(new Error(JOURNALCTL_MISSING));
      else if (error.code === 'EACCES')
        fail(new Error(`journalctl could not be run: permission denied (${sanitizeLine(binary)})`));
      else fail(new Error(`journalctl could not be run: ${sanitizeLine(error.message)}`));
    });

    // 'close' comes after stdout and stderr have ended: every line is in.
    proc.on('close', (code, signal) => {
      if (closed || failed) return;
      if (pieceBytes > 0 || cutting) endLine();
      if (code === 0 && signal === null) {
        onSuccess();
        return;
      }
      const firstLine = sanitizeLine(
        stderr
          .toString('utf8')
          .split('\n')
          .find((line) => line.trim() !== '') ?? '',
      ).trim();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      fail(new Error(firstLine !== '' ? `journalctl: ${firstLine}` : `journalctl ${how}`));
    });
  };

  const follow = (): void => {
    if (closed || failed) return;
    // No entry yet: everything from a second before the start (the backlog had nothing older to show).
    const from =
      lastCursor !== ''
        ? { cursor: lastCursor }
        : { since: new Date(started.getTime() - (lines > 0 ? SINCE_MARGIN_MS : 0)) };
    run(journalctlFollowArgs(opts, from), () =>
      fail(new Error('journalctl stopped following (exited with code 0)')),
    );
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    batch = [];
    opts.signal?.removeEventListener('abort', close);
    const current = child;
    if (current && current.exitCode === null && current.signalCode === null && current.pid !== undefined) {
      current.kill('SIGTERM');
      const killTimer = setTimeout(() => {
        if (current.exitCode === null && current.signalCode === null) current.kill('SIGKILL');
      }, KILL_AFTER_MS);
      killTimer.unref();
      current.once('exit', () => clearTimeout(killTimer));
    }
    // A paused pipe would keep journalctl blocked in write(): let it drain into nothing.
    current?.stdout?.resume();
  };

  if (opts.signal?.aborted) closed = true;
  else {
    opts.signal?.addEventListener('abort', close, { once: true });
    if (lines > 0) run(journalctlBacklogArgs(opts), follow);
    else follow();
  }

  return {
    close,
    get pid() {
      return child?.pid;
    },
    get skippedLines() {
      return skippedLines;
    },
    get truncatedLines() {
      return truncatedLines;
    },
  };
}
