// The node the stand-in runs for: its kubelet config file, its name and where its paths are.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readKubeletConfigFile } from '../../../src/node/kubelet-config.js';
import { rootPath } from '../../../src/node/root-fs.js';
import { klog } from './log.js';
import type { StandInOptions } from './options.js';

const DEFAULT_ENDPOINTS = {
  cri: 'unix:///run/containerd/containerd.sock',
  docker: 'unix:///var/run/docker.sock',
};
const DEFAULT_STATIC_POD_PATH = '/etc/kubernetes/manifests';
const DEFAULT_POD_LOGS_DIR = '/var/log/pods';

export interface NodeConfig {
  root: string;
  nodeName: string;
  /** staticPodPath as the node sees it, and where it is on this machine. */
  manifestNodeDir: string;
  manifestDir: string;
  podLogsDir: string;
  endpoint: string;
}

export async function loadNodeConfig(options: StandInOptions): Promise<NodeConfig> {
  const problems: string[] = [];
  const configNodePath = path.posix.resolve('/', options.config);
  const config = await readKubeletConfigFile(options.root, configNodePath, problems);
  for (const problem of problems) klog('W', 'server.go:480', 'Problem with the kubelet config', { problem });
  if (!config.exists) {
    klog('I', 'server.go:486', 'No kubelet config file; using defaults', {
      path: rootPath(options.root, configNodePath),
    });
  }
  const manifestNodeDir = config.fields.staticPodPath?.value ?? DEFAULT_STATIC_POD_PATH;
  return {
    root: options.root,
    nodeName: nodeNameFor(options),
    manifestNodeDir,
    manifestDir: rootPath(options.root, manifestNodeDir),
    podLogsDir: rootPath(options.root, config.fields.podLogsDir?.value ?? DEFAULT_POD_LOGS_DIR),
    endpoint:
      options.endpoint ?? config.fields.containerRuntimeEndpoint?.value ?? DEFAULT_ENDPOINTS[options.runtime],
  };
}

/** --hostname-override, else the node's /etc/hostname; kubelet lowercases both. */
function nodeNameFor(options: StandInOptions): string {
  if (options.hostnameOverride) return options.hostnameOverride.trim().toLowerCase();
  let text = '';
  try {
    text = fs.readFileSync(rootPath(options.root, '/etc/hostname'), 'utf8');
  } catch {
    throw new Error(`no --hostname-override and no ${rootPath(options.root, '/etc/hostname')}`);
  }
  const name = text.split('\n').map((line) => line.trim())[0] ?? '';
  if (name === '') throw new Error(`${rootPath(options.root, '/etc/hostname')} is empty`);
  return name.toLowerCase();
}
