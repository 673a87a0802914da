// Text formats systemd uses around kubelet: unit files, environment files and quoted word lists.

const WHITESPACE = ' \t\n\r';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

function unescapeChar(c: string): string {
  if (c === 'n') return '\n';
  if (c === 't') return '\t';
  return c;
}

/** Splits text into words the way a shell would: quotes group, backslash escapes, quotes are removed. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += unescapeChar(text[++i]!);
      else current += c;
      continue;
    }
    if (WHITESPACE.includes(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < text.length) current += unescapeChar(text[++i]!);
    else current += c;
  }
  if (inWord) words.push(current);
  return words;
}

export interface EnvAssignment {
  name: string;
  value: string;
}

/** Parses `NAME=value` lines like systemd's EnvironmentFile= does (its parse_env_file state machine). */
export function parseEnvFile(text: string): EnvAssignment[] {
  const parser = new EnvFileParser();
  for (const c of text) parser.feed(c);
  parser.finish();
  return parser.assignments;
}

const SHELL_NEEDS_ESCAPE = '"\\`$';

type EnvState =
  | 'preKey'
  | 'key'
  | 'preValue'
  | 'value'
  | 'valueEscape'
  | 'single'
  | 'double'
  | 'doubleEscape'
  | 'comment';

class EnvFileParser {
  readonly assignments: EnvAssignment[] = [];
  private state: EnvState = 'preKey';
  private key = '';
  private value = '';
  // Unquoted values lose trailing whitespace; this marks where it starts.
  private valueTrimAt: number | null = null;

  feed(c: string): void {
    const newline = c === '\n' || c === '\r';
    switch (this.state) {
      case 'preKey':
        if (c === '#' || c === ';') this.state = 'comment';
        else if (!WHITESPACE.includes(c)) this.startKey(c);
        return;
      case 'key':
        if (newline) this.state = 'preKey';
        else if (c === '=') this.state = 'preValue';
        else this.key += c;
        return;
      case 'preValue':
        if (newline) this.push();
        else if (c === "'") this.state = 'single';
        else if (c === '"') this.state = 'double';
        else if (c === '\\') this.state = 'valueEscape';
        else if (!WHITESPACE.includes(c)) this.appendUnquoted(c);
        return;
      case 'value':
        if (newline) this.push();
        else if (c === '\\') this.state = 'valueEscape';
        else this.appendUnquoted(c);
        return;
      case 'valueEscape':
        this.state = 'value';
        if (!newline) this.appendUnquoted(c);
        this.valueTrimAt = null;
        return;
      case 'single':
        if (c === "'") this.state = 'preValue';
        else this.value += c;
        return;
      case 'double':
        if (c === '"') this.state = 'preValue';
        else if (c === '\\') this.state = 'doubleEscape';
        else this.value += c;
        return;
      case 'doubleEscape':
        this.state = 'double';
        if (SHELL_NEEDS_ESCAPE.includes(c)) this.value += c;
        else if (c !== '\n') this.value += `\\${c}`;
        return;
      case 'comment':
        if (newline) this.state = 'preKey';
        return;
    }
  }

  finish(): void {
    if (this.state !== 'preKey' && this.state !== 'key' && this.state !== 'comment') this.push();
  }

  private startKey(c: string): void {
    this.state = 'key';
    this.key = c;
    this.value = '';
    this.valueTrimAt = null;
  }

  private appendUnquoted(c: string): void {
    this.state = 'value';
    if (!WHITESPACE.includes(c)) this.valueTrimAt = null;
    else if (this.valueTrimAt === null) this.valueTrimAt = this.value.length;
    this.value += c;
  }

  private push(): void {
    const name = this.key.trim();
    const value = this.valueTrimAt === null ? this.value : this.value.slice(0, this.valueTrimAt);
    if (isEnvName(name)) this.assignments.push({ name, value });
    this.state = 'preKey';
    this.key = '';
    this.value = '';
    this.valueTrimAt = null;
  }
}

export interface UnitDirective {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** Parses an INI-style systemd unit file, joining backslash-continued lines. */
export function parseUnitFile(text: string): UnitDirective[] {
  const directives: UnitDirective[] = [];
  let section = '';
  for (const { text: line, line: number } of logicalLines(text)) {
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    directives.push({
      section,
      key: line.slice(0, eq).trim(),
      value: line.slice(eq + 1).trim(),
      line: number,
    });
  }
  return directives;
}

interface LogicalLine {
  text: string;
  line: number;
}

function logicalLines(text: string): LogicalLine[] {
  const result: LogicalLine[] = [];
  let pending: LogicalLine | null = null;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    // Comment lines are skipped, even inside a continuation.
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const started: LogicalLine = pending ?? { text: '', line: index + 1 };
    if (line.endsWith('\\')) {
      pending = { text: `${started.text}${line.slice(0, -1)} `, line: started.line };
      continue;
    }
    result.push({ text: started.text + line, line: started.line });
    pending = null;
  }
  if (pending !== null) result.push({ text: pending.text.trim(), line: pending.line });
  return result;
}
