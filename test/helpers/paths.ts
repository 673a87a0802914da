import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: tests run compiled from dist/test/, so climb out of dist. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');
export const BIN = path.join(REPO_ROOT, 'bin/breakglass');
