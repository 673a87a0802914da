// Pure text helpers for narrow columns. Everything shown here was sanitized by its source already.

export function pad(text: string, width: number): string {
  if (width <= 0) return '';
  const t = fit(text, width);
  return t + ' '.repeat(Math.max(0, width - t.length));
}

/** Cut to width with an ellipsis. Counts UTF-16 units: close enough for the ASCII that fills these columns. */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)}${units[i]}`;
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  if (n < 1) return `${n.toFixed(2)}ms`;
  if (n < 10) return `${n.toFixed(1)}ms`;
  if (n < 10_000) return `${Math.round(n)}ms`;
  return `${(n / 1000).toFixed(1)}s`;
}

export function num(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  return n.toFixed(digits);
}

/** "12:03:04" for today, "Nov 21 12:03" before. */
export function clock(d: Date | null, now = Date.now()): string {
  if (!d) return '-';
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const hms = d.toTimeString().slice(0, 8);
  if (sameDay) return hms;
  return `${d.toLocaleString('en-US', { month: 'short', day: '2-digit' })} ${hms.slice(0, 5)}`;
}

/** "3s", "2m05s", "1h02m". */
export function duration(msValue: number): string {
  const s = Math.max(0, Math.floor(msValue / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Splits a line into rows of `width` for the wrapped log view. */
export function wrapLine(text: string, width: number): string[] {
  if (width <= 0) return [''];
  if (text.length <= width) return [text];
  const rows: string[] = [];
  for (let i = 0; i < text.length; i += width) rows.push(text.slice(i, i + width));
  return rows;
}
