// Text from outside (logs, file names, container names) is untrusted: escape sequences can retitle
// windows, write the clipboard (OSC 52) or fake content. Everything shown passes through here.

// ESC-introduced sequences: CSI (ESC [), OSC (ESC ]), DCS/SOS/PM/APC (ESC P, X, ^, _) with their
// string terminators, then any other two-byte ESC sequence. 8-bit C1 introducers are handled the same.
const ESCAPE_SEQUENCE = new RegExp(
  [
    '(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]?', // CSI
    '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[\\s\\S]*?(?:\\x07|\\x1b\\\\|\\x9c|$)', // OSC, DCS, SOS, PM, APC
    '\\x1b[ -/]*[0-~]?', // other ESC sequences (charset selection, keypad modes, ...)
  ].join('|'),
  'g',
);
// C0 controls except tab and newline, DEL, and the C1 range U+0080-U+009F.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// Bidirectional formatting (the Trojan Source characters, CVE-2021-42574): embeddings and overrides
// U+202A-U+202E, isolates U+2066-U+2069, and the marks U+200E, U+200F, U+061C. A terminal that honours
// them reorders what the operator reads, so they are shown as escapes rather than obeyed.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
/** Tab and printable ASCII: text that none of the above can match, returned as it is. */
const PRINTABLE_ASCII = /^[\t\x20-\x7e]*$/;

export function isBidiControl(code: number): boolean {
  return (
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x061c
  );
}

function escapedCodePoint(ch: string): string {
  return `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
}

/** Removes escape sequences and control characters, escapes bidi controls; keeps tab and newline. For log text. */
export function sanitizeText(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text; // most log lines: nothing to remove (a flood is 50,000 a second)
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').replace(BIDI, escapedCodePoint);
}

/** One line of untrusted text: like sanitizeText, and carriage returns and newlines are dropped too. */
export function sanitizeLine(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  return sanitizeText(text).replace(/[\r\n]/g, '');
}

/**
 * A name (file, container) shown so that nothing is hidden: every control character is written as
 * a visible escape (\n, \t, \x1b, \u009b), so two different names never look the same.
 */
export function escapeName(name: string): string {
  let out = '';
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code <= 0x9f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code === 0xfffd || (code >= 0x200b && code <= 0x200f) || isBidiControl(code))
      out += `\\u${code.toString(16).padStart(4, '0')}`; // replacement char, zero-width and bidi controls
    else out += ch;
  }
  return out;
}

export function hasControlCharacters(name: string): boolean {
  return escapeName(name) !== name.replaceAll('\\', '\\\\');
}

// JSON.stringify escapes C0 controls only: C1 (0x9b is a CSI on many terminals) and bidi controls in a
// string from the node would reach a terminal that shows the JSON raw.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with every character a terminal could act on written as a \u escape: the same value. */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_UNSAFE,
    (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}
