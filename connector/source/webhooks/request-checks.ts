/**
 * The checks a delivery passes before anything is read from Bookeo, free of I/O: the path names a
 * known account, the method is POST, the signature is Bookeo's (before the body is parsed: an
 * unsigned body is never interpreted), the timestamp is within the skew of Bookeo's clock, and the
 * body is JSON naming the item (domain and type from the registered URL's query, else the body).
 * Each refusal names its HTTP status and the metric outcome; none quotes a secret.
 *
 * Public API: accountOfPath, checkDelivery, DeliveryCheck, RefusalOutcome
 */
import { WEBHOOK_TYPES } from '../../../bookeo/webhooks.js';
import { accountUrl, RECEIVED_DOMAINS, type WebhookDelivery } from './delivery.js';
import { signatureMatches } from './signature.js';

export type RefusalOutcome = 'bad_signature' | 'stale_timestamp' | 'bad_json' | 'bad_request';

export type DeliveryCheck =
  | { readonly ok: true; readonly delivery: WebhookDelivery }
  | { readonly ok: false; readonly status: number; readonly outcome: RefusalOutcome; readonly reason: string };

/** The account a request path addresses under the public URL's path, or undefined for any other path. */
export function accountOfPath(publicUrl: string, path: string): string | undefined {
  const base = new URL(publicUrl).pathname.replace(/\/+$/, '');
  if (!path.startsWith(`${base}/`)) return undefined;
  const account = path.slice(base.length + 1);
  return /^[A-Za-z0-9_-]+$/.test(account) ? account : undefined;
}

export interface DeliveryRequest {
  readonly account: string;
  /** The request's query string as received, with its `?` (empty when none). */
  readonly search: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface CheckSettings {
  readonly publicUrl: string;
  readonly secretKey: string;
  /** Bookeo's clock, epoch milliseconds. */
  readonly now: number;
  readonly skewSeconds: number;
}

const header = (request: DeliveryRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const refuse = (status: number, outcome: RefusalOutcome, reason: string): DeliveryCheck => ({
  ok: false,
  status,
  outcome,
  reason,
});

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkDelivery(request: DeliveryRequest, settings: CheckSettings): DeliveryCheck {
  const timestamp = header(request, 'x-bookeo-timestamp');
  const messageId = header(request, 'x-bookeo-messageid');
  const signature = header(request, 'x-bookeo-signature');
  if (timestamp === undefined || messageId === undefined || signature === undefined)
    return refuse(401, 'bad_signature', 'X-Bookeo-Timestamp, X-Bookeo-MessageId and X-Bookeo-Signature are required');
  const url = `${accountUrl(settings.publicUrl, request.account)}${request.search}`;
  if (!signatureMatches(settings.secretKey, { timestamp, messageId, url, body: request.body }, signature))
    return refuse(401, 'bad_signature', 'the signature does not match');
  const sentAt = /^\d+$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (!Number.isFinite(sentAt) || Math.abs(settings.now - sentAt) > settings.skewSeconds * 1000)
    return refuse(401, 'stale_timestamp', `the timestamp is more than ${settings.skewSeconds} s from now`);
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return refuse(400, 'bad_json', 'the body is not JSON');
  }
  if (!isJsonObject(body)) return refuse(400, 'bad_json', 'the body is not a JSON object');
  const fields = body;
  const query = new URLSearchParams(request.search);
  const domain = query.get('domain') ?? fields.domain;
  const type = query.get('type') ?? fields.type;
  const itemId = typeof fields.itemId === 'number' ? String(fields.itemId) : fields.itemId;
  if (!RECEIVED_DOMAINS.some((known) => known === domain))
    return refuse(400, 'bad_request', `unknown domain (one of ${RECEIVED_DOMAINS.join(', ')})`);
  if (!WEBHOOK_TYPES.some((known) => known === type))
    return refuse(400, 'bad_request', `unknown type (one of ${WEBHOOK_TYPES.join(', ')})`);
  if (typeof itemId !== 'string' || itemId === '') return refuse(400, 'bad_request', 'the body has no itemId');
  return {
    ok: true,
    delivery: {
      account: request.account,
      domain: domain as WebhookDelivery['domain'],
      type: type as WebhookDelivery['type'],
      itemId,
      ...(isJsonObject(fields.item) ? { item: fields.item } : {}),
      messageId,
      previousMessageLost: header(request, 'x-bookeo-previousmessagelost')?.toLowerCase() === 'true',
    },
  };
}
