/**
 * Webhook management, per API key: GET /webhooks (the list envelope), GET/DELETE /webhooks/{id},
 * POST /webhooks `{url, domain, type}` (201 + Location; one webhook per (domain, type), a new one
 * replaces the old). Bookeo takes only https URLs; the simulator also takes http ones unless told
 * not to, so a receiver on this machine can be registered.
 */
import { WEBHOOK_DOMAINS, WEBHOOK_TYPES } from '../webhooks/changes.js';
import { isWebhookDomain, isWebhookType, type Webhook } from '../webhooks/registry.js';
import { badRequest, notFound, ok } from '../http.js';
import { listPage, type ApiRequest, type ApiRoute } from './types.js';

const shown = (webhook: Webhook): Record<string, unknown> => ({ ...webhook });

function findWebhook({ account, params }: ApiRequest): Webhook {
  const webhook = account.webhooks.find(params.id ?? '');
  if (webhook === undefined) throw notFound(`webhook ${params.id ?? ''}`);
  return webhook;
}

function parseRegistration(body: unknown, allowHttp: boolean): Pick<Webhook, 'url' | 'domain' | 'type'> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the body must be a JSON object {url, domain, type}');
  const { url, domain, type } = body as Record<string, unknown>;
  if (typeof url !== 'string' || url === '') throw badRequest('url is required');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`url is not an absolute URL: ${url}`);
  }
  const schemes = allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(parsed.protocol))
    throw badRequest(`url must use ${allowHttp ? 'https (or http on this simulator)' : 'https'}: ${url}`);
  if (!isWebhookDomain(domain)) throw badRequest(`domain must be one of ${WEBHOOK_DOMAINS.join(', ')}`);
  if (!isWebhookType(type)) throw badRequest(`type must be one of ${WEBHOOK_TYPES.join(', ')}`);
  return { url, domain, type };
}

export const webhookRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/webhooks',
    handler: (request) => {
      const registry = request.account.webhooks;
      const page = listPage(
        request,
        'webhooks',
        100,
        () => ({ ids: registry.sequences(), context: undefined }),
        (sequence) => {
          const webhook = registry.bySequence(sequence);
          return webhook === undefined ? undefined : shown(webhook);
        },
      );
      return ok(page, 'list');
    },
  },
  {
    method: 'POST',
    path: '/webhooks',
    handler: (request) => {
      const input = parseRegistration(request.body, request.state.options.webhooks.allowHttp);
      const webhook = request.account.webhooks.register(input);
      return {
        status: 201,
        body: shown(webhook),
        headers: { location: `/v2/webhooks/${encodeURIComponent(webhook.id)}` },
        records: 'single',
      };
    },
  },
  {
    method: 'GET',
    path: '/webhooks/{id}',
    handler: (request) => ok(shown(findWebhook(request)), 'single'),
  },
  {
    method: 'DELETE',
    path: '/webhooks/{id}',
    handler: (request) => {
      request.account.webhooks.remove(findWebhook(request).id);
      return { status: 204, body: undefined };
    },
  },
];
