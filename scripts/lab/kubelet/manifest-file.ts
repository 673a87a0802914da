// One file of the manifest directory, as kubelet's file source decodes it, and the pod the stand-in runs
// for it (in the lab's images, with its hostPath mounts under --root).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { rootPath } from '../../../src/node/root-fs.js';
import { parseManifestText } from '../../../src/sources/manifests/parse.js';
import type {
  ContainerSpec as ManifestContainer,
  PodManifest,
} from '../../../src/sources/manifests/types.js';
import { LAB_IMAGES } from '../images.js';
import { type ContainerSpec, type PodSpec, podUid } from '../pods.js';
import type { HostPathVolume } from './host-path.js';
import { errorText } from './log.js';
import type { NodeConfig } from './node-config.js';
import { isRecord } from './records.js';

/** kubelet rejects a manifest of 10 MiB or more (maxConfigLength in pkg/kubelet/config/file.go). */
const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

export interface SourcePod {
  /** namespace/name: the key of kubelet's file source store (one pod per key). */
  key: string;
  fileName: string;
  uid: string;
  spec: PodSpec;
  hostPathVolumes: HostPathVolume[];
}

type DecodedFile =
  | { kind: 'pod'; manifest: PodManifest; content: string }
  | { kind: 'invalid'; error: string }
  | { kind: 'directory' }
  | { kind: 'not-regular'; mode: number }
  | { kind: 'missing' };

/** Reads one entry as kubelet's extractFromFile does: stat follows symlinks; only regular files decode. */
export function decodeManifestFile(hostPath: string, nodeName: string): DecodedFile {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(hostPath);
  } catch {
    return { kind: 'missing' };
  }
  if (stat.isDirectory()) return { kind: 'directory' };
  if (!stat.isFile()) return { kind: 'not-regular', mode: stat.mode };
  if (stat.size >= MAX_MANIFEST_BYTES) return { kind: 'invalid', error: 'the file is 10 MiB or larger' };
  let content: string;
  try {
    content = fs.readFileSync(hostPath, 'utf8');
  } catch (error) {
    return { kind: 'invalid', error: errorText(error) };
  }
  const parsed = parseManifestText(content, nodeName);
  const errors = parsed.findings.filter((finding) => finding.severity === 'error').map((f) => f.message);
  const manifest = parsed.pods[0];
  if (errors.length > 0 || !manifest) return { kind: 'invalid', error: errors.join('; ') || 'no pod' };
  return { kind: 'pod', manifest, content };
}

/** registry.k8s.io/etcd* -> local/etcd:1, other control-plane images -> local/node:1, local/* as is. */
export function labImageFor(image: string): string {
  const name = image.replace(/^k8s\.gcr\.io\//, 'registry.k8s.io/');
  if (name.startsWith('registry.k8s.io/etcd')) return LAB_IMAGES.etcd;
  if (name.startsWith('registry.k8s.io/')) return 'local/node:1';
  if (name.startsWith('local/')) return name;
  return LAB_IMAGES.busybox;
}

function labContainer(container: ManifestContainer, manifest: PodManifest, root: string): ContainerSpec {
  const hostPaths = new Map(manifest.hostPathVolumes.map((volume) => [volume.name, volume.path]));
  const mounts = container.volumeMounts.flatMap((mount) => {
    const hostPath = hostPaths.get(mount.name);
    if (hostPath === undefined || mount.mountPath === '') return [];
    return [{ hostPath: rootPath(root, hostPath), containerPath: mount.mountPath, readonly: mount.readOnly }];
  });
  return { name: container.name, image: labImageFor(container.image), command: container.argv, mounts };
}

export function sourcePodFor(
  fileName: string,
  decoded: { manifest: PodManifest; content: string },
  node: NodeConfig,
) {
  const { manifest, content } = decoded;
  const spec: PodSpec = {
    name: manifest.name,
    namespace: manifest.namespace,
    nodeName: node.nodeName,
    file: path.posix.join(node.manifestNodeDir, fileName),
    content,
    labels: manifest.labels,
    containers: manifest.containers.map((container) => labContainer(container, manifest, node.root)),
  };
  const types = hostPathTypes(content);
  const hostPathVolumes = manifest.hostPathVolumes.map((v) => ({ ...v, type: types.get(v.name) ?? '' }));
  return {
    key: `${manifest.namespace}/${manifest.name}`,
    fileName,
    uid: podUid(spec),
    spec,
    hostPathVolumes,
  };
}

/** volumes[].hostPath.type by volume name (parse.ts keeps only names and paths). */
function hostPathTypes(content: string): Map<string, string> {
  const types = new Map<string, string>();
  const pod: unknown = parseAllDocuments(content)[0]?.toJS();
  const spec = isRecord(pod) && isRecord(pod.spec) ? pod.spec : {};
  for (const volume of Array.isArray(spec.volumes) ? spec.volumes.filter(isRecord) : []) {
    const type = isRecord(volume.hostPath) ? volume.hostPath.type : undefined;
    if (typeof volume.name === 'string' && typeof type === 'string') types.set(volume.name, type);
  }
  return types;
}
