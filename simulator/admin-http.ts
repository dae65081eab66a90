/**
 * The admin API over HTTP, apart from /v2 and without Bookeo auth (bind to localhost; it is a
 * test and demo tool). Ground truth is streamed as NDJSON with back-pressure, one entity per
 * line, so a million bookings never become one giant string.
 *
 *   GET    /_admin                         this list
 *   GET    /_admin/status                  clock, accounts with counts, memory
 *   GET    /_admin/clock                   { now }
 *   POST   /_admin/clock/advance           { seconds } → { now }
 *   POST   /_admin/mutate?apiKey=          { newBookings, editBookings, … } → what changed
 *   POST   /_admin/tick?apiKey=            mutations owed at the configured rate
 *   GET    /_admin/truth/{resource}?apiKey=&expandCustomer=&expandParticipants=   NDJSON
 *   GET    /_admin/truth/{resource}/deleted?apiKey=                               { ids }
 *   GET|PUT|DELETE /_admin/faults?apiKey=  read / replace / clear the faults of an account (all if no apiKey on DELETE)
 *   POST   /_admin/tokens/expire?apiKey=   drop page tokens now
 *   GET|DELETE /_admin/counters            request counters per apiKey, endpoint and status
 *   GET|DELETE /_admin/webhooks/deliveries?apiKey=&webhookId=&state=   webhook deliveries (DELETE forgets finished ones)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { RESOURCES, type ResourceName, type SimulatorAdmin } from './admin.js';
import type { FaultSettings } from './faults.js';
import type { MutationRequest } from './mutations.js';
import type { DeliveryFilter, DeliveryState } from './webhooks/log.js';

class AdminError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const INDEX = [
  'GET /_admin/status',
  'GET /_admin/clock',
  'POST /_admin/clock/advance {seconds}',
  'POST /_admin/mutate?apiKey= {newBookings,editBookings,cancelBookings,newCustomers,editCustomers,deleteCustomers,editProducts,editResources}',
  'POST /_admin/tick?apiKey=',
  `GET /_admin/truth/{${RESOURCES.join('|')}}?apiKey=&expandCustomer=&expandParticipants= (NDJSON)`,
  'GET /_admin/truth/{resource}/deleted?apiKey=',
  'GET|PUT|DELETE /_admin/faults?apiKey=',
  'POST /_admin/tokens/expire?apiKey=',
  'GET|DELETE /_admin/counters',
  'GET|DELETE /_admin/webhooks/deliveries?apiKey=&webhookId=&state=',
];

export async function handleAdmin(
  admin: SimulatorAdmin,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    const result = await route(admin, request, response, url);
    if (result !== undefined) reply(response, 200, result);
  } catch (error) {
    const status = error instanceof AdminError ? error.status : error instanceof RangeError ? 400 : 500;
    reply(response, status, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function route(
  admin: SimulatorAdmin,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<unknown> {
  const method = request.method ?? 'GET';
  const parts = url.pathname.split('/').filter(Boolean).slice(1);
  const apiKey = url.searchParams.get('apiKey') ?? undefined;
  const path = parts.join('/');
  if (method === 'GET' && path === '') return { endpoints: INDEX };
  if (method === 'GET' && path === 'status')
    return { now: admin.now().toISOString(), accounts: admin.accounts(), stats: admin.stats() };
  if (method === 'GET' && path === 'clock') return { now: admin.now().toISOString() };
  if (method === 'POST' && path === 'clock/advance') {
    const body = (await readBody(request)) as { seconds?: unknown } | undefined;
    if (typeof body?.seconds !== 'number') throw new AdminError(400, 'body must be {"seconds": <number>}');
    return { now: admin.advance(body.seconds).toISOString() };
  }
  if (method === 'POST' && path === 'mutate')
    return admin.mutate(((await readBody(request)) ?? {}) as MutationRequest, apiKey);
  if (method === 'POST' && path === 'tick') return admin.tick(apiKey);
  if (parts[0] === 'truth' && method === 'GET' && parts.length >= 2) {
    const resource = parts[1] as ResourceName;
    if (!(RESOURCES as readonly string[]).includes(resource))
      throw new AdminError(404, `unknown resource ${parts[1] ?? ''}; one of ${RESOURCES.join(', ')}`);
    if (parts[2] === 'deleted') return { resource, ids: admin.deletedIds(resource, apiKey) };
    if (parts.length !== 2) throw new AdminError(404, `no admin route ${url.pathname}`);
    const truth = admin.groundTruth(resource, apiKey, {
      expandCustomer: url.searchParams.get('expandCustomer') === 'true',
      expandParticipants: url.searchParams.get('expandParticipants') === 'true',
    });
    response.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8' });
    for await (const item of truth) {
      if (!response.write(`${JSON.stringify(item)}\n`)) await once(response, 'drain');
      if (response.destroyed) return undefined;
    }
    response.end();
    return undefined;
  }
  if (path === 'faults') {
    if (method === 'DELETE') {
      admin.clearFaults(apiKey);
      return { cleared: apiKey ?? 'all' };
    }
    if (apiKey === undefined) throw new AdminError(400, 'apiKey query parameter is required');
    if (method === 'PUT' || method === 'POST')
      admin.setFaults(apiKey, ((await readBody(request)) ?? {}) as FaultSettings);
    if (method === 'GET' || method === 'PUT' || method === 'POST') return { apiKey, faults: admin.faults(apiKey) };
  }
  if (method === 'POST' && path === 'tokens/expire') return { expired: admin.expireTokens(apiKey) };
  if (path === 'counters') {
    if (method === 'DELETE') {
      admin.resetCounters();
      return { reset: true };
    }
    if (method === 'GET') return { counters: admin.counters() };
  }
  if (path === 'webhooks/deliveries') {
    if (method === 'DELETE') {
      admin.clearDeliveries();
      return { cleared: true };
    }
    if (method === 'GET') {
      const filter: DeliveryFilter = {};
      if (apiKey !== undefined) filter.apiKey = apiKey;
      const webhookId = url.searchParams.get('webhookId');
      if (webhookId !== null) filter.webhookId = webhookId;
      const state = url.searchParams.get('state');
      if (state !== null) filter.state = state as DeliveryState;
      return { deliveries: admin.deliveries(filter) };
    }
  }
  throw new AdminError(404, `no admin route ${method} ${url.pathname}`);
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AdminError(400, 'body is not valid JSON');
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
