// hostPath volumes, set up as kubelet's hostPath volume plugin does before it starts a pod.
import * as fs from 'node:fs';
import { rootPath } from '../../../src/node/root-fs.js';
import { errorText } from './log.js';

export interface HostPathVolume {
  name: string;
  /** The path on the node (not under --root). */
  path: string;
  /** hostPath.type: '' (no check), DirectoryOrCreate, FileOrCreate, Directory, File, Socket, ... */
  type: string;
}

type FileKind = 'directory' | 'file' | 'socket' | 'character device' | 'block device' | 'other';

function fileKindAt(hostPath: string): FileKind | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(hostPath);
  } catch {
    return null;
  }
  if (stat.isDirectory()) return 'directory';
  if (stat.isFile()) return 'file';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice()) return 'character device';
  return stat.isBlockDevice() ? 'block device' : 'other';
}

const HOST_PATH_KINDS: Record<string, FileKind> = {
  DirectoryOrCreate: 'directory',
  Directory: 'directory',
  FileOrCreate: 'file',
  File: 'file',
  Socket: 'socket',
  CharDevice: 'character device',
  BlockDevice: 'block device',
};

/**
 * kubelet's hostPath volume set-up: *OrCreate makes what is missing (a directory 0755 with its parents; an
 * empty file 0644, whose parent must exist), the other types must already be there. The error, or null.
 */
export function setUpHostPath(volume: HostPathVolume, root: string): string | null {
  const wanted = HOST_PATH_KINDS[volume.type];
  if (wanted === undefined) return null; // '' or an unknown type: no check, the runtime mounts what is there
  const hostPath = rootPath(root, volume.path);
  try {
    if (volume.type === 'DirectoryOrCreate' && fileKindAt(hostPath) === null) {
      fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
    }
    if (volume.type === 'FileOrCreate' && fileKindAt(hostPath) === null) {
      fs.writeFileSync(hostPath, '', { mode: 0o644, flag: 'wx' });
    }
  } catch (error) {
    return `MountVolume.SetUp failed for volume "${volume.name}": ${errorText(error)}`;
  }
  if (fileKindAt(hostPath) === wanted) return null;
  const check = `hostPath type check failed: ${volume.path} is not a ${wanted}`;
  return `MountVolume.SetUp failed for volume "${volume.name}": ${check}`;
}
