// The single executable's script: dist/src/cli.js (what bin/breakglass runs, as tsc built it) and every
// dependency in one CommonJS file, with the version and commit baked in (src/cli/version.ts).
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { BuildInfo } from './info.js';
import { inkWithoutDevtools, noSsh, yogaSync } from './plugins.js';

export async function bundle(repo: string, outfile: string, info: BuildInfo): Promise<void> {
  const result = await esbuild.build({
    entryPoints: [path.join(repo, 'dist/src/cli.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    // React and Ink's production builds, as any application ships them.
    define: { BREAKGLASS_BUILD: JSON.stringify(info), 'process.env.NODE_ENV': '"production"' },
    plugins: [yogaSync, inkWithoutDevtools, noSsh],
    logLevel: 'silent',
  });
  // Warnings, not errors: `import.meta` is empty in CommonJS (read only where src/util/self.ts and
  // src/cli/version.ts know they run from a checkout), and a require() in a try that esbuild could not
  // resolve (an optional dependency) fails in the executable as it would with the package missing.
  for (const w of result.warnings) {
    const where = w.location ? `${w.location.file}:${w.location.line}: ` : '';
    process.stderr.write(`bundle: note: ${where}${w.text}\n`);
  }
}
