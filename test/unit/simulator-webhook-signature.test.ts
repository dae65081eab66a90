/** The simulator's webhook signer against a vector worked out with node:crypto, and its verifier. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyWebhookSignature, webhookSignature } from '../../simulator/webhooks/signature.js';

const SECRET = 'demo-secret-key';
const PARTS = {
  timestamp: '1780272000000',
  messageId: '3f1c9a52-6d7e-4b1a-9c0e-2a8f5d4b7e61',
  url: 'https://hooks.example.com/bookeo/acme?domain=bookings&type=updated',
  body: '{"domain":"bookings","type":"updated","itemId":"1500000042"}',
};
// HMAC-SHA256 keyed with the secret over timestamp + messageId + URL + body, computed once by hand.
const VECTOR = '8a3c9f1597037538e12ab35761cc0a59c65b2b0590ab1ee05ac9e02f7fcefd82';

describe('simulator webhook signature', () => {
  it('is the hex HMAC-SHA256 of timestamp + messageId + registered URL + raw body, keyed with the secret', () => {
    const byHand = createHmac('sha256', SECRET)
      .update(`${PARTS.timestamp}${PARTS.messageId}${PARTS.url}${PARTS.body}`)
      .digest('hex');
    assert.equal(byHand, VECTOR);
    assert.equal(webhookSignature(SECRET, PARTS), VECTOR);
    assert.equal(webhookSignature(SECRET, { ...PARTS, body: Buffer.from(PARTS.body) }), VECTOR, 'raw bytes sign alike');
  });

  it('verifies the right signature (either hex case) and refuses any change of a part, the key or the signature', () => {
    assert.equal(verifyWebhookSignature(SECRET, PARTS, VECTOR), true);
    assert.equal(verifyWebhookSignature(SECRET, PARTS, VECTOR.toUpperCase()), true);
    for (const changed of [
      { ...PARTS, timestamp: '1780272000001' },
      { ...PARTS, messageId: `${PARTS.messageId}x` },
      { ...PARTS, url: PARTS.url.replace('type=updated', 'type=created') },
      { ...PARTS, body: `${PARTS.body} ` },
    ])
      assert.equal(verifyWebhookSignature(SECRET, changed, VECTOR), false, JSON.stringify(changed));
    assert.equal(verifyWebhookSignature('another-secret', PARTS, VECTOR), false);
    assert.equal(verifyWebhookSignature(SECRET, PARTS, VECTOR.slice(0, -2)), false, 'truncated');
    assert.equal(verifyWebhookSignature(SECRET, PARTS, 'not hex at all'), false);
    assert.equal(verifyWebhookSignature(SECRET, PARTS, ''), false);
  });
});
