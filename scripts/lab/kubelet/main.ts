// The kubelet stand-in's process: its healthz, its signals, and the sync loop over the chosen runtime.
import * as http from 'node:http';
import { SourcesReadiness } from './api-source.js';
import { errorText, klog } from './log.js';
import { loadNodeConfig } from './node-config.js';
import { parseStandInArgs, type StandInOptions, USAGE } from './options.js';
import { criRuntime, dockerRuntime } from './runtime-adapters.js';
import { StandInKubelet } from './sync-loop.js';

function serveHealthz(port: number): void {
  if (port === 0) return;
  const server = http.createServer((request, response) => {
    const ok = request.method === 'GET' && request.url === '/healthz';
    response.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' });
    response.end(ok ? 'ok' : 'not found');
  });
  server.on('error', (error) => {
    klog('E', 'server.go:1190', 'Failed to start healthz server', { err: errorText(error), port });
  });
  server.listen(port, '127.0.0.1');
}

/** kubelet exits on SIGTERM and leaves its pods running: they are the runtime's, not its own. */
function exitOnSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      klog('I', 'server.go:1305', 'Received signal; exiting without stopping pods', { signal });
      process.exit(0);
    });
  }
}

async function main(argv: string[]): Promise<void> {
  let options: StandInOptions;
  try {
    options = parseStandInArgs(argv);
  } catch (error) {
    // As the real kubelet says it (component-base's cli.Run): one klog error line, exit 1.
    const unknown = /Unknown option '([^']+)'/.exec(errorText(error));
    const err = unknown ? `failed to parse kubelet flag: unknown flag: ${unknown[1]}` : errorText(error);
    klog('E', 'run.go:74', 'command failed', { err });
    process.stderr.write(`${USAGE}\n`);
    process.exit(1);
  }
  exitOnSignals();
  const node = await loadNodeConfig(options);
  klog('I', 'server.go:487', 'Starting the kubelet stand-in', {
    nodeName: node.nodeName,
    staticPodPath: node.manifestNodeDir,
    runtime: options.runtime,
    endpoint: node.endpoint,
    podLogsDir: node.podLogsDir,
  });
  const runtime = options.runtime === 'cri' ? criRuntime(node) : dockerRuntime(node);
  const readiness = SourcesReadiness.fromNode(node.root);
  serveHealthz(options.healthzPort);
  await new StandInKubelet(node, options, runtime, readiness).run();
}

export function runKubelet(argv: string[]): void {
  main(argv).catch((error: unknown) => {
    klog('E', 'server.go:302', 'Kubelet stand-in failed', { err: errorText(error) });
    process.exit(1);
  });
}
