// Stand-ins for kube-apiserver, kube-controller-manager and kube-scheduler, honest where breakglass can
// see them: the real flags (an unknown one fails like the real binary), real TLS on the real ports, health
// endpoints that follow the component's real dependency (etcd for the apiserver, the apiserver for the
// others), klog-style lines on stderr, exit 0 on SIGTERM.
//
//   node /opt/breakglass/standin.js kube-apiserver --etcd-servers=https://127.0.0.1:2379 ...
//
// The lab copies the compiled entry into the node root and runs it in a container, bundled by esbuild into
// one file with the modules it imports (installStandin): they must import nothing but node: built-ins and
// each other.
import { runApiserver, runController } from './standin/components.js';
import { COMPONENTS, type Component, FlagError, logFlags, parseFlags } from './standin/flags.js';
import { log } from './standin/log.js';

function isComponent(name: string | undefined): name is Component {
  return (COMPONENTS as readonly string[]).includes(name ?? '');
}

/** SIGTERM (kubelet stopping the pod) and SIGINT end the process with 0, in start-up too. */
function exitZeroOnSignals(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log(
        'I',
        'genericapiserver.go:541',
        `"[graceful-termination] shutdown event" name="ShutdownInitiated" signal="${signal}"`,
      );
      process.exit(0);
    });
  }
}

/** Flag errors as cobra prints them; anything else as the components' run.go does. */
function reportFailure(error: unknown): void {
  if (error instanceof FlagError) {
    process.stderr.write(`Error: ${error.message}\n`);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  log('E', 'run.go:72', `"command failed" err="${message}"`);
}

/** An exit code, or 'serving' until a signal ends the process. */
async function main(argv: string[]): Promise<number | 'serving'> {
  const [component, ...args] = argv;
  if (!isComponent(component)) {
    process.stderr.write(`usage: standin.js ${COMPONENTS.join('|')} [--flag=value ...]\n`);
    return 2;
  }
  exitZeroOnSignals();
  try {
    const { flags, positional } = parseFlags(component, args);
    if (positional.length > 0) {
      throw new FlagError(`"${component}" does not take any arguments, got ${JSON.stringify(positional)}`);
    }
    logFlags(flags);
    if (component === 'kube-apiserver') await runApiserver(flags);
    else await runController(component, flags);
    return 'serving';
  } catch (error) {
    reportFailure(error);
    return 1;
  }
}

main(process.argv.slice(2)).then((outcome) => {
  if (outcome !== 'serving') process.exit(outcome);
});
