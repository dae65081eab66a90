/**
 * The client's webhook calls against the simulator started in-process (list, create replacing the
 * same domain and type, delete, a refused registration), the account sync run twice, and against
 * a scripted MockAgent the write rule: a POST is repeated after a 429 (nothing was done) and not
 * after a 500 (it may have been done). No key in any error or log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MockAgent } from 'undici';
import { createBookeoClient, type BookeoClient } from '../../bookeo/client.js';
import { BookeoApiError } from '../../bookeo/errors.js';
import { createTransport } from '../../bookeo/transport.js';
import { createWebhook, deleteWebhook, listWebhooks } from '../../bookeo/webhooks.js';
import { registeredUrl } from '../../connector/source/webhooks/delivery.js';
import { syncAccountWebhooks } from '../../connector/source/webhooks/registration-sync.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { capturingLogger } from '../helpers/source-fixture.js';

const SECRET = 'sk-test-WEBHOOKS-5e1d7a20';
const API_KEY = 'ak-test-WEBHOOKS-88f0c3b6';
const PUBLIC = 'https://hooks.acme.test/bookeo';

function assertNoSecrets(...texts: string[]): void {
  for (const text of texts) {
    assert.ok(!text.includes(SECRET), `secretKey leaked: ${text.slice(0, 200)}`);
    assert.ok(!text.includes(API_KEY), `apiKey leaked: ${text.slice(0, 200)}`);
  }
}

describe('Bookeo webhook calls against the simulator', () => {
  let simulator: RunningSimulator;
  let client: BookeoClient;
  const capture = capturingLogger();
  const account = { id: 'acme', apiKey: API_KEY };

  before(async () => {
    simulator = await startSimulator({ seed: 5, scale: 50, secretKey: SECRET, accounts: [{ apiKey: API_KEY }] });
    client = createBookeoClient({
      baseUrl: simulator.url,
      secretKey: SECRET,
      requestsPerSecond: 100,
      maxConcurrency: 2,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      retryPolicy: { retries: 3, initialDelayMs: 1, maxDelayMs: 5, multiplier: 2 },
      logger: capture.logger,
    });
  });

  after(async () => {
    await client.close();
    await simulator.close();
  });

  it('lists, registers (replacing the same domain and type), and deletes', async () => {
    const reader = client.forAccount(account);
    const writer = client.writerFor(account);
    const seeded = await listWebhooks(reader);
    assert.equal(seeded.length, 4);
    assert.equal(seeded.filter((hook) => hook.blockedTime !== undefined).length, 1);

    const url = registeredUrl(PUBLIC, 'acme', 'bookings', 'updated');
    const created = await createWebhook(writer, { url, domain: 'bookings', type: 'updated' });
    const afterCreate = await listWebhooks(reader);
    assert.equal(afterCreate.length, 4, 'the seeded bookings/updated webhook was replaced');
    assert.deepEqual(
      afterCreate.find((hook) => hook.domain === 'bookings' && hook.type === 'updated'),
      { id: created.id, url, domain: 'bookings', type: 'updated' },
    );

    assert.equal(await deleteWebhook(writer, created.id), true);
    assert.equal(await deleteWebhook(writer, created.id), false, 'already gone: not an error');
    assert.ok(!(await listWebhooks(reader)).some((hook) => hook.id === created.id));
  });

  it('throws a typed, non-retriable error for a refused registration, without a key in it', async () => {
    const error = await createWebhook(client.writerFor(account), {
      url: 'not a url',
      domain: 'bookings',
      type: 'created',
    }).then(
      () => assert.fail('the simulator accepted a bad URL'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof BookeoApiError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.retriable, false);
    assert.match(error.message, /POST \/webhooks/);
    assertNoSecrets(error.message, error.stack ?? '', JSON.stringify(error), ...capture.lines);
  });

  it('syncs an account idempotently and leaves foreign webhooks it does not need alone', async () => {
    const target = { id: 'acme', reader: client.forAccount(account), writer: client.writerFor(account) };
    const input = { account: target, publicUrl: PUBLIC, resources: ['payments', 'customers'] as const };
    const first = await syncAccountWebhooks({ ...input, resources: [...input.resources] });
    assert.equal(first.plan.upToDate, false);
    const second = await syncAccountWebhooks({ ...input, resources: [...input.resources] });
    assert.equal(second.plan.upToDate, true, 'a second sync finds nothing to do');
    const hooks = await listWebhooks(target.reader);
    assert.equal(hooks.filter((hook) => hook.url.startsWith(`${PUBLIC}/acme?`)).length, 4);
    // The seeded bookings webhooks point elsewhere and no configured resource needs them.
    assert.equal(hooks.filter((hook) => hook.url.startsWith('https://hooks.example.com/')).length, 2);
  });
});

describe('Bookeo client writes (scripted)', () => {
  const ORIGIN = 'https://bookeo.test';
  const setup = (replies: number[]) => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    let seen = 0;
    for (const status of replies)
      agent
        .get(ORIGIN)
        .intercept({ path: '/v2/webhooks', method: 'POST' })
        .reply(() => {
          seen++;
          return {
            statusCode: status,
            data: JSON.stringify(status === 201 ? { id: 'H1' } : { message: 'no', errorId: 'E1' }),
          };
        });
    const client = createBookeoClient({
      baseUrl: `${ORIGIN}/v2`,
      secretKey: SECRET,
      requestsPerSecond: 1000,
      maxConcurrency: 2,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      retryPolicy: { retries: 3, initialDelayMs: 1, maxDelayMs: 5, multiplier: 2 },
      logger: capturingLogger().logger,
      transport: createTransport({
        baseUrl: `${ORIGIN}/v2`,
        connectTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        dispatcher: agent,
      }),
    });
    const writer = client.writerFor({ id: 'acme', apiKey: API_KEY });
    return { agent, client, writer, seen: () => seen };
  };
  const spec = { url: `${PUBLIC}/acme?domain=bookings&type=created`, domain: 'bookings', type: 'created' } as const;

  it('repeats a POST refused with 429 (Bookeo did nothing)', async () => {
    const { agent, client, writer, seen } = setup([429, 201]);
    assert.equal((await createWebhook(writer, spec)).id, 'H1');
    assert.equal(seen(), 2);
    await client.close();
    await agent.close();
  });

  it('does not repeat a POST that failed with 500 (it may have been done): the error says retriable', async () => {
    const { agent, client, writer, seen } = setup([500, 201]);
    const error = await createWebhook(writer, spec).then(
      () => assert.fail('a 500 was repeated'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof BookeoApiError);
    assert.equal(error.status, 500);
    assert.equal(error.retriable, true, 'the caller may sync again, listing first');
    assert.equal(seen(), 1);
    await client.close();
    await agent.close();
  });
});
