// kubelet's file source: the manifest directory, as pkg/kubelet/config/file.go reads it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorText, klog } from './log.js';
import { decodeManifestFile, type SourcePod, sourcePodFor } from './manifest-file.js';
import type { NodeConfig } from './node-config.js';

/**
 * kubelet's file source: a store keyed by namespace/name. A full re-list replaces the store (files in name
 * order, so of two files defining the same pod the lexically last one wins); an inotify event updates the
 * entry of one file, and a file that no longer decodes keeps its old pod until the next re-list.
 */
export class ManifestSource {
  private store = new Map<string, SourcePod>();
  private fileKeys = new Map<string, string>();
  private pendingEvents = new Set<string>();
  private watcher: fs.FSWatcher | null = null;
  private watchedInode: number | null = null;
  private reportedConflicts = '';

  constructor(
    private readonly node: NodeConfig,
    private readonly onEvent: () => void,
  ) {}

  pods(): SourcePod[] {
    return [...this.store.values()];
  }

  relist(): void {
    this.ensureWatching();
    const names = this.listNames();
    if (names === null) return;
    const store = new Map<string, SourcePod>();
    const filesByKey = new Map<string, string[]>();
    for (const name of names) {
      const pod = this.readForRelist(name);
      if (!pod) continue;
      store.set(pod.key, pod);
      this.fileKeys.set(name, pod.key);
      filesByKey.set(pod.key, [...(filesByKey.get(pod.key) ?? []), name]);
    }
    this.store = store;
    this.pendingEvents.clear();
    this.reportConflicts(filesByKey);
  }

  applyWatchEvents(): void {
    for (const name of this.pendingEvents) this.applyWatchEvent(name);
    this.pendingEvents.clear();
  }

  /** Sorted non-dot names (filepath.Glob's `[^.]*`), or null when the directory cannot be read. */
  private listNames(): string[] | null {
    try {
      return fs
        .readdirSync(this.node.manifestDir)
        .filter((name) => !name.startsWith('.'))
        .sort();
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      klog('E', 'file.go:94', 'Unable to read config path', {
        err: missing ? 'path does not exist, ignoring' : errorText(error),
        path: this.node.manifestNodeDir,
      });
      // A missing directory is an empty set (kubelet sends an empty SET so the source counts as seen).
      if (missing) this.store = new Map();
      return null;
    }
  }

  private readForRelist(name: string): SourcePod | null {
    const nodePath = path.posix.join(this.node.manifestNodeDir, name);
    const decoded = decodeManifestFile(path.join(this.node.manifestDir, name), this.node.nodeName);
    switch (decoded.kind) {
      case 'pod':
        return sourcePodFor(name, decoded, this.node);
      case 'invalid':
        klog('E', 'file.go:211', 'Could not process manifest file', { err: decoded.error, path: nodePath });
        return null;
      case 'directory':
        klog('E', 'file.go:205', 'Provided manifest path is a directory, not recursing into manifest path', {
          path: nodePath,
        });
        return null;
      case 'not-regular':
        klog('E', 'file.go:216', 'Manifest path is not a directory or file', {
          path: nodePath,
          mode: `0${(decoded.mode & 0o7777).toString(8)}`,
        });
        return null;
      case 'missing':
        return null;
    }
  }

  private applyWatchEvent(name: string): void {
    const decoded = decodeManifestFile(path.join(this.node.manifestDir, name), this.node.nodeName);
    if (decoded.kind === 'pod') {
      const pod = sourcePodFor(name, decoded, this.node);
      this.store.set(pod.key, pod);
      this.fileKeys.set(name, pod.key);
    } else if (decoded.kind === 'invalid') {
      const nodePath = path.posix.join(this.node.manifestNodeDir, name);
      klog('E', 'file_linux.go:114', 'Unable to process watch event', {
        err: `can't process config file ${JSON.stringify(nodePath)}: ${decoded.error}`,
      });
    } else {
      // Removed or renamed away: kubelet drops the store entry this file last set, whoever set it since.
      const key = this.fileKeys.get(name);
      if (key !== undefined) this.store.delete(key);
      this.fileKeys.delete(name);
    }
  }

  /** inotify on the directory; set up again when the directory appears or is replaced. */
  private ensureWatching(): void {
    const inode = this.directoryInode();
    if (this.watcher && inode === this.watchedInode) return;
    this.watcher?.close();
    this.watcher = null;
    this.watchedInode = null;
    if (inode === null) return;
    try {
      const watcher = fs.watch(this.node.manifestDir, { persistent: true }, (_event, name) => {
        if (name === null || name.startsWith('.')) return; // kubelet ignores dot files in events too
        this.pendingEvents.add(name);
        this.onEvent();
      });
      watcher.on('error', () => {
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
      });
      this.watcher = watcher;
      this.watchedInode = inode;
    } catch (error) {
      klog('E', 'file_linux.go:63', 'Unable to watch the manifest directory', { err: errorText(error) });
    }
  }

  private directoryInode(): number | null {
    try {
      return fs.statSync(this.node.manifestDir).ino;
    } catch {
      return null;
    }
  }

  private reportConflicts(filesByKey: Map<string, string[]>): void {
    const conflicts = [...filesByKey].filter(([, files]) => files.length > 1);
    const signature = JSON.stringify(conflicts);
    if (signature === this.reportedConflicts) return;
    this.reportedConflicts = signature;
    for (const [key, files] of conflicts) {
      klog('W', 'file.go:180', 'Several manifest files define the same pod; the lexically last one wins', {
        pod: key,
        files,
        using: files[files.length - 1]!,
      });
    }
  }
}
