// `breakglass etcd restore FILE`: this node's single etcd member put back on a snapshot. The snapshot is
// checked first (whole, its hash, what etcd's tool reads in it); the API server, then etcd, stopped by
// moving their manifests out, verified through the runtime; etcd's `member` moved aside on its own file
// system; the snapshot restored by etcd's own tool with this member's name and peer URLs; then etcd and
// the API server back, each gated. Whatever fails, the manifests go back, and until the restore has
// finished so does the old data; a kill -9 leaves that to `breakglass recover` (the record says where).

import { statfsSync } from 'node:fs';
import type { EtcdAccess } from '../node/etcd.js';
import { crashpoint } from '../ops/crashpoint.js';
import { putMemberBack, restoreStamp } from '../ops/etcd-member-back.js';
import {
  imageRestoreTool,
  type MemberIdentity,
  moveMemberAside,
  type RestoreTool,
  restoreSnapshot,
  snapshotStatus,
  toolText,
} from '../ops/etcd-restore.js';
import { bytes } from '../ops/snapshot-space.js';
import { EtcdSession } from '../sources/etcd/session.js';
import { checkSnapshotFile } from '../sources/etcd/snapshot-file.js';
import type { RuntimeChoice } from '../sources/runtime/detect.js';
import { errnoMessage } from '../util/errors.js';
import { escapeName } from '../util/sanitize.js';
import { moveManifest, type PodSubject, WAIT_STOPPED_SECONDS, waitForPod } from './pod-steps.js';
import type { Procedure, Step, StepContext, StepResult } from './procedure.js';
import { ensureInPlace } from './restart-step.js';

export interface EtcdRestoreParams {
  /** The snapshot, an absolute path on this machine. */
  file: string;
  /** Where etcd's own tool may come from: its image through the runtime first, else the host's. */
  tools: ToolSources;
  access: EtcdAccess;
  dataDir: string;
  identity: MemberIdentity;
  etcd: PodSubject;
  /** null: no API server manifest on this node. */
  apiserver: PodSubject | null;
  stateDir: string;
  readOnly: boolean;
  gateSeconds: number;
  /** Members --initial-cluster names; more than one only with --force. */
  members: number;
}

export interface ToolSources {
  /** The etcd manifest's image, and the runtime to run it with; null: none known. */
  image: { image: string; runtime: RuntimeChoice } | null;
  host: RestoreTool | null;
  /** The runtime's log directory for the tool's runs (breakglass's own). */
  logDir: string;
}

export function toolsText(t: ToolSources): string {
  const from = [
    ...(t.image ? [`etcdutl or etcdctl in ${t.image.image} (through the runtime)`] : []),
    ...(t.host ? [t.host.where === 'host' ? t.host.path : ''] : []),
  ];
  return from.length > 0 ? from.join(', else ') : 'no etcdutl or etcdctl found';
}

interface RestoreState {
  tool: RestoreTool | null;
  /** etcd passed its gate on the restored data. */
  etcdHealthy: boolean;
  snapshotRevision: number | null;
  aside: string | null;
  member: string | null;
  restored: boolean;
  /** The pods this run moved out, put back by its always-steps. */
  movedOut: Set<string>;
}

type RestoreStep = Step<EtcdRestoreParams, RestoreState>;

/** etcd preallocates each WAL file to 64 MB (wal.SegmentSizeBytes). */
const WAL_SEGMENT_BYTES = 64 * 1000 * 1000;

const checkStep: RestoreStep = {
  id: 'check-snapshot',
  describe: (p) =>
    `check ${escapeName(p.file)}: a whole bolt database with its trailing SHA-256, and what etcd's own tool (${escapeName(toolsText(p.tools))}) reads in it: its revision`,
  run: async (ctx, p, state) => {
    try {
      const file = checkSnapshotFile(p.file);
      if (file.problem)
        return { ok: false, text: `${escapeName(p.file)}: ${file.problem}. Nothing was changed` };
      const room = restoreRoom(p.dataDir, file.size);
      if (room) return { ok: false, text: `${room}. Nothing was changed` };
      const tool =
        (p.tools.image &&
          (await imageRestoreTool(p.tools.image.runtime, p.tools.image.image, p.tools.logDir))) ??
        p.tools.host;
      if (!tool)
        return {
          ok: false,
          text: `neither etcd's image (${p.tools.image?.image ?? 'unknown'}) nor this machine's PATH has etcdutl or etcdctl: breakglass restores with etcd's own tool. Install it (the version etcd runs; Debian: etcd-client), then run this again. Nothing was changed`,
        };
      state.tool = tool;
      ctx.say(`etcd's tool: ${toolText(tool)}`);
      const status = await snapshotStatus(tool, p.file);
      state.snapshotRevision = status.revision;
      ctx.say(`${status.totalKey} keys, revision ${status.revision}, sha256 ${file.fileSha256}`);
      return {
        ok: true,
        detail: `revision ${status.revision}, ${status.totalKey} keys, sha256 ${file.fileSha256}`,
      };
    } catch (err) {
      return { ok: false, text: `${escapeName(p.file)}: ${errnoMessage(err)}. Nothing was changed` };
    }
  },
};

