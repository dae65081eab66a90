import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry, Counter } from '../../common/metrics.js';
import { validateConfig } from '../../common/config/load.js';
import { isLoopbackHost } from '../../common/ops-access.js';
import { HttpError, RouteResult, startOpsServer, type OpsServer } from '../../common/ops-server.js';

const TOKEN = 'ops-token-that-must-stay-secret';

describe('ops server', () => {
  let server: OpsServer;
  let ready = false;
  let reason = 'backfill not started';
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
      notReadyReason: () => (ready ? undefined : reason),
      routes: [
        { method: 'GET', path: '/tasks/:task', handler: ({ params }) => ({ task: params.task }) },
        { method: 'POST', path: '/tasks/:task/pause', handler: ({ body }) => ({ paused: true, body }) },
        { method: 'PUT', path: '/tasks/:task/resume', handler: () => new RouteResult(202) },
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
    reason = `waiting for ClickHouse: connect ECONNREFUSED http://bookeo:${TOKEN}@clickhouse:8123`;
    assert.equal(
      ((await (await fetch(`${server.url}/readyz`)).json()) as { reason: string }).reason,
      'waiting for ClickHouse: connect ECONNREFUSED http://bookeo:***@clickhouse:8123',
      'a URL password in the reason is masked',
    );
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
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
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

  it('refuses a POST or PUT that is not Content-Type: application/json with 415, body or not', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const headers of [
      auth,
      { ...auth, 'content-type': 'text/plain' },
      { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      { ...auth, 'content-type': 'multipart/form-data; boundary=x' },
    ]) {
      for (const [method, path] of [
        ['POST', '/tasks/a/pause'],
        ['PUT', '/tasks/a/resume'],
      ] as const) {
        const refused = await fetch(`${server.url}${path}`, { method, headers, body: '{"why":"csrf"}' });
        assert.equal(
          refused.status,
          415,
          `${method} with ${headers['content-type' as keyof typeof headers] ?? 'no type'}`,
        );
        assert.match(((await refused.json()) as { error: string }).error, /Content-Type: application\/json/);
      }
    }
    assert.equal((await fetch(`${server.url}/tasks/a/pause`, { method: 'POST', headers: auth })).status, 415);
    const json = { ...auth, 'content-type': 'application/json; charset=utf-8' };
    assert.equal((await fetch(`${server.url}/tasks/a/pause`, { method: 'POST', headers: json })).status, 200);
    const accepted = await fetch(`${server.url}/tasks/a/resume`, { method: 'PUT', headers: json });
    assert.equal(accepted.status, 202, 'a handler chooses its status');
    assert.equal(await accepted.text(), '', 'and may answer without a body');
  });
});

describe('who may reach the REST API', () => {
  it('tells loopback hosts from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '', '10.0.0.5', 'bookeo-connect', '::ffff:10.0.0.1', '128.0.0.1'])
      assert.ok(!isLoopbackHost(host), host);
  });

  it('beyond loopback the configuration needs http.bearerToken or the explicit opt-out', () => {
    assert.throws(
      () => validateConfig({ http: { host: '0.0.0.0' } }),
      /http\.bearerToken: expected a bearer token .* when http\.host \(0\.0\.0\.0\) is not loopback, or http\.allowUnauthenticated: true, found nothing/,
    );
    assert.equal(validateConfig({ http: { host: '0.0.0.0', bearerToken: TOKEN } }).http.bearerToken, TOKEN);
    assert.equal(
      validateConfig({ http: { host: '0.0.0.0', allowUnauthenticated: true } }).http.allowUnauthenticated,
      true,
    );
    assert.equal(validateConfig({}).http.allowUnauthenticated, false, 'loopback needs neither');
  });

  it('warns loudly at start when it listens beyond loopback without a token', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      format: 'json',
      destination: new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }),
    });
    const options = {
      port: 0,
      metrics: createMetricsRegistry('open_'),
      logger,
      notReadyReason: () => undefined,
      routes: [],
    };
    const open = await startOpsServer({ ...options, host: '0.0.0.0' });
    await open.close();
    const warning = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((entry) => entry.level === 40);
    assert.match(warning?.msg ?? '', /OPEN TO ANYONE/);
    lines.length = 0;
    const local = await startOpsServer({ ...options, host: '127.0.0.1' });
    await local.close();
    const guarded = await startOpsServer({ ...options, host: '0.0.0.0', bearerToken: TOKEN });
    await guarded.close();
    assert.deepEqual(lines, [], 'no warning on loopback or with a token');
  });
});
