// `npm run build`'s last step: dist/build-info.json, what `breakglass --version` prints from a checkout.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { buildInfoOf } from './info.js';

const file = path.join(REPO_ROOT, 'dist', 'build-info.json');
fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(buildInfoOf(REPO_ROOT))}\n`);
fs.renameSync(`${file}.tmp`, file);