/** Its manifest moved out (the record told first), and the runtime shows it stopped. */
function stopStep(id: string, pod: (p: EtcdRestoreParams) => PodSubject | null): RestoreStep {
  return {
    id,
    skip: (p) => pod(p) === null,
    describe: (p) =>
      `stop ${pod(p)?.name}: its manifest moved out of the manifest directory, then wait until the runtime shows no container of it (at most ${WAIT_STOPPED_SECONDS} s)`,
    run: async (ctx, p, state) => {
      const subject = pod(p)!;
      // Disabled before this run: it is enabled at the end all the same (the restore is for it to run).
      state.movedOut.add(subject.fileName);
      if (subject.enabled) {
        ctx.journal.takingAway(subject.fileName, subject.file);
        const out = await moveManifest(ctx, 'disable', subject);
        if (!out.ok) return out;
      }
      if (await waitForPod(ctx, subject, 'stopped', WAIT_STOPPED_SECONDS)) return { ok: true };
      return {
        ok: false,
        text: `${subject.name} still runs ${WAIT_STOPPED_SECONDS} s after its manifest was moved out (kubelet restarted while the API server was down ignores removals: \`breakglass stop ${subject.name}\` stops it through the runtime)`,
      };
    },
  };
}

const asideStep: RestoreStep = {
  id: 'data-aside',
  describe: (p) =>
    `move ${escapeName(p.dataDir)}/member aside to member.breakglass-<time> beside it (a rename on the same file system: nothing is copied or deleted)`,
  run: async (ctx, p, state) => {
    const s = restoreStamp();
    try {
      const member = `${p.dataDir}/member`;
      // Told before the rename: killed after it, recovery finds the old data where this says.
      ctx.journal.dataAside({ member, aside: `${member}.breakglass-${s}`, restored: false });
      const moved = moveMemberAside({ stateDir: p.stateDir, readOnly: p.readOnly, dataDir: p.dataDir }, s);
      state.member = moved.member;
      state.aside = moved.aside;
      if (!moved.aside) ctx.journal.dataAside(null);
      return { ok: true, detail: moved.aside ? `kept as ${moved.aside}` : 'there was no member directory' };
    } catch (err) {
      ctx.journal.dataAside(null);
      return { ok: false, text: `etcd's data could not be moved aside: ${errnoMessage(err)}` };
    }
  },
};

const restoreStep: RestoreStep = {
  id: 'restore',
  describe: (p) =>
    `restore ${escapeName(p.file)} with that tool as member ${escapeName(p.identity.name)} (${escapeName(p.identity.initialAdvertisePeerUrls)}, --initial-cluster ${escapeName(p.identity.initialCluster)}) into ${escapeName(p.dataDir)}/member`,
  run: async (ctx, p, state) => {
    try {
      await restoreSnapshot(
        { stateDir: p.stateDir, readOnly: p.readOnly, dataDir: p.dataDir },
        state.tool!,
        p.file,
        p.identity,
        restoreStamp(),
      );
      state.restored = true;
      if (state.aside && state.member)
        ctx.journal.dataAside({ member: state.member, aside: state.aside, restored: true });
      crashpoint('restore-after-record');
      return { ok: true, detail: `restored into ${escapeName(p.dataDir)}/member` };
    } catch (err) {
      return { ok: false, text: `the restore failed: ${errnoMessage(err)}` };
    }
  },
};

const dataBackStep: RestoreStep = {
  id: 'data-back',
  always: true,
  describe: () =>
    'if the restore did not finish: the old member directory renamed back (the partial one kept beside it)',
  run: async (ctx, p, state) => {
    if (state.restored || !state.aside || !state.member) return { ok: true, detail: 'nothing to put back' };
    try {
      const text = putMemberBack({ stateDir: p.stateDir, readOnly: p.readOnly }, state.member, state.aside);
      ctx.journal.dataAside(null);
      ctx.say(text);
      return { ok: true, detail: text };
    } catch (err) {
      return {
        ok: false,
        text: `etcd's old data is still in ${state.aside}: ${errnoMessage(err)}; rename it back to ${state.member} by hand`,
      };
    }
  },
};

/** Its manifest back where this run took it from, then its gate. */
function startStep(
  id: string,
  pod: (p: EtcdRestoreParams) => PodSubject | null,
  gate: (ctx: StepContext, p: EtcdRestoreParams, state: RestoreState) => Promise<StepResult>,
  gateText: string,
): RestoreStep {
  return {
    id,
    always: true,
    skip: (p) => pod(p) === null,
    describe: (p) =>
      `start ${pod(p)?.name}: its manifest back in place, then ${gateText} (at most ${p.gateSeconds} s)`,
    run: async (ctx, p, state) => {
      const subject = pod(p)!;
      if (state.movedOut.has(subject.fileName)) {
        const back = ensureInPlace(ctx, subject);
        if (!back.ok) return back;
      }
      return gate(ctx, p, state);
    },
  };
}

