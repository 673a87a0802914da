// `breakglass --version`: the version and the commit it was built from. The single executable has both
// baked in by its bundle (esbuild's define, scripts/build/bundle.ts); a checkout reads
// dist/build-info.json, which `npm run build` writes (scripts/build/write-info.ts), else package.json.
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  version: string;
  /** The commit's first 12 hex digits, `-dirty` when the work tree had changes; `unknown` outside git. */
  commit: string;
}

declare const BREAKGLASS_BUILD: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (typeof BREAKGLASS_BUILD !== 'undefined') return BREAKGLASS_BUILD;
  try {
    return JSON.parse(readFileSync(new URL('../../build-info.json', import.meta.url), 'utf8')) as BuildInfo;
  } catch {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return { version: pkg.version, commit: 'unknown' };
  }
}

export function versionText(info: BuildInfo): string {
  return `breakglass ${info.version} (commit ${info.commit})`;
}
