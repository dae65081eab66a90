/**
 * Stand-ins that a test opens between a client and a real service: an HTTP forwarder (which can
 * act on a request before passing it on) and a TCP forwarder, each on a port of the test's
 * choosing, so a dependency can "come up" at an address the client is already retrying.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Forwarder {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A port nothing listens on right now (the system's choice, released at once). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** Forwards every HTTP request to `target`'s origin (same method, path and body); `onRequest` runs first. */
export async function startHttpForwarder(
  target: string,
  options: { port?: number; onRequest?: (request: IncomingMessage) => void } = {},
): Promise<Forwarder> {
  const origin = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    options.onRequest?.(request);
    const upstream = httpRequest(
      {
        host: origin.hostname,
        port: origin.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: origin.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server, options.port ?? 0);
  return { port, url: `http://127.0.0.1:${port}`, close: closer(server, sockets) };
}

/** Forwards every TCP connection to `host:port` (e.g. a Kafka bootstrap address). */
export async function startTcpForwarder(host: string, targetPort: number, port = 0): Promise<Forwarder> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(targetPort, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  const bound = await listen(server, port);
  return { port: bound, url: `127.0.0.1:${bound}`, close: closer(server, sockets) };
}
