// Serving the health endpoints (and the apiserver's node) over TLS on the component's port, the cert/key pair reloaded on change.
import * as https from 'node:https';
import { readFileOrFail, type Serving } from './config.js';
import { type ApiHandler, plain, type Routes, route } from './health.js';
import { log } from './log.js';

const CERT_RELOAD_INTERVAL_MS = 1_000;

interface CertKeyPair {
  cert: string;
  key: string;
}

function readServingPair(serving: Serving): CertKeyPair {
  return { cert: readFileOrFail(serving.certFile), key: readFileOrFail(serving.keyFile) };
}

/** The serving pair and the CA client certificates are verified against (absent: anonymous only). */
function secureContext(pair: CertKeyPair, clientCa: string | undefined) {
  return { ...pair, ...(clientCa ? { ca: clientCa } : {}) };
}

/** Like the real components' dynamic serving content: a changed cert/key pair on disk is served from then on. */
function reloadServingPairOnChange(
  server: https.Server,
  serving: Serving,
  loaded: CertKeyPair,
  clientCa: string | undefined,
): void {
  let current = loaded;
  const name = `serving-cert::${serving.certFile}::${serving.keyFile}`;
  setInterval(() => {
    let next: CertKeyPair;
    try {
      next = readServingPair(serving);
    } catch {
      return;
    }
    if (next.cert === current.cert && next.key === current.key) return;
    try {
      server.setSecureContext(secureContext(next, clientCa));
      log('I', 'dynamic_serving_content.go:192', `"Loaded a new cert/key pair" name="${name}"`);
    } catch (error) {
      log(
        'E',
        'dynamic_serving_content.go:166',
        `"Failed to load the cert/key pair" name="${name}" err="${String(error)}"`,
      );
    }
    current = next;
  }, CERT_RELOAD_INTERVAL_MS).unref();
}

export function listen(
  serving: Serving,
  routes: Routes,
  clientCa: string | undefined,
  api?: ApiHandler,
): Promise<https.Server> {
  const pair = readServingPair(serving);
  const server = https.createServer(
    {
      ...secureContext(pair, clientCa),
      // Anonymous requests are served, as kubeadm's default --anonymous-auth=true does.
      requestCert: clientCa !== undefined,
      rejectUnauthorized: false,
    },
    (request, response) => {
      route(routes, request, response, api).catch((error: unknown) => {
        log('E', 'wrap.go:53', `"Unhandled error" err="${String(error)}"`);
        if (!response.headersSent) plain(response, 500, 'Internal Server Error\n');
      });
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const address = `${serving.bindAddress}:${serving.port}`;
      const detail = error.code === 'EADDRINUSE' ? 'bind: address already in use' : error.message;
      reject(new Error(`failed to listen on ${address}: listen tcp ${address}: ${detail}`));
    });
    server.listen(serving.port, serving.bindAddress, () => {
      log('I', 'secure_serving.go:213', `Serving securely on ${serving.bindAddress}:${serving.port}`);
      reloadServingPairOnChange(server, serving, pair, clientCa);
      resolve(server);
    });
  });
}
