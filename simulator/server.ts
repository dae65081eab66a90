/**
 * The HTTP front: /v2 is the Bookeo API (auth → faults → route → drift/malformed → JSON), /_admin
 * the admin API. Plain node:http with keep-alive; every answer is counted per apiKey, endpoint and
 * status. Unknown apiKeys are counted as "(unknown)" so a scan of bad keys cannot grow the counters.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { readJsonBody } from '../common/http-body.js';
import type { SimulatorAdmin } from './admin.js';
import { handleAdmin } from './admin-http.js';
import { authenticate, claimedApiKey } from './auth.js';
import { driftRecord } from './faults.js';
import { BookeoApiError, errorBody, type ApiResponse } from './http.js';
import { bookingRoutes } from './routes/bookings.js';
import { customerRoutes } from './routes/customers.js';
import { holdRoutes } from './routes/holds.js';
import { paymentRoutes } from './routes/payments.js';
import { settingsRoutes } from './routes/settings.js';
import type { ApiRoute } from './routes/types.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { SimulatorState } from './state.js';

const ROUTES: readonly ApiRoute[] = [
  ...bookingRoutes,
  ...customerRoutes,
  ...settingsRoutes,
  ...paymentRoutes,
  ...holdRoutes,
  ...webhookRoutes,
];
const COMPILED = ROUTES.map((route) => ({ route, segments: route.path.split('/').filter(Boolean) }));
const MAX_BODY_BYTES = 1024 * 1024;

function match(
  method: string,
  path: string,
): { route?: ApiRoute; params: Record<string, string>; otherMethod: boolean } {
  const parts = path.split('/').filter(Boolean);
  let otherMethod = false;
  for (const { route, segments } of COMPILED) {
    if (segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const fits = segments.every((segment, i) => {
      const part = parts[i] as string;
      if (segment.startsWith('{')) {
        params[segment.slice(1, -1)] = decodeURIComponent(part);
        return true;
      }
      return segment === part;
    });
    if (!fits) continue;
    if (route.method === method) return { route, params, otherMethod: false };
    otherMethod = true;
  }
  return { params: {}, otherMethod };
}

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'private, max-age=0, no-cache, no-store',
  pragma: 'no-cache',
};

export interface SimulatorServer {
  readonly origin: string;
  close(): Promise<void>;
}

export async function startServer(
  state: SimulatorState,
  admin: SimulatorAdmin,
  host: string,
  port: number,
): Promise<SimulatorServer> {
  const hanging = new Set<AbortController>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const done =
      url.pathname === '/_admin' || url.pathname.startsWith('/_admin/')
        ? handleAdmin(admin, request, response, url)
        : handleApi(request, response, url);
    done.catch((error: unknown) => {
      process.stderr.write(
        `simulator: unexpected failure on ${request.method ?? '?'} ${url.pathname}: ${String(error)}\n`,
      );
      if (!response.headersSent) send(response, 500, errorBody(500, 'internal simulator error'));
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;

  async function handleApi(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    if (!url.pathname.startsWith('/v2/'))
      return void send(response, 404, errorBody(404, `no such endpoint ${url.pathname} (the API lives under /v2)`));
    const found = match(method, url.pathname.slice(3));
    const endpoint = `${method} ${found.route?.path ?? '(unknown)'}`;
    const claimed = claimedApiKey(request.headers, url.searchParams);
    const countAs = state.accounts.has(claimed) ? claimed : '(unknown)';
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      state.counters.add(countAs, endpoint, status);
      send(response, status, body, headers);
    };
    let account;
    try {
      account = authenticate(state, request.headers, url.searchParams);
    } catch (error) {
      if (error instanceof BookeoApiError) return answer(error.status, errorBody(error.status, error.message));
      throw error;
    }
    const apiKey = account.ctx.apiKey;
    const fault = state.faults.before(apiKey);
    if (fault.kind === 'throttle') {
      return answer(429, errorBody(429, 'too many requests; retry after the number of seconds in Retry-After'), {
        'retry-after': String(fault.retryAfterSeconds),
      });
    }
    if (fault.kind === 'reset') {
      state.counters.add(countAs, endpoint, 'reset');
      request.socket.destroy();
      return;
    }
    if (fault.kind === 'hang') {
      state.counters.add(countAs, endpoint, 'hang');
      const abort = new AbortController();
      hanging.add(abort);
      await delay(fault.ms, undefined, { signal: abort.signal }).catch(() => undefined);
      hanging.delete(abort);
      request.socket.destroy();
      return;
    }
    if (fault.kind === 'error')
      return answer(fault.status, errorBody(fault.status, `simulated server error ${fault.status}`));
    const latency = state.faults.latencyMs(apiKey);
    if (latency > 0) await delay(latency);
    if (found.route === undefined) {
      const status = found.otherMethod ? 405 : 404;
      return answer(
        status,
        errorBody(
          status,
          found.otherMethod ? `${method} is not allowed on ${url.pathname}` : `no such endpoint ${url.pathname}`,
        ),
      );
    }
    let result: ApiResponse;
    try {
      const body = method === 'POST' || method === 'PUT' ? await readJson(request) : undefined;
      const lang = languageOf(
        account.ctx.theme.languages.map((l) => l.tag),
        url.searchParams.get('lang'),
      );
      state.catchUp();
      result = found.route.handler({
        state,
        account,
        apiKey,
        params: found.params,
        query: url.searchParams,
        body,
        now: state.nowSeconds(),
      });
      result.headers = { 'content-language': lang, ...result.headers };
    } catch (error) {
      if (error instanceof BookeoApiError)
        return answer(error.status, errorBody(error.status, error.message), { ...error.headers });
      throw error;
    }
    const drift = state.faults.drift(apiKey);
    let body = result.body;
    if (drift !== undefined && result.records !== undefined) body = applyDrift(body, result.records, drift);
    if (result.records === 'list' && state.faults.malformed(apiKey)) {
      state.counters.add(countAs, endpoint, result.status);
      const text = JSON.stringify(body);
      response.writeHead(result.status, { ...BASE_HEADERS, ...result.headers });
      response.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      return;
    }
    answer(result.status, body, result.headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    origin: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const abort of hanging) abort.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function languageOf(tags: readonly string[], requested: string | null): string {
  const fallback = tags[0] ?? 'en-US';
  if (requested === null || requested === '' || requested === 'userDefault' || requested === 'customerDefault')
    return fallback;
  if (!tags.includes(requested))
    throw new BookeoApiError(400, `lang ${requested} is not a language of this account (see /settings/languages)`);
  return requested;
}

function applyDrift(body: unknown, records: 'list' | 'single', drift: Parameters<typeof driftRecord>[1]): unknown {
  if (records === 'single') return driftRecord(body as Record<string, unknown>, drift);
  const page = body as { data?: Record<string, unknown>[] };
  return { ...page, data: (page.data ?? []).map((item) => driftRecord(item, drift)) };
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return readJsonBody(request, MAX_BODY_BYTES, (status, message) => new BookeoApiError(status, message));
}

export function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) return;
  if (status === 204 || body === undefined) {
    response.writeHead(status, { ...BASE_HEADERS, ...headers });
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { ...BASE_HEADERS, 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}
