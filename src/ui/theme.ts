// Colours, or none: NO_COLOR (https://no-color.org) turns every colour off; bold and inverse stay, so
// the selection and the alerts still stand out on a monochrome terminal.
export type Tone = 'error' | 'warning' | 'ok' | 'dim' | 'accent' | 'info';

const COLORS: Record<Tone, string> = {
  error: 'red',
  warning: 'yellow',
  ok: 'green',
  dim: 'gray',
  accent: 'cyan',
  info: 'white',
};

export function colorsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

let enabled = colorsEnabled();

/** For tests: render with or without colour regardless of the environment. */
export function setColors(on: boolean): void {
  enabled = on;
}

export function color(tone: Tone | null | undefined): string | undefined {
  if (!enabled || !tone) return undefined;
  return COLORS[tone];
}

export function dim(): { color?: string; dimColor?: boolean } {
  return enabled ? { color: 'gray' } : {};
}
