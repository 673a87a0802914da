// What the single executable's bundle changes in its dependencies, each for one reason:
//
// - yoga-layout (Ink's layout engine) loads its WebAssembly with a top-level await, which a CommonJS
//   bundle cannot have (Node 24 runs an executable's main script as CommonJS only). Emscripten's own
//   `instantiateWasm` hook lets the module be instantiated synchronously (new WebAssembly.Module and
//   Instance on the same bytes), and then the module is initialised before the call returns.
// - Ink's reconciler awaits React devtools and its package.json at top level, only when DEV=true: the
//   single executable has no devtools, so both awaits go.
// - dockerode reaches ssh2 (docker-modem's ssh:// transport), and ssh2 two native addons (cpu-features,
//   its crypto binding) that no bundle can hold. breakglass talks to Docker over its unix socket only:
//   ssh2 is replaced by a stub whose Client says so.
//
// Each patch checks that the text it replaces is there, so a dependency update that moves it fails the
// build instead of shipping the original.
import * as fs from 'node:fs';
import type { Plugin } from 'esbuild';

function replaceOnce(text: string, from: string, to: string, file: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + from.length) >= 0)
    throw new Error(`${file}: expected "${from}" exactly once; the bundle's patch needs updating`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const WASM_DATA_URL = /"data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/;

export const yogaSync: Plugin = {
  name: 'yoga-sync',
  setup(build) {
    build.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/ }, (args) => {
      const binary = new URL('../binaries/yoga-wasm-base64-esm.js', `file://${args.path}`);
      const base64 = WASM_DATA_URL.exec(fs.readFileSync(binary, 'utf8'))?.[1];
      if (!base64) throw new Error(`${binary.pathname}: no embedded wasm found`);
      const original = fs.readFileSync(args.path, 'utf8');
      replaceOnce(original, 'wrapAssembly(await loadYoga())', '', args.path);
      return {
        loader: 'js',
        resolveDir: new URL('.', `file://${args.path}`).pathname,
        contents: `import loadYoga from '../binaries/yoga-wasm-base64-esm.js';
import wrapAssembly from './wrapAssembly.js';
const bytes = Buffer.from(${JSON.stringify(base64)}, 'base64');
const module = {
  instantiateWasm(imports, receive) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
    receive(instance);
    return instance.exports;
  },
};
loadYoga(module);
if (!module.calledRun) throw new Error('yoga-layout did not initialise synchronously');
const Yoga = wrapAssembly(module);
export default Yoga;
export * from './generated/YGEnums.js';
`,
      };
    });
  },
};

export const inkWithoutDevtools: Plugin = {
  name: 'ink-without-devtools',
  setup(build) {
    build.onLoad({ filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/ }, (args) => {
      let text = fs.readFileSync(args.path, 'utf8');
      text = replaceOnce(
        text,
        "await import('./devtools.js');",
        '/* no devtools in the single executable */',
        args.path,
      );
      text = replaceOnce(text, 'await loadPackageJson()', '{}', args.path);
      return { loader: 'js', contents: text };
    });
  },
};

export const noSsh: Plugin = {
  name: 'no-ssh',
  setup(build) {
    build.onResolve({ filter: /^ssh2$/ }, () => ({ path: 'ssh2', namespace: 'breakglass-stub' }));
    build.onLoad({ filter: /^ssh2$/, namespace: 'breakglass-stub' }, () => ({
      loader: 'js',
      contents: `class Client {
  constructor() {
    throw new Error('Docker over ssh:// is not in breakglass: it talks to the Engine API on its unix socket');
  }
}
module.exports = { Client };
`,
    }));
  },
};
