// The lab's images, built from Debian's binaries with no registry: a busybox root file system imported
// into the lab's dockerd, then saved and imported into containerd's k8s.io namespace for CRI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ctr, dockerCli, dockerGet, runChecked } from './daemons/clients.js';
import type { LabPaths } from './daemons/paths.js';
import { ETCD_IMAGE } from './manifests.js';
import type { Log } from './packages.js';

export const LAB_IMAGES = {
  busybox: 'local/busybox:1',
  pause: 'local/pause:1',
  etcd: 'local/etcd:1',
  /** The pinned Node (node_modules/node) at /usr/local/bin/node: runs the control-plane stand-ins. */
  node: 'local/node:1',
} as const;

export type LabImages = { [K in keyof typeof LAB_IMAGES]: string };

/** The name CRI (and ctr) knows a docker image by. */
export function criImageName(dockerName: string): string {
  return `docker.io/${dockerName}`;
}

const BUSYBOX = '/bin/busybox';
const CRI_NAMESPACE = 'k8s.io';
/** docker import leaves PATH unset; CRI then runs commands like kubeadm's `etcd` without a search path. */
const PATH_ENV = 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The repo's pinned Node binary (the `node` devDependency), from dist/scripts/lab/ up to the checkout. */
const PINNED_NODE = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));

interface ImageRecipe {
  name: string;
  /** Dockerfile instructions for docker import --change. */
  changes: string[];
  /** Host binaries copied in at the same path, with every shared library ldd lists for them. */
  binaries: string[];
  /** Host binaries copied in at another path (libraries still at theirs). */
  placed?: { source: string; target: string }[];
}

const RECIPES: ImageRecipe[] = [
  { name: LAB_IMAGES.busybox, changes: [PATH_ENV, 'CMD ["/bin/sh"]'], binaries: [] },
  { name: LAB_IMAGES.pause, changes: [PATH_ENV, 'CMD ["/bin/sleep","2147483647"]'], binaries: [] },
  {
    name: LAB_IMAGES.etcd,
    changes: [PATH_ENV, 'CMD ["/usr/bin/etcd"]'],
    binaries: ['/usr/bin/etcd', '/usr/bin/etcdctl'],
  },
  {
    name: LAB_IMAGES.node,
    changes: [PATH_ENV, 'CMD ["/usr/local/bin/node"]'],
    binaries: [],
    placed: [{ source: PINNED_NODE, target: '/usr/local/bin/node' }],
  },
];

/** Builds what dockerd lacks and imports into containerd what it lacks; existing images are kept. */
export async function ensureLabImages(paths: LabPaths, log: Log): Promise<void> {
  for (const recipe of RECIPES) {
    if (await dockerHasImage(paths, recipe.name)) continue;
    const started = Date.now();
    buildImage(paths, recipe);
    log(`built ${recipe.name} in docker (${Date.now() - started} ms)`);
  }
  const missingInContainerd = missingContainerdImages(paths);
  if (missingInContainerd.length > 0) {
    const started = Date.now();
    importIntoContainerd(paths, missingInContainerd);
    log(
      `imported ${missingInContainerd.join(' ')} into containerd ${CRI_NAMESPACE} (${Date.now() - started} ms)`,
    );
  }
  await tagManifestImages(paths);
  fs.rmSync(paths.buildDir, { recursive: true, force: true });
}

/**
 * The lab's etcd image also under the name its manifest gives (kubeadm's), in both runtimes, as a master
 * has it: what breakglass runs etcd's own tools from (etcd restore) finds it by that name.
 */
async function tagManifestImages(paths: LabPaths): Promise<void> {
  if (!(await dockerHasImage(paths, ETCD_IMAGE)))
    dockerCli(paths.dockerSocket, ['tag', LAB_IMAGES.etcd, ETCD_IMAGE]);
  if (containerdImageNames(paths).includes(ETCD_IMAGE)) return;
  ctr(paths.containerdSocket, [
    '-n',
    CRI_NAMESPACE,
    'images',
    'tag',
    criImageName(LAB_IMAGES.etcd),
    ETCD_IMAGE,
  ]);
}

