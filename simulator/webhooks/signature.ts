/**
 * The simulator's signer of webhook deliveries, as Bookeo signs them: `X-Bookeo-Signature` is the
 * hex HMAC-SHA256, keyed with the application's secret key, of `X-Bookeo-Timestamp` +
 * `X-Bookeo-MessageId` + the URL the webhook was registered with + the raw body, concatenated
 * as they are sent. Tests use `verifyWebhookSignature` to check what a receiver was sent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedParts {
  /** `X-Bookeo-Timestamp`: epoch milliseconds, as sent (a decimal string). */
  readonly timestamp: string;
  readonly messageId: string;
  /** The webhook's URL exactly as registered (query string included). */
  readonly url: string;
  readonly body: string | Buffer;
}

export function webhookSignature(secretKey: string, parts: SignedParts): string {
  return createHmac('sha256', secretKey)
    .update(parts.timestamp)
    .update(parts.messageId)
    .update(parts.url)
    .update(parts.body)
    .digest('hex');
}

export function verifyWebhookSignature(secretKey: string, parts: SignedParts, signature: string): boolean {
  const expected = Buffer.from(webhookSignature(secretKey, parts), 'hex');
  const given = /^[0-9a-fA-F]*$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
