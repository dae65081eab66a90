import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry, Counter } from '../../common/metrics.js';
import { HttpError, startOpsServer, type OpsServer } from '../../common/ops-server.js';

const TOKEN = 'ops-token-that-must-stay-secret';

describe('ops server', () => {
  let server: OpsServer;
  let ready = false;
  const logLines: string[] = [];

  before(async () => {
    const metrics = createMetricsRegistry('test_');
    new Counter({ name: 'test_things_total', help: 'things', registers: [metrics] }).inc(3);
    const destination = new Writable({
      write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString()), done()),
    });
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      bearerToken: TOKEN,
      metrics,
      logger: createLogger({ level: 'info', format: 'json', destination }),
      notReadyReason: () => (ready ? undefined : 'backfill not started'),
      routes: [
        { method: 'GET', path: '/tasks/:task', handler: ({ params }) => ({ task: params.task }) },
        { method: 'POST', path: '/tasks/:task/pause', handler: ({ body }) => ({ paused: true, body }) },
        {
          method: 'GET',
          path: '/boom',
          handler: () => {
            throw new Error(`internal ${TOKEN}`);
          },
        },
        {
          method: 'GET',
          path: '/teapot',
          handler: () => {
            throw new HttpError(409, 'already paused');
          },
        },
      ],
    });
  });
  after(() => server.close());

  it('serves probes and metrics without a token', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const notReady = await fetch(`${server.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(((await notReady.json()) as { reason: string }).reason, 'backfill not started');
    ready = true;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /test_things_total 3/);
    assert.match(metrics, /test_process_resident_memory_bytes/);
  });

  it('requires the bearer token for the REST API', async () => {
    assert.equal((await fetch(`${server.url}/tasks/a`)).status, 401);
    assert.equal((await fetch(`${server.url}/tasks/a`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(`${server.url}/tasks/acct%201`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(await ok.json(), { task: 'acct 1' });
  });

  it('routes by method and path, parses JSON bodies, maps errors to statuses without leaking', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const posted = await fetch(`${server.url}/tasks/a/pause`, {
      method: 'POST',
      headers: auth,
      body: '{"why":"test"}',
    });
    assert.deepEqual(await posted.json(), { paused: true, body: { why: 'test' } });
    assert.equal(
      (await fetch(`${server.url}/tasks/a/pause`, { method: 'POST', headers: auth, body: '{bad' })).status,
      400,
    );
    assert.equal((await fetch(`${server.url}/nowhere`, { headers: auth })).status, 404);
    const conflict = await fetch(`${server.url}/teapot`, { headers: auth });
    assert.equal(conflict.status, 409);
    assert.deepEqual(await conflict.json(), { error: 'already paused' });
    const boom = await fetch(`${server.url}/boom`, { headers: auth });
    assert.equal(boom.status, 500);
    assert.doesNotMatch(await boom.text(), new RegExp(TOKEN));
  });
});
