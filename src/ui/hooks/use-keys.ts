// The one place the TUI reads keys (Ink's useInput). Each key press is handed on as a plain value.
import { useInput } from 'ink';
import type { KeyPress } from '../state/keymap.js';

/**
 * Keys typed faster than a frame (or sent by a script, or over a slow SSH link) arrive as one chunk;
 * Ink then reports "gj" as one input. Each printable character is its own key press here, so no key
 * is lost.
 */
export function useKeys(onKey: (input: string, key: KeyPress) => void, isActive = true): void {
  useInput(
    (input, key) => {
      // ESC then a key, typed or sent quickly, reads as Alt+key. No key of ours uses Alt: it was both.
      if (key.meta && !key.ctrl && [...input].length === 1 && !key.escape) {
        onKey('', { escape: true });
        onKey(input, {});
        return;
      }
      const special =
        key.ctrl || key.meta || key.return || key.escape || key.tab || key.backspace || key.delete;
      const chars = [...input];
      if (special || chars.length <= 1) {
        onKey(input, key);
        return;
      }
      for (const ch of chars) {
        if (ch === '\r' || ch === '\n') onKey('', { return: true });
        else onKey(ch, {});
      }
    },
    { isActive },
  );
}