/**
 * What a restore writes beside the old data: the database (the snapshot's size) and etcd's WAL, which it
 * preallocates 64 MiB at a time (a file and its .tmp). Null when there is room; else why not.
 */
export function restoreRoom(dataDir: string, snapshotBytes: number): string | null {
  const needed = snapshotBytes + 2 * WAL_SEGMENT_BYTES + 16 * 1024 ** 2;
  const st = statfsSync(dataDir);
  const free = st.bavail * st.bsize;
  if (free >= needed) return null;
  return `${escapeName(dataDir)} has ${bytes(free)} free and the restore writes about ${bytes(needed)} beside the old data (the database and etcd's preallocated WAL): make room on that file system (older member.breakglass-* directories can be moved elsewhere; never etcd's own files)`;
}

async function etcdGate(ctx: StepContext, p: EtcdRestoreParams, state: RestoreState): Promise<StepResult> {
  if (!state.restored) {
    state.etcdHealthy = false;
    return {
      ok: true,
      detail: 'back on its own data, as before this run (not waited for: nothing was restored)',
    };
  }
  if (!(await waitForPod(ctx, p.etcd, 'running', p.gateSeconds)))
    return { ok: false, text: `etcd did not start within ${p.gateSeconds} s` };
  // One client for the whole wait: one made and closed per try left connections open once etcd was up.
  const session = new EtcdSession(2_000);
  try {
    return await waitForRestoredEtcd(ctx, p, state, session);
  } finally {
    session.close();
  }
}

/** Until etcd answers with a leader, quorum and at least the snapshot's revision, or the gate's time is up. */
async function waitForRestoredEtcd(
  ctx: StepContext,
  p: EtcdRestoreParams,
  state: RestoreState,
  session: EtcdSession,
): Promise<StepResult> {
  const deadline = Date.now() + p.gateSeconds * 1000;
  let last = 'no answer yet';
  while (Date.now() < deadline && !ctx.signal.aborted) {
    try {
      const c = await session.read(p.access);
      const revisionOk = c.self.revision >= (state.snapshotRevision ?? 0);
      if (c.quorum && c.self.leader !== '0' && revisionOk) {
        state.etcdHealthy = true;
        return {
          ok: true,
          detail: `etcd answers: leader, quorum, revision ${c.self.revision}, cluster ${c.self.clusterId}`,
        };
      }
      last = !revisionOk
        ? `revision ${c.self.revision}, below the snapshot's ${state.snapshotRevision}`
        : (c.quorumError ?? 'no leader yet');
    } catch (err) {
      last = errnoMessage(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { ok: false, text: `etcd did not become healthy within ${p.gateSeconds} s: ${last}` };
}

async function apiserverGate(
  ctx: StepContext,
  p: EtcdRestoreParams,
  state: RestoreState,
): Promise<StepResult> {
  // Without a healthy etcd the API server cannot be ready: its manifest is back, nothing to wait for.
  if (!state.etcdHealthy) return { ok: true, detail: 'back in place (etcd is not healthy: not waited for)' };
  if (await waitForPod(ctx, p.apiserver!, 'healthy', p.gateSeconds)) return { ok: true };
  return { ok: false, text: `the API server did not answer its probe within ${p.gateSeconds} s` };
}

export const etcdRestore: Procedure<EtcdRestoreParams, RestoreState> = {
  command: 'etcd restore',
  title: (p) => `Restore etcd on this node from ${escapeName(p.file)}`,
  steps: [
    checkStep,
    stopStep('stop-apiserver', (p) => p.apiserver),
    stopStep('stop-etcd', (p) => p.etcd),
    asideStep,
    restoreStep,
    dataBackStep,
    startStep(
      'start-etcd',
      (p) => p.etcd,
      etcdGate,
      "etcd answers with a leader, quorum and at least the snapshot's revision",
    ),
    startStep('start-apiserver', (p) => p.apiserver, apiserverGate, 'its health probe answers'),
  ],
  start: () => ({
    tool: null,
    etcdHealthy: false,
    snapshotRevision: null,
    aside: null,
    member: null,
    restored: false,
    movedOut: new Set(),
  }),
  notes: () => [
    "a restore starts etcd's history again from the snapshot: every write after the snapshot's time is gone, and the API server serves the cluster as it was then (its members start anew; with the same name, peer URLs and --initial-cluster-token, etcd computes the same cluster ID)",
    'on failure the manifests go back and, until the restore has finished, the old data too; cut short, `breakglass recover` does the same',
  ],
  warnings: (p) => [
    ...(p.members > 1
      ? [
          `--force: etcd's --initial-cluster names ${p.members} members; restoring only this one splits it from the others`,
        ]
      : []),
    'the API server is down until the restore is done',
  ],
  success: (p, s) =>
    `etcd runs on ${escapeName(p.file)} (revision ${s.snapshotRevision}); its old data is kept in ${s.aside ?? 'nothing (there was none)'}`,
};
