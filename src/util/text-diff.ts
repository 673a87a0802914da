// A unified diff of two texts (a manifest's versions), as `diff -u` prints it: jsdiff (the `diff`
// package) does the line diff and the hunks. Pure computation, no I/O.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/** `--- old` / `+++ new` and the hunks with 3 lines of context; '' when the texts are equal. */
export function unifiedDiff(oldText: string, newText: string, oldLabel: string, newLabel: string): string {
  if (oldText === newText) return '';
  return createTwoFilesPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
