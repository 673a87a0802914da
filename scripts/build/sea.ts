// A Node 24 single executable application: the bundle turned into a preparation blob by the pinned
// Node (`--experimental-sea-config`), then written into a copy of a Node binary as its NODE_SEA_BLOB
// note by postject (Node's own injector; Node 24 has no `--build-sea`), which also flips the fuse
// that tells Node to run the blob instead of its usual command line.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const POSTJECT = createRequire(import.meta.url).resolve('postject/dist/cli.js');

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * The blob, made by the Node that will run it (`node`: the command that runs that Node, under
 * qemu-user for arm64): with `codeCache`, V8's compiled code of the bundle goes in too, which is V8's
 * own data for that architecture and saves compiling 4 MiB of JavaScript at every start (--version
 * 180 -> 110 ms on x64).
 */
export function seaBlob(bundle: string, blob: string, node: string[], codeCache: boolean): void {
  const config = `${blob}.json`;
  fs.writeFileSync(
    config,
    `${JSON.stringify(
      {
        main: bundle,
        output: blob,
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache: codeCache,
        // What bin/breakglass gives Node (a small young generation, see bench/TUI.md).
        execArgv: ['--max-semi-space-size=2'],
        // NODE_OPTIONS is not read: the operator's environment does not change what the file runs.
        execArgvExtension: 'none',
      },
      null,
      2,
    )}\n`,
  );
  const [command, ...args] = node;
  const r = spawnSync(command!, [...args, '--experimental-sea-config', config], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0)
    throw new Error(`node --experimental-sea-config failed: ${r.error?.message ?? r.stderr}`);
}

export function seaExecutable(node: string, blob: string, out: string): void {
  const tmp = `${out}.tmp`;
  fs.copyFileSync(node, tmp);
  fs.chmodSync(tmp, 0o755);
  // A child, so LIEF's warnings about Node's unnamed note sections are shown only when it fails.
  const args = [POSTJECT, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL_FUSE];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`postject failed: ${r.error?.message ?? ''}${r.stdout}${r.stderr}`);
  fs.renameSync(tmp, out);
}
