/**
 * The operations HTTP server every long-running command exposes: /healthz (the process is alive),
 * /readyz (it is doing its job), /metrics (Prometheus), and a small JSON REST API in the Kafka
 * Connect manner registered by the command. When a bearer token is configured, the REST API
 * requires it; probes and metrics stay open (they reveal no data and no secret). Listening beyond
 * loopback without a token is refused by the configuration unless `http.allowUnauthenticated` says
 * so, and then logged as a warning at start (ops-access.ts).
 *
 * Every POST, PUT and DELETE must say `Content-Type: application/json` (415 otherwise), body or
 * not: a web page can send a plain-text or form POST to a laptop's 127.0.0.1 without the browser
 * asking first, but not a JSON one, so no page can pause a resource or start a backfill.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { MetricsSource } from './metrics.js';
import { ConnectError, describeError } from './errors.js';
import { readJsonBody } from './http-body.js';
import type { Logger } from './logger.js';
import { isLoopbackHost } from './ops-access.js';
import { maskSecretsInText } from './secrets.js';

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export type RouteHandler = (request: RouteRequest) => Promise<unknown> | unknown;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` segments, e.g. `/tasks/:task/resources/:resource/pause`. */
  readonly path: string;
  readonly handler: RouteHandler;
}

/** A handler's answer with another status than 200 (202 Accepted, 204 No Content). */
export class RouteResult {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body?: unknown) {
    this.status = status;
    this.body = body;
  }
}

/** Thrown by handlers for a client mistake; becomes a 4xx with the message. */
export class HttpError extends ConnectError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface OpsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly bearerToken?: string | undefined;
  readonly metrics: MetricsSource;
  readonly logger: Logger;
  /** Returns undefined when ready, otherwise the reason it is not. */
  readonly notReadyReason: () => string | undefined;
  readonly routes: readonly Route[];
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const compiled = options.routes.map((route) => ({ ...route, match: compilePath(route.path) }));
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) options.logger.error({ err: error, path: request.url }, 'ops request failed');
      sendJson(response, status, {
        error: status === 500 ? 'internal error' : describeError(error).replace(/^HttpError: /, ''),
      });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://ops');
    if (request.method === 'GET' && url.pathname === '/healthz') return sendJson(response, 200, { status: 'ok' });
    if (request.method === 'GET' && url.pathname === '/readyz') {
      const reason = options.notReadyReason();
      return sendJson(
        response,
        reason === undefined ? 200 : 503,
        // A reason may quote a foreign error: whatever secret it shows (a URL's password) is masked.
        reason === undefined ? { status: 'ready' } : { status: 'not ready', reason: maskSecretsInText(reason) },
      );
    }
    if (request.method === 'GET' && url.pathname === '/metrics') {
      response.writeHead(200, { 'content-type': options.metrics.contentType });
      response.end(await options.metrics.metrics());
      return;
    }
    if (options.bearerToken !== undefined && !authorized(request.headers.authorization, options.bearerToken)) {
      response.setHeader('www-authenticate', 'Bearer');
      throw new HttpError(401, 'missing or wrong bearer token');
    }
    for (const route of compiled) {
      if (route.method !== request.method) continue;
      const params = route.match(url.pathname);
      if (params === undefined) continue;
      let body: unknown;
      if (request.method !== 'GET') {
        if (!isJson(request.headers['content-type']))
          throw new HttpError(415, `${request.method ?? '?'} requests need Content-Type: application/json`);
        body = await readJsonBody(request, MAX_BODY_BYTES, (status, message) => new HttpError(status, message));
      }
      const result = await route.handler({ params, query: url.searchParams, body });
      if (result instanceof RouteResult) return sendJson(response, result.status, result.body);
      return sendJson(response, 200, result ?? { status: 'ok' });
    }
    throw new HttpError(404, `no route for ${request.method ?? '?'} ${url.pathname}`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  if (options.bearerToken === undefined && !isLoopbackHost(options.host))
    options.logger.warn(
      { host: options.host, port: options.port },
      'THE REST API IS OPEN TO ANYONE WHO REACHES THIS PORT: listening beyond loopback without http.bearerToken (http.allowUnauthenticated is set); anyone can pause resources or start backfills',
    );
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function authorized(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function compilePath(path: string): (pathname: string) => Record<string, string> | undefined {
  const segments = path.split('/').filter(Boolean);
  return (pathname) => {
    const parts = pathname.split('/').filter(Boolean);
    if (parts.length !== segments.length) return undefined;
    const params: Record<string, string> = {};
    for (const [index, segment] of segments.entries()) {
      const part = parts[index] as string;
      if (segment.startsWith(':')) params[segment.slice(1)] = decodeURIComponent(part);
      else if (segment !== part) return undefined;
    }
    return params;
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  if (body === undefined) {
    response.writeHead(status);
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
