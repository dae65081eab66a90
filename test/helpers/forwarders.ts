/**
 * Stand-ins that a test opens between a client and a real service: an HTTP or HTTPS forwarder
 * (which can act on a request, or refuse it, before passing it on) and a TCP forwarder, each on a port of the test's
 * choosing, so a dependency can "come up" at an address the client is already retrying.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions as TlsServerOptions } from 'node:tls';
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Forwarder {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
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

export interface HttpForwarderOptions {
  readonly port?: number;
  readonly onRequest?: (request: IncomingMessage) => void;
  /** Serve HTTPS with these options (certificate, key, a CA to check client certificates against). */
  readonly tls?: TlsServerOptions;
  /** A request this refuses is answered 401 and not forwarded. */
  readonly authorize?: (request: IncomingMessage) => boolean;
}

/** Forwards every HTTP(S) request to `target`'s origin (same method, path and body); `onRequest` runs first. */
export async function startHttpForwarder(target: string, options: HttpForwarderOptions = {}): Promise<Forwarder> {
  const origin = new URL(target);
  const sockets = new Set<Socket>();
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    options.onRequest?.(request);
    if (options.authorize?.(request) === false) {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error_code: 40101, message: 'unauthorized' }));
      return;
    }
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
  };
  const server = options.tls === undefined ? createServer(handle) : createHttpsServer(options.tls, handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server, options.port ?? 0);
  return {
    port,
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    close: closer(server, sockets),
  };
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
