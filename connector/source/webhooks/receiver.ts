/**
 * The webhook receiver: its own HTTP(S) listener (it faces Bookeo, the ops API does not), one path
 * per account under the path of `webhooks.publicUrl`. Each request is refused or accepted in this
 * order: unknown path or account 404, not POST 405, body over `maxBodyBytes` 413, bad or missing
 * signature 401, timestamp further than `timestampSkewSeconds` from Bookeo's clock 401, bad JSON
 * 400 (request-checks.ts); an accepted delivery is answered 200 only once what it caused is
 * committed (the account's task, account-deliveries.ts), 503 when that failed (Bookeo retries).
 * Every answer is counted by outcome; no answer, log line or metric holds a secret.
 *
 * Public API: startWebhookReceiver(options): Promise<WebhookReceiver>
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigError, describeError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import { counter, type Counter, type Registry } from '../../../common/metrics.js';
import { readPem } from '../../../common/tls.js';
import type { DeliveryResult } from './account-deliveries.js';
import type { WebhooksConfig } from './config.js';
import type { WebhookDelivery } from './delivery.js';
import { accountOfPath, checkDelivery, type RefusalOutcome } from './request-checks.js';

/** What the receiver hands a delivery to: the account's task. */
export interface DeliveryTarget {
  readonly account: string;
  deliver(delivery: WebhookDelivery): Promise<DeliveryResult>;
}

export interface WebhookReceiverOptions {
  readonly webhooks: WebhooksConfig;
  /** The application's secret key (bookeo.secretKey), which signs every delivery. */
  readonly secretKey: string | undefined;
  readonly targets: readonly DeliveryTarget[];
  /** Bookeo's clock, epoch milliseconds (the simulator's in tests). */
  readonly now: () => number;
  readonly metrics: Registry;
  readonly logger: Logger;
}

export interface WebhookReceiver {
  /** Where it listens (http:// or https://, the bound port). */
  readonly url: string;
  /** For /readyz: why the receiver cannot take deliveries, if so. */
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

type Outcome = DeliveryResult | RefusalOutcome | 'unknown_account' | 'method_not_allowed' | 'too_large' | 'failed';

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const { webhooks, logger } = options;
  const log = logger.child({ component: 'webhook-receiver' });
  const publicUrl = webhooks.publicUrl;
  if (publicUrl === undefined)
    throw new ConfigError([{ key: 'webhooks.publicUrl', expected: 'the URL Bookeo calls', found: 'nothing' }]);
  const secretKey = options.secretKey;
  if (secretKey === undefined)
    throw new ConfigError([
      { key: 'bookeo.secretKey', expected: 'the application secret key when webhooks.enabled', found: 'nothing' },
    ]);
  const targets = new Map(options.targets.map((target) => [target.account, target]));
  const deliveries: Counter<'account' | 'outcome'> = counter(options.metrics, {
    name: 'bookeo_connect_source_webhook_deliveries_total',
    help: 'Webhook deliveries answered, by outcome (published, unchanged, duplicate, ignored, or why refused or failed)',
    labelNames: ['account', 'outcome'],
  });

  const answer = (response: ServerResponse, status: number, body: Record<string, unknown>, close = false): void => {
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(status === 405 ? { allow: 'POST' } : {}),
      ...(close ? { connection: 'close' } : {}),
    });
    response.end(JSON.stringify(body));
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = request.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
    const search = queryAt < 0 ? '' : raw.slice(queryAt);
    const account = accountOfPath(publicUrl as string, path);
    const count = (outcome: Outcome): void => deliveries.inc({ account: account ?? '', outcome });
    if (account === undefined || !targets.has(account)) {
      // The account label stays bounded: an unknown name is counted under ''.
      deliveries.inc({ account: '', outcome: 'unknown_account' });
      answer(response, 404, { error: 'no webhook receiver at this path' });
      request.resume();
      return;
    }
    if (request.method !== 'POST') {
      count('method_not_allowed');
      answer(response, 405, { error: 'deliveries are POST requests' });
      request.resume();
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    let body: Buffer;
    try {
      if (declared > webhooks.maxBodyBytes) throw new BodyTooLargeError();
      body = await readBody(request, webhooks.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      count('too_large');
      answer(response, 413, { error: `the body is larger than ${webhooks.maxBodyBytes} bytes` }, true);
      return;
    }
    const check = checkDelivery(
      { account, search, headers: request.headers, body },
      {
        publicUrl: publicUrl as string,
        secretKey: secretKey as string,
        now: options.now(),
        skewSeconds: webhooks.timestampSkewSeconds,
      },
    );
    if (!check.ok) {
      count(check.outcome);
      log.warn({ account, outcome: check.outcome, reason: check.reason }, 'webhook delivery refused');
      answer(response, check.status, { error: check.reason });
      return;
    }
    const { delivery } = check;
    try {
      const result = await (targets.get(account) as DeliveryTarget).deliver(delivery);
      count(result);
      log.debug(
        { account, domain: delivery.domain, type: delivery.type, itemId: delivery.itemId, result },
        'webhook delivery committed',
      );
      answer(response, 200, { result });
    } catch (error) {
      count('failed');
      log.error(
        { account, domain: delivery.domain, itemId: delivery.itemId, error: describeError(error) },
        'webhook delivery not committed; Bookeo retries it',
      );
      answer(response, 503, { error: 'not committed; retry later' });
    }
  }

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch((error: unknown) => {
      log.error({ error: describeError(error) }, 'webhook request failed');
      if (!response.headersSent) answer(response, 500, { error: 'internal error' }, true);
      else response.destroy();
    });
  };
  const server: Server =
    webhooks.tls === undefined
      ? createHttpServer(listener)
      : createHttpsServer(
          { cert: readPem('webhooks.tls.cert', webhooks.tls.cert), key: readPem('webhooks.tls.key', webhooks.tls.key) },
          listener,
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(webhooks.port, webhooks.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${webhooks.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
  log.info({ url, path: new URL(publicUrl).pathname, accounts: [...targets.keys()] }, 'webhook receiver listening');
  let closed: Promise<void> | undefined;
  return {
    url,
    notReadyReason: () => (server.listening ? undefined : 'the webhook receiver is not listening'),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Deliveries in flight are answered first (their commits finish or fail); idle connections go now.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
