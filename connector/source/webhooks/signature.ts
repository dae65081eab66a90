/**
 * Bookeo's webhook signature: hex HMAC-SHA256, keyed with the application's secret key, over
 * X-Bookeo-Timestamp + X-Bookeo-MessageId + the URL as registered (query included) + the raw
 * body, compared in constant time (hex in either case).
 *
 * Public API: webhookSignature(secretKey, parts), signatureMatches(secretKey, parts, signature)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedParts {
  readonly timestamp: string;
  readonly messageId: string;
  readonly url: string;
  readonly body: Buffer;
}

export function webhookSignature(secretKey: string, parts: SignedParts): string {
  return createHmac('sha256', secretKey)
    .update(parts.timestamp)
    .update(parts.messageId)
    .update(parts.url)
    .update(parts.body)
    .digest('hex');
}

export function signatureMatches(secretKey: string, parts: SignedParts, signature: string): boolean {
  const expected = Buffer.from(webhookSignature(secretKey, parts), 'hex');
  if (!/^[0-9a-fA-F]+$/.test(signature) || signature.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}
