// What a component's last words mean: a flag it does not know or a value it cannot parse (the most
// common bad hand edit), else its last error line. And where a flag sits in the manifest. Pure.
import type { EvidenceLine } from './types.js';

export interface FlagProblem {
  /** '--bogus-flag', as the manifest writes it. */
  flag: string;
  kind: 'unknown' | 'invalid-value';
  line: EvidenceLine;
}

// pflag/cobra (every Kubernetes component): `Error: unknown flag: --bogus-flag`,
// `invalid argument "abc" for "--secure-port" flag: ...`. Go's flag package (etcd):
// `flag provided but not defined: -bogus-flag`, `invalid value "x" for flag -name: ...`.
// etcd 3.4's own check: `error verifying flags, '--bogus' is not a valid flag`.
const FLAG_PATTERNS: { re: RegExp; kind: FlagProblem['kind'] }[] = [
  { re: /unknown flag: (--?[A-Za-z0-9][\w.-]*)/, kind: 'unknown' },
  { re: /unknown shorthand flag: '(\w)'/, kind: 'unknown' },
  { re: /flag provided but not defined: (--?[A-Za-z0-9][\w.-]*)/, kind: 'unknown' },
  { re: /'(--?[A-Za-z0-9][\w.-]*)' is not a valid flag/, kind: 'unknown' },
  { re: /invalid argument ".*?" for "(?:-\w, )?(--?[A-Za-z0-9][\w.-]*)" flag/, kind: 'invalid-value' },
  { re: /invalid value ".*?" for flag (--?[A-Za-z0-9][\w.-]*)/, kind: 'invalid-value' },
];

/** The flag the component refused, from the newest line that says so. */
export function flagProblem(lines: EvidenceLine[]): FlagProblem | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    for (const { re, kind } of FLAG_PATTERNS) {
      const m = re.exec(line.text);
      if (m) return { flag: m[1]!.length === 1 ? `-${m[1]}` : m[1]!, kind, line };
    }
  }
  return null;
}

// klog's error lines (E1201 12:00:00.000000 ...), Go's log.Fatal, etcd's JSON ("level":"fatal"), and
// the words that mean a component gave up.
const ERROR_LINE = /^[EF]\d{4} |"level":"(?:error|fatal|panic)"|\b(?:error|fatal|panic|failed)\b/i;

/** The newest line that reads as an error; else the last line; null for no lines. */
export function lastErrorLine(lines: EvidenceLine[]): EvidenceLine | null {
  for (let i = lines.length - 1; i >= 0; i--) if (ERROR_LINE.test(lines[i]!.text)) return lines[i]!;
  return lines.at(-1) ?? null;
}

/**
 * The 1-based line of a manifest that passes `flag` to the container: `- --flag`, `- --flag=...`, or
 * the flag quoted. The flag's name must end there, so --bind-address does not match --bind.
 */
export function lineOfFlag(text: string, flag: string): number | null {
  const name = flag.replace(/^-+/, '');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s*-\\s*["']?--?${escaped}(?:[="'\\s]|$)`);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return null;
}

const KLOG_HEADER = /^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] /;

/** A log line as words for a title: klog's header dropped, `"msg" err="why"` as `msg: why`. */
export function plainWords(text: string): string {
  const body = text.replace(KLOG_HEADER, '');
  const structured = /^"((?:[^"\\]|\\.)*)"(?:.*?\berr="((?:[^"\\]|\\.)*)")?/.exec(body);
  if (!structured) return body;
  return structured[2] ? `${structured[1]}: ${structured[2]}` : structured[1]!;
}
