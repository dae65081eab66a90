/**
 * The receiver's listener without a broker: served over TLS from `webhooks.tls` (files read by the
 * one PEM reader), a signed delivery handed to its account's target and answered 200 with the
 * result, a target that fails answered 503 (Bookeo retries) and counted, no secret in any log line
 * or in the metrics, readiness false once it no longer listens, and no start without the secret key.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../common/errors.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import type { WebhookDelivery } from '../../connector/source/webhooks/delivery.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../connector/source/webhooks/receiver.js';
import { webhookSignature } from '../../connector/source/webhooks/signature.js';
import { capturingLogger } from '../helpers/source-fixture.js';
import { createTestPki, type TestPki } from '../helpers/test-pki.js';

const SECRET = 'sk-unit-RECEIVER-5e1d';
const PUBLIC_URL = 'https://hooks.example.net/in';
const NOW = 1_760_000_000_000;

describe('webhook receiver listener', () => {
  let pki: TestPki;
  let receiver: WebhookReceiver;
  const received: WebhookDelivery[] = [];
  const metrics = createMetricsRegistry();
  const capture = capturingLogger();

  const post = (path: string, body: string, messageId: string): Promise<{ status: number; text: string }> => {
    const timestamp = String(NOW);
    const signature = webhookSignature(SECRET, {
      timestamp,
      messageId,
      url: `https://hooks.example.net${path}`,
      body: Buffer.from(body),
    });
    const url = new URL(path, receiver.url);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        {
          method: 'POST',
          ca: pki.pem(pki.caCert),
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'x-bookeo-timestamp': timestamp,
            'x-bookeo-messageid': messageId,
            'x-bookeo-signature': signature,
            'x-bookeo-previousmessagelost': 'true',
          },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };

  before(async () => {
    pki = createTestPki();
    receiver = await startWebhookReceiver({
      webhooks: {
        enabled: true,
        register: false,
        checkIntervalSeconds: 300,
        publicUrl: PUBLIC_URL,
        host: '127.0.0.1',
        port: 0,
        maxBodyBytes: 4096,
        timestampSkewSeconds: 120,
        tls: { cert: pki.serverCert, key: pki.serverKey },
      },
      secretKey: SECRET,
      targets: [
        {
          account: 'acme',
          async deliver(delivery) {
            if (delivery.itemId === 'broken') throw new Error('Kafka refused the transaction');
            received.push(delivery);
            return 'published';
          },
        },
      ],
      now: () => NOW,
      metrics,
      logger: capture.logger,
    });
  });

  after(async () => {
    await receiver.close();
    pki.remove();
  });

  it('serves TLS and hands a signed delivery to its account, answering once the target is done', async () => {
    assert.match(receiver.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(receiver.notReadyReason(), undefined);
    const answer = await post('/in/acme?domain=customers&type=deleted', '{"itemId":"C7"}', 'm-1');
    assert.deepEqual([answer.status, JSON.parse(answer.text)], [200, { result: 'published' }]);
    assert.deepEqual(received, [
      {
        account: 'acme',
        domain: 'customers',
        type: 'deleted',
        itemId: 'C7',
        messageId: 'm-1',
        previousMessageLost: true,
      },
    ]);
  });

  it('answers 503 when the target fails, counts each outcome, and keeps the secret out of logs and metrics', async () => {
    const answer = await post('/in/acme?domain=bookings&type=updated', '{"itemId":"broken"}', 'm-2');
    assert.equal(answer.status, 503);
    const text = await metrics.metrics();
    assert.match(text, /bookeo_connect_source_webhook_deliveries_total\{account="acme",outcome="published"\} 1/);
    assert.match(text, /bookeo_connect_source_webhook_deliveries_total\{account="acme",outcome="failed"\} 1/);
    assert.ok(capture.lines.some((line) => line.includes('webhook delivery not committed')));
    for (const output of [text, ...capture.lines]) assert.ok(!output.includes(SECRET), 'no secret key');
  });

  it('reports not listening once closed, and does not start without the secret key', async () => {
    await receiver.close();
    assert.equal(receiver.notReadyReason(), 'the webhook receiver is not listening');
    await assert.rejects(
      startWebhookReceiver({
        webhooks: {
          enabled: true,
          register: false,
          checkIntervalSeconds: 300,
          publicUrl: PUBLIC_URL,
          host: '127.0.0.1',
          port: 0,
          maxBodyBytes: 4096,
          timestampSkewSeconds: 120,
        },
        secretKey: undefined,
        targets: [],
        now: () => NOW,
        metrics,
        logger: capture.logger,
      }),
      (error: unknown) => error instanceof ConfigError && error.message.includes('bookeo.secretKey'),
    );
  });
});
