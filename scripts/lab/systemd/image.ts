// local/systemd:1: the cached root file system imported into the lab's dockerd, labelled with its recipe.
import { dockerGet } from '../daemons/clients.js';
import type { LabPaths } from '../daemons/paths.js';
import type { Log } from '../packages.js';
import { docker } from './container.js';
import { ensureSystemdRootfsTarball, recipeHash } from './rootfs.js';

export const SYSTEMD_IMAGE = 'local/systemd:1';
const RECIPE_LABEL = 'breakglass.lab.recipe';

/** local/systemd:1 in the lab's dockerd, imported from the cached tarball (built first if need be). */
export async function ensureSystemdImage(paths: LabPaths, log: Log): Promise<void> {
  if ((await imageRecipe(paths)) === recipeHash()) {
    log(`${SYSTEMD_IMAGE}: present`);
    return;
  }
  const tarball = await ensureSystemdRootfsTarball(log);
  const started = Date.now();
  docker(paths, ['import', '--change', `LABEL ${RECIPE_LABEL}=${recipeHash()}`, tarball, SYSTEMD_IMAGE]);
  log(`${SYSTEMD_IMAGE}: imported into the lab's dockerd (${Date.now() - started} ms)`);
}

async function imageRecipe(paths: LabPaths): Promise<string | null> {
  const answer = await dockerGet(paths.dockerSocket, `/images/${SYSTEMD_IMAGE}/json`);
  if (answer.status !== 200) return null;
  const image = JSON.parse(answer.body) as { Config?: { Labels?: Record<string, string> | null } };
  return image.Config?.Labels?.[RECIPE_LABEL] ?? null;
}
