// Crash-test driver: toggles static pods (disable if enabled, enable if disabled) until it is killed.
// usage: move-loop.js <manifests> <holding> <stateDir> <manifest file>...
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { disableStaticPod, enableStaticPod } from '../../src/ops/staticpods.js';

const [manifests, holding, stateDir, ...files] = process.argv.slice(2);
const ctx = {
  manifests: manifests!,
  holding: holding!,
  stateDir: stateDir!,
  nodeName: 'master-1',
  readOnly: false,
};
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const file = files[i % files.length]!;
  if (existsSync(path.join(ctx.holding, file))) enableStaticPod(ctx, file);
  else disableStaticPod(ctx, file);
}
