// Everything a command needs to know about this node, found once from the flags and the node itself.
import { discoverNode, type Located, type NodeLayout } from '../node/discover.js';
import { etcdDataDir } from '../node/etcd-data-dir.js';
import type { ChangeContext } from '../ops/staticpods.js';
import { scanManifestDir } from '../sources/manifests/scan.js';
import type { ManifestDirSnapshot } from '../sources/manifests/types.js';
import type { CliArgs } from './args.js';

export interface NodeView {
  layout: NodeLayout;
  etcdDataDir: Located<string>;
  manifests: ManifestDirSnapshot;
  holding: ManifestDirSnapshot | null;
}

export async function discover(args: CliArgs): Promise<NodeLayout> {
  const options: Parameters<typeof discoverNode>[0] = {};
  if (args.root !== undefined) options.root = args.root;
  if (args.manifests !== undefined) options.manifests = args.manifests;
  if (args.holding !== undefined) options.holding = args.holding;
  if (args.stateDir !== undefined) options.stateDir = args.stateDir;
  if (args.nodeName !== undefined) options.nodeName = args.nodeName;
  if (args.runtime !== undefined) options.runtime = args.runtime;
  if (args.pki !== undefined) options.pki = args.pki;
  if (args.podLogs !== undefined) options.podLogs = args.podLogs;
  return discoverNode(options);
}

export async function readNodeView(args: CliArgs): Promise<NodeView> {
  const layout = await discover(args);
  const nodeName = layout.nodeName.value;
  const manifests = scanManifestDir(layout.manifests.value, { nodeName, role: 'manifests' });
  const holdingScan = scanManifestDir(layout.holding.value, { nodeName, role: 'holding' });
  // A holding directory that does not exist yet just means nothing was ever disabled.
  const holding = holdingScan.error ? null : holdingScan;
  return {
    layout,
    etcdDataDir: etcdDataDir(layout.root, manifests, holding, args.etcdDataDir),
    manifests,
    holding,
  };
}

export function changeContext(layout: NodeLayout, args: CliArgs): ChangeContext {
  return {
    manifests: layout.manifests.value,
    holding: layout.holding.value,
    stateDir: layout.stateDir.value,
    nodeName: layout.nodeName.value,
    readOnly: args.readOnly,
  };
}
