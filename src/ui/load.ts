// The TUI's modules (React, Ink and what they pull in), loaded without what the screen never uses: most
// of the TUI's start-up was this loading (bench/STARTUP.md).
//
// - React in production mode: the development builds check every element and key, about twice the
//   CPU of each repaint and more memory, for warnings nobody reads on a broken master.
// - Ink imports `throttle` from es-toolkit's `compat` entry, which loads all 415 of its modules; the
//   one it uses is given instead (a resolve hook, for Ink's import only).
// - yoga-layout's loader reads its inlined WebAssembly with fetch() when there is one, and the first
//   touch of Node's fetch loads undici; without fetch it decodes the same bytes itself.
//
// In a bundle (the single executable) Ink is already resolved and the hook sees nothing.
import { registerHooks } from 'node:module';

/** Resolves Ink's es-toolkit/compat to the one function it uses; the returned hook is removed after. */
function redirectInkThrottle(): { deregister(): void } {
  return registerHooks({
    resolve(specifier, context, next) {
      if (specifier !== 'es-toolkit/compat' || !context.parentURL?.includes('/node_modules/ink/'))
        return next(specifier, context);
      const throttle = next('es-toolkit/compat/throttle', context).url;
      const source = `export { default as throttle } from ${JSON.stringify(throttle)};`;
      return { url: `data:text/javascript,${encodeURIComponent(source)}`, shortCircuit: true };
    },
  });
}

export async function loadTui(): Promise<typeof import('./tui.js')> {
  // Read by React when it is first imported; not left for the children (a change, the editor) to see.
  const setMode = process.env.NODE_ENV === undefined;
  if (setMode) process.env.NODE_ENV = 'production';
  const hook = redirectInkThrottle();
  const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetch?.configurable)
    Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true });
  try {
    return await import('./tui.js');
  } finally {
    if (fetch?.configurable) Object.defineProperty(globalThis, 'fetch', fetch);
    if (setMode) delete process.env.NODE_ENV;
    hook.deregister();
  }
}
