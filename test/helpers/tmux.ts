// A real terminal for end-to-end tests: a private tmux server (its own socket), one window of a fixed
// size running a shell, keys sent as a person types them, and the screen read back as text.
import { spawnSync } from 'node:child_process';
import { until } from './wait.js';

export class Tmux {
  readonly socket = `bg-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    readonly width = 100,
    readonly height = 30,
  ) {}

  private tmux(args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (r.status !== 0)
      throw new Error(`tmux ${args[0]}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
    return r.stdout;
  }

  /** A shell in a fresh window, with env set (CI=false: the app must see an interactive terminal). */
  start(env: Record<string, string>): void {
    // Arguments of env(1), not words of a shell: no quoting (it would become part of the value).
    const exports = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    this.tmux([
      'new-session',
      '-d',
      '-x',
      String(this.width),
      '-y',
      String(this.height),
      'env',
      '-i',
      `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`,
      'TERM=xterm-256color',
      'HOME=/root',
      'CI=false',
      ...exports,
      'sh',
    ]);
  }

  /** Types a line into the shell. */
  run(command: string): void {
    this.tmux(['send-keys', '-t', '0', '-l', command]);
    this.tmux(['send-keys', '-t', '0', 'Enter']);
  }

  /** Keys by tmux name (Enter, Escape, Up, Down, Tab, C-c) or literal text with literal=true. */
  keys(keys: string, literal = true): void {
    this.tmux(['send-keys', '-t', '0', ...(literal ? ['-l'] : []), keys]);
  }

  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', '0', '-x', String(width), '-y', String(height)]);
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', '0']);
  }

  /** tmux's own view of the terminal modes: the alternate screen and the cursor. */
  modes(): { alternate: boolean; cursorVisible: boolean } {
    const out = this.tmux(['display-message', '-p', '-t', '0', '#{alternate_on} #{cursor_flag}'])
      .trim()
      .split(' ');
    return { alternate: out[0] === '1', cursorVisible: out[1] === '1' };
  }

  /** The pid of what runs in the window now (the shell, or the app it started). */
  panePid(): number {
    return Number(this.tmux(['display-message', '-p', '-t', '0', '#{pane_pid}']).trim());
  }

  /** Waits until the shell in the window runs nothing: what is typed next reaches the shell. */
  async waitForShell(timeoutMs = 15_000): Promise<void> {
    const shell = String(this.panePid());
    await until(
      'the program in the window to exit',
      () => spawnSync('pgrep', ['-P', shell], { encoding: 'utf8' }).stdout.trim() === '',
      { timeoutMs },
    );
  }

  async waitFor(
    what: RegExp | ((screen: string) => boolean),
    timeoutMs = 30_000,
    label = String(what),
  ): Promise<string> {
    let screen = '';
    return until(
      label,
      () => {
        screen = this.screen();
        return (typeof what === 'function' ? what(screen) : what.test(screen)) && screen;
      },
      { timeoutMs, intervalMs: 200, context: () => `the screen:\n${screen}` },
    );
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { timeout: 10_000 });
  }
}

/** The screen as one line of words: text that the terminal wrapped at its width reads as written. */
export function unwrapped(screen: string): string {
  return screen.replace(/\s+/g, ' ');
}
