// One command run to its end in an image the node already has, through the node's own runtime: what
// breakglass needs to use etcd's tools (etcdutl, etcdctl) at the very version the node runs, when the
// host has none. Host network, no restart, the given directories mounted at the same paths; the
// container (and its sandbox, on CRI) removed after, its output returned. Only src/ops runs anything.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { CriClient } from '../../clients/cri.js';
import { DockerClient } from '../../clients/docker.js';
import type { RuntimeChoice } from '../../sources/runtime/detect.js';
import { errnoMessage } from '../../util/errors.js';

export interface OneOff {
  image: string;
  argv: string[];
  /** Mounted at the same path inside. */
  mounts: { path: string; readonly: boolean }[];
  /** Where CRI writes the container's log (a directory of breakglass's own). */
  logDir: string;
  timeoutMs: number;
}

export interface OneOffResult {
  exitCode: number;
  /** stdout and stderr as written, interleaved. */
  output: string;
}

export async function runOnce(choice: RuntimeChoice, job: OneOff): Promise<OneOffResult> {
  return choice.kind === 'docker' ? runOnDocker(choice.endpoint, job) : runOnCri(choice.endpoint, job);
}

/** A CRI log file's lines (`<time> <stream> <P|F> <text>`) back to the text written. */
export function criLogText(text: string): string {
  let out = '';
  for (const line of text.split('\n')) {
    const m = /^\S+ (?:stdout|stderr) ([PF]) (.*)$/.exec(line);
    if (m) out += m[1] === 'F' ? `${m[2]}\n` : m[2];
  }
  return out;
}

async function runOnCri(endpoint: string, job: OneOff): Promise<OneOffResult> {
  const client = new CriClient(endpoint, 10_000);
  fs.mkdirSync(job.logDir, { recursive: true, mode: 0o700 });
  const hostNetwork = { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } };
  const sandboxConfig = {
    metadata: { name: 'breakglass-run-once', uid: randomUUID(), namespace: 'breakglass', attempt: 0 },
    logDirectory: job.logDir,
    labels: { 'breakglass.run-once': 'true' },
    linux: { securityContext: hostNetwork },
  };
  let sandbox: string | null = null;
  let container: string | null = null;
  try {
    sandbox = await client.runPodSandbox(sandboxConfig);
    const config = {
      metadata: { name: 'tool', attempt: 0 },
      image: { image: job.image },
      command: job.argv,
      logPath: 'tool.log',
      mounts: job.mounts.map((m) => ({ containerPath: m.path, hostPath: m.path, readonly: m.readonly })),
      linux: { securityContext: hostNetwork },
    };
    container = await client.createContainer(sandbox, config, sandboxConfig);
    await client.startContainer(container);
    const deadline = Date.now() + job.timeoutMs;
    for (;;) {
      const status = await client.containerStatus(container);
      if (status.state === 'CONTAINER_EXITED') {
        const log = path.join(job.logDir, 'tool.log');
        const output = fs.existsSync(log) ? criLogText(fs.readFileSync(log, 'utf8')) : '';
        return { exitCode: status.exitCode, output: output || status.message };
      }
      if (Date.now() > deadline)
        throw new Error(`${job.argv[0]} did not finish within ${job.timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    if (container) await client.removeContainer(container).catch(() => {});
    if (sandbox) {
      await client.stopPodSandbox(sandbox).catch(() => {});
      await client.removePodSandbox(sandbox).catch(() => {});
    }
    client.close();
  }
}

async function runOnDocker(endpoint: string, job: OneOff): Promise<OneOffResult> {
  const client = new DockerClient(endpoint, 10_000);
  const docker = await client.streams();
  const created = await client.unary('create', () =>
    docker.createContainer({
      Image: job.image,
      Entrypoint: [job.argv[0]!],
      Cmd: job.argv.slice(1),
      Labels: { 'breakglass.run-once': 'true' },
      HostConfig: {
        NetworkMode: 'host',
        Binds: job.mounts.map((m) => `${m.path}:${m.path}:${m.readonly ? 'ro' : 'rw'}`),
      },
    }),
  );
  try {
    await client.unary('start', () => created.start());
    const waited = (await client.unary('wait', () => created.wait(), job.timeoutMs)) as {
      StatusCode: number;
    };
    const logs = (await client.unary('logs', () =>
      created.logs({ stdout: true, stderr: true, follow: false }),
    )) as Buffer;
    return { exitCode: waited.StatusCode, output: await demux(docker, Buffer.from(logs)) };
  } catch (err) {
    throw new Error(`${job.argv[0]} in ${job.image}: ${errnoMessage(err)}`);
  } finally {
    await created.remove({ force: true }).catch(() => {});
  }
}

/** Docker's multiplexed log (a frame header before each write) as text, by dockerode's own demuxer. */
async function demux(docker: Awaited<ReturnType<DockerClient['streams']>>, logs: Buffer): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const source = new PassThrough();
  docker.modem.demuxStream(source, sink, sink);
  await new Promise<void>((resolve) => {
    source.on('end', () => resolve());
    source.end(logs);
  });
  return Buffer.concat(chunks).toString('utf8');
}
