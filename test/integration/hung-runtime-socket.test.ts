// A runtime socket that accepts connections and never answers, CRI's and Docker's: breakglass status must
// still answer, with a timeout as the runtime's error.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { makeNodeRoot, makeTempDir } from '../helpers/node-root.js';
import { breakglassAsync } from '../helpers/run.js';

/** breakglass on a hung runtime socket must still answer: killed and failed after this. */
const HUNG_SOCKET_MS = 30_000;

interface Status {
  runtime: { error: string | null };
  staticPods: unknown[];
}

describe('a runtime socket that accepts and never answers', () => {
  test('status answers with a timeout reason, and the rest of status works', async () => {
    const dir = makeTempDir();
    const socket = path.join(dir, 'hung.sock');
    const held: net.Socket[] = [];
    const server = net.createServer((s) => held.push(s)).listen(socket);
    await new Promise((r) => server.once('listening', r));
    const node = makeNodeRoot();
    try {
      for (const endpoint of [`unix://${socket}`, `unix://${path.join(dir, 'docker.sock')}`]) {
        if (endpoint.endsWith('docker.sock')) fs.symlinkSync(socket, path.join(dir, 'docker.sock'));
        const started = Date.now();
        const { stdout: r } = await breakglassAsync(
          ['status', '--json', ...node.flags, '--runtime', endpoint],
          {
            timeoutMs: HUNG_SOCKET_MS,
          },
        );
        const json = JSON.parse(r) as Status;
        assert.match(json.runtime.error!, /no answer|timed out|timeout/i, json.runtime.error ?? 'no error');
        assert.equal(json.staticPods.length, 4);
        console.log(
          `# hung ${endpoint.endsWith('docker.sock') ? 'docker' : 'CRI'} socket answered in ${Date.now() - started} ms`,
        );
      }
    } finally {
      for (const s of held) s.destroy();
      server.close();
      node.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
