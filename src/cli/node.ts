// From the flags to the node: where things are (the flags override what breakglass finds), the facts
// read once for the one-shot commands, and the store's options for those that watch.
import type { NodeFacts } from '../model/facts.js';
import { discoverNode, manifestDirsOf, type NodeLayout } from '../node/discover.js';
import type { ChangeContext } from '../ops/staticpods.js';
import { scanBoth } from '../sources/manifests/scan.js';
import { locateEtcdDataDir, readFactsOnce } from '../store/once.js';
import type { StoreOptions } from '../store/store.js';
import type { Flags } from './flags.js';

export function discover(flags: Flags): Promise<NodeLayout> {
  const options: Parameters<typeof discoverNode>[0] = {};
  if (flags.root !== undefined) options.root = flags.root;
  if (flags.manifests !== undefined) options.manifests = flags.manifests;
  if (flags.holding !== undefined) options.holding = flags.holding;
  if (flags.stateDir !== undefined) options.stateDir = flags.stateDir;
  if (flags.nodeName !== undefined) options.nodeName = flags.nodeName;
  if (flags.runtime !== undefined) options.runtime = flags.runtime;
  if (flags.pki !== undefined) options.pki = flags.pki;
  if (flags.podLogs !== undefined) options.podLogs = flags.podLogs;
  return discoverNode(options);
}

export const kubeletUnitOf = (flags: Flags): string => flags.kubeletUnit ?? 'kubelet.service';

/** The node read once: its directories, an interrupted change, and (when asked) the runtime. */
export async function readNode(flags: Flags, options: { runtime: boolean }): Promise<NodeFacts> {
  return readFactsOnce(await discover(flags), {
    etcdDataDir: flags.etcdDataDir,
    readRuntime: options.runtime,
    kubeletUnit: kubeletUnitOf(flags),
    dbusAddress: flags.dbus ?? null,
  });
}

export function storeOptions(flags: Flags, layout: NodeLayout): StoreOptions {
  return {
    layout,
    etcdDataDir: locateEtcdDataDir(layout, scanBoth(manifestDirsOf(layout)), flags.etcdDataDir),
    journalDir: flags.journalDir ?? null,
    dbusAddress: flags.dbus ?? null,
    kubeletUnit: kubeletUnitOf(flags),
  };
}

export function changeContext(layout: NodeLayout, flags: Flags): ChangeContext {
  return {
    manifests: layout.manifests.value,
    holding: layout.holding.value,
    stateDir: layout.stateDir.value,
    nodeName: layout.nodeName.value,
    readOnly: flags.readOnly,
  };
}
