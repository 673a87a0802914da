// Servers on this machine that misbehave the way a hung or absent endpoint does.
import * as net from 'node:net';

export interface SilentServer {
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** A server that accepts connections and never says a word, on a unix socket or a loopback port. */
async function listenSilently(
  listen: (server: net.Server, ready: () => void) => void,
): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => listen(server, resolve));
  return {
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback server that accepts connections and never says a word. */
export async function silentServer(): Promise<SilentServer & { port: number }> {
  let server: net.Server | null = null;
  const silent = await listenSilently((s, ready) => {
    server = s;
    s.listen(0, '127.0.0.1', ready);
  });
  return { ...silent, port: (server!.address() as net.AddressInfo).port };
}

/** A unix socket server that accepts connections and never says a word. */
export function silentSocket(socketPath: string): Promise<SilentServer> {
  return listenSilently((s, ready) => s.listen(socketPath, ready));
}

/** A loopback port that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
