// The components: the apiserver follows etcd (and serves its node, nodes.ts), the controller manager and the scheduler follow the apiserver.
import { readFileOrFail, readKubeconfig, servingOf } from './config.js';
import { checkEndpoint, type Dependency, monitor } from './dependency.js';
import { type Component, FlagError, type Flags } from './flags.js';
import { type HealthCheck, type Routes, VERSION } from './health.js';
import { log } from './log.js';
import { nodesApi, readLabNodeName } from './nodes.js';
import { listen } from './serving.js';

function etcdDependency(flags: Flags): Dependency {
  const first = flags.get('etcd-servers')?.split(',')[0];
  if (!first) throw new FlagError('[--etcd-servers must be specified]');
  const url = new URL('/health', first);
  const pem = (flag: string) => {
    const file = flags.get(flag);
    return file ? readFileOrFail(file) : undefined;
  };
  const tls = { ca: pem('etcd-cafile'), cert: pem('etcd-certfile'), key: pem('etcd-keyfile') };
  const address = `${url.hostname}:${url.port}`;
  return monitor(
    () =>
      checkEndpoint(url, tls, (status, body) =>
        status === 200 && /"health"\s*:\s*"true"/.test(body)
          ? null
          : `etcd answered ${status}: ${body.trim()}`,
      ),
    (result, previous) => {
      if (result.ok) {
        log('I', 'healthz.go:176', previous ? 'etcd check passed again' : `etcd at ${address} is healthy`);
        return;
      }
      if (result.reason.startsWith('dial tcp')) {
        log(
          'W',
          'logging.go:55',
          `[core] [Channel #1 SubChannel #2]grpc: addrConn.createTransport failed to connect to {Addr: "${address}", ServerName: "${address}", }. Err: connection error: desc = "transport: Error while dialing: ${result.reason}"`,
        );
      }
      log('E', 'healthz.go:261', `etcd check failed: [-]etcd failed: ${result.reason}`);
    },
  );
}

const passing = (name: string): HealthCheck => ({ name, dependsOn: null });

/** The real apiserver's checks, short of most post-start hooks; etcd's decide. */
function apiserverRoutes(etcd: Dependency): Routes {
  const hooks = [
    'poststarthook/start-apiserver-admission-initializer',
    'poststarthook/rbac/bootstrap-roles',
  ].map(passing);
  const base = [passing('ping'), passing('log'), { name: 'etcd', dependsOn: etcd }];
  const livez = [...base, ...hooks];
  const readyz = [
    ...base,
    { name: 'etcd-readiness', dependsOn: etcd },
    passing('informer-sync'),
    ...hooks,
    passing('shutdown'),
  ];
  return { '/livez': livez, '/readyz': readyz, '/healthz': livez };
}

export async function runApiserver(flags: Flags): Promise<void> {
  const serving = servingOf('kube-apiserver', flags);
  const etcd = etcdDependency(flags);
  const clientCaFile = flags.get('client-ca-file');
  log(
    'I',
    'options.go:228',
    `external host was not specified, using ${flags.get('advertise-address') ?? serving.bindAddress}`,
  );
  log('I', 'server.go:150', `Version: ${VERSION.gitVersion}`);
  const anonymousAuth = !/^(0|f|F|FALSE|false|False)$/.test(flags.get('anonymous-auth') ?? 'true');
  const nodes = nodesApi({ nodeName: readLabNodeName(), etcd, anonymousAuth });
  await listen(
    serving,
    apiserverRoutes(etcd),
    clientCaFile ? readFileOrFail(clientCaFile) : undefined,
    nodes,
  );
  void etcd.current();
}

const LEASE_NAME: Record<Component, string> = {
  'kube-apiserver': '',
  'kube-controller-manager': 'kube-controller-manager',
  'kube-scheduler': 'kube-scheduler',
};

function apiserverDependency(component: Component, flags: Flags): Dependency {
  const file = flags.get('kubeconfig') ?? flags.get('authentication-kubeconfig');
  if (!file)
    throw new FlagError(
      'invalid configuration: no configuration has been provided, try setting --kubeconfig',
    );
  const kubeconfig = readKubeconfig(file);
  const url = new URL('/readyz', kubeconfig.server);
  const lease = `kube-system/${LEASE_NAME[component]}`;
  const leaseUrl = `${kubeconfig.server}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${LEASE_NAME[component]}?timeout=5s`;
  return monitor(
    () =>
      checkEndpoint(url, kubeconfig.tls, (status) =>
        status === 200 ? null : `the server answered ${status} on /readyz`,
      ),
    (result, previous) => {
      if (result.ok) {
        if (!previous) log('I', 'leaderelection.go:254', `attempting to acquire leader lease ${lease}...`);
        log('I', 'leaderelection.go:268', `successfully acquired lease ${lease}`);
        return;
      }
      log(
        'E',
        'leaderelection.go:436',
        `error retrieving resource lock ${lease}: Get "${leaseUrl}": ${result.reason}`,
      );
    },
  );
}

export async function runController(component: Component, flags: Flags): Promise<void> {
  const serving = servingOf(component, flags);
  const apiserver = apiserverDependency(component, flags);
  const source = component === 'kube-scheduler' ? 'server.go:167' : 'controllermanager.go:197';
  const what = component === 'kube-scheduler' ? 'Starting Kubernetes Scheduler' : 'Starting';
  log('I', source, `"${what}" version="${VERSION.gitVersion}"`);
  const checks: HealthCheck[] = [passing('ping'), { name: 'leaderElection', dependsOn: apiserver }];
  const routes: Routes =
    component === 'kube-scheduler'
      ? { '/healthz': checks, '/livez': checks, '/readyz': checks }
      : { '/healthz': checks };
  await listen(serving, routes, undefined);
  void apiserver.current();
}