async function dockerHasImage(paths: LabPaths, name: string): Promise<boolean> {
  return (await dockerGet(paths.dockerSocket, `/images/${name}/json`)).status === 200;
}

export function containerdImageNames(paths: LabPaths): string[] {
  return ctr(paths.containerdSocket, ['-n', CRI_NAMESPACE, 'images', 'ls', '-q']).split('\n').filter(Boolean);
}

function missingContainerdImages(paths: LabPaths): string[] {
  const present = new Set(containerdImageNames(paths));
  return RECIPES.map((r) => r.name).filter((name) => !present.has(criImageName(name)));
}

function buildImage(paths: LabPaths, recipe: ImageRecipe): void {
  const slug = recipe.name.replace(/[^a-z0-9]+/g, '-');
  const rootfs = path.join(paths.buildDir, `${slug}-rootfs`);
  const tarball = path.join(paths.buildDir, `${slug}.tar`);
  fs.rmSync(rootfs, { recursive: true, force: true });
  makeBusyboxRootfs(rootfs);
  for (const binary of recipe.binaries) copyWithLibraries(binary, rootfs);
  for (const { source, target } of recipe.placed ?? []) copyWithLibraries(source, rootfs, target);
  runChecked('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarball, '.']);
  const changes = recipe.changes.flatMap((change) => ['--change', change]);
  dockerCli(paths.dockerSocket, ['import', ...changes, tarball, recipe.name]);
  fs.rmSync(rootfs, { recursive: true, force: true });
  fs.rmSync(tarball, { force: true });
}

function makeBusyboxRootfs(rootfs: string): void {
  for (const dir of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'etc',
    'root',
    'var',
    'run',
    'proc',
    'sys',
    'dev',
  ]) {
    fs.mkdirSync(path.join(rootfs, dir), { recursive: true, mode: 0o755 });
  }
  fs.mkdirSync(path.join(rootfs, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of runChecked(BUSYBOX, ['--list-full']).split('\n').filter(Boolean)) {
    const link = path.join(rootfs, applet);
    if (applet === 'bin/busybox' || fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync('/bin/busybox', link);
  }
  fs.writeFileSync(
    path.join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/**
 * Copies a host binary (to `at` in the image, by default its own path) and its shared libraries (the
 * paths ldd prints, link targets' contents).
 */
function copyWithLibraries(binary: string, rootfs: string, at = binary): void {
  const copies = [
    { from: binary, to: at },
    ...sharedLibraries(binary).map((lib) => ({ from: lib, to: lib })),
  ];
  for (const { from, to } of copies) {
    const target = path.join(rootfs, to);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(from, target);
    fs.chmodSync(target, 0o755);
  }
}

/** `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)` and `/lib64/ld-linux-x86-64.so.2 (0x…)`; not the vdso. */
export function sharedLibraries(binary: string): string[] {
  let output: string;
  try {
    output = runChecked('ldd', [binary]);
  } catch (error) {
    if (String(error).includes('not a dynamic executable')) return [];
    throw error;
  }
  const missing = output.split('\n').filter((line) => line.includes('=> not found'));
  if (missing.length > 0)
    throw new Error(`${binary} needs libraries this host lacks:\n${missing.join('\n')}`);
  return output
    .split('\n')
    .map((line) => /(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line)?.[1])
    .filter((file): file is string => file !== undefined);
}

function importIntoContainerd(paths: LabPaths, names: string[]): void {
  fs.mkdirSync(paths.buildDir, { recursive: true });
  const archive = path.join(paths.buildDir, 'images.tar');
  dockerCli(paths.dockerSocket, ['save', '-o', archive, ...names]);
  ctr(paths.containerdSocket, ['-n', CRI_NAMESPACE, 'images', 'import', archive]);
  fs.rmSync(archive, { force: true });
}
