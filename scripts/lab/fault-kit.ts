// What every fault is built from: its context (the lab's node and the operations it needs), its own
// directory under <lab>/faults/<name>/, and the ways a fault edits a file so that heal puts it back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSeq, parseDocument } from 'yaml';
import type { LabNode } from './node.js';
import type { Log } from './packages.js';

export interface FaultContext {
  labDir: string;
  node: LabNode;
  log: Log;
  /** Lab operations the faults need; provided by lab.ts so this module stays free of daemon details. */
  ops: {
    systemctl(args: string[]): void;
    installKubeletDropIn(name: string, text: string | null): void;
    stopRuntime(): Promise<void>;
    startRuntime(): Promise<void>;
    etcdContainerPid(): Promise<number>;
    /** etcd's containers in the runtime, running or exited: none once kubelet has removed its pod. */
    etcdContainers(): Promise<{ id: string; running: boolean }[]>;
    writeExpiredCertificate(): void;
    writeNotYetValidCertificate(): void;
    /** Every leaf certificate and the client certificates of admin, super-admin, controller-manager and scheduler.conf, expired. */
    expireEveryCertificate(): void;
    /** Stops and removes a static pod's sandboxes in the runtime, as `crictl rmp` would. */
    removePods(manifestPodName: string): Promise<void>;
  };
}

export interface Fault {
  name: string;
  /** What it does, in an operator's words: shown by `lab fault` without a name. */
  description: string;
  inject(ctx: FaultContext): Promise<void>;
  heal(ctx: FaultContext): Promise<void>;
}

function faultDir(ctx: FaultContext, name: string): string {
  return path.join(ctx.labDir, 'faults', name);
}

export function activeFaults(labDir: string): string[] {
  const dir = path.join(labDir, 'faults');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

function markActive(ctx: FaultContext, name: string): string {
  const dir = faultDir(ctx, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function clearActive(ctx: FaultContext, name: string): void {
  fs.rmSync(faultDir(ctx, name), { recursive: true, force: true });
}

export interface FaultSteps {
  /** dir: the fault's own directory under <lab>/faults/, for what heal needs. */
  inject(ctx: FaultContext, dir: string): Promise<void>;
  heal(ctx: FaultContext, dir: string): Promise<void>;
}

/** A fault is on from the moment its directory is made until it is healed: the steps run in between. */
export function fault(name: string, description: string, steps: FaultSteps): Fault {
  return {
    name,
    description,
    async inject(ctx) {
      await steps.inject(ctx, markActive(ctx, name));
    },
    async heal(ctx) {
      await steps.heal(ctx, faultDir(ctx, name));
      clearActive(ctx, name);
    },
  };
}

/** Keeps the original of a file before a fault edits it; restore puts it back byte for byte. */
export function backup(dir: string, file: string): void {
  const saved = path.join(dir, path.basename(file));
  if (!fs.existsSync(saved)) fs.copyFileSync(file, saved);
}

export function restore(dir: string, file: string): void {
  const saved = path.join(dir, path.basename(file));
  if (!fs.existsSync(saved)) return;
  // Written beside the manifest directory and renamed in: kubelet never reads a half-written file.
  const temp = path.join(path.dirname(path.dirname(file)), `.${path.basename(file)}.heal`);
  fs.copyFileSync(saved, temp);
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

/** Replaces a manifest's content atomically, the way an editor that writes a new file and renames does. */
export function rewrite(file: string, content: string): void {
  const temp = path.join(path.dirname(path.dirname(file)), `.${path.basename(file)}.fault`);
  fs.writeFileSync(temp, content, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/** A saved file back in place with its own mode, written beside it and renamed in. */
export function putBack(saved: string, file: string): void {
  if (!fs.existsSync(saved)) return;
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.heal`);
  fs.copyFileSync(saved, temp);
  fs.chmodSync(temp, fs.statSync(saved).mode & 0o777);
  fs.renameSync(temp, file);
}

export const manifest = (ctx: FaultContext, file: string) => path.join(ctx.node.manifests, file);

/** The manifest with one more argument on its first container's command line. */
export function withExtraFlag(text: string, flag: string): string {
  const doc = parseDocument(text);
  const command = doc.getIn(['spec', 'containers', 0, 'command']);
  if (!isSeq(command)) throw new Error('the manifest has no command list to add a flag to');
  command.add(doc.createNode(flag));
  return doc.toString();
}
