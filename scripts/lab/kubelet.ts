// The lab's kubelet stand-in: runs the static pods of a node root in a real runtime, the way kubelet does
// where breakglass can see it (pod names, labels, UIDs, log files, restarts with back-off, the journal's
// lines), including kubelet's trap: after a restart with the API server down, a removed manifest does not
// stop its pod.
//
//   kubelet.js --root <nodeRoot> [--config /var/lib/kubelet/config.yaml] [--runtime cri|docker]
//              [--container-runtime-endpoint unix://...] [--hostname-override NAME]
//              [--file-check-frequency 20s] [--backoff-base 10s] [--healthz-port 10248]
//
// Paths on the node (the config, staticPodPath, hostPath volumes, podLogsDir, kubelet.conf) are resolved
// under --root; the runtime endpoint is a socket on this machine. Logs go to stderr in klog's format.
//
// The stand-in is in kubelet/: main.ts starts it, sync-loop.ts runs it, pod-workers.ts starts and restarts
// the pods, file-source.ts and api-source.ts are kubelet's config sources.
import { runKubelet } from './kubelet/main.js';

runKubelet(process.argv.slice(2));
