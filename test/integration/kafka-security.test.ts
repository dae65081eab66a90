/**
 * Kafka security against the stack's real broker: over each secured listener (TLS, mTLS,
 * SASL_SSL with SCRAM-SHA-512, OAUTHBEARER with a local token endpoint issuing unsecured JWTs) the
 * source backfills one small simulated account, a DuckDB sink loads it, and reconcile finds
 * Bookeo, the topics and the table in agreement. A wrong CA and a wrong SCRAM password stop the
 * start with errors that say what is wrong and carry no secret.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { stackCertificates } from '../../deploy/stack/certificates.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { portInUse } from '../../deploy/stack/health.js';
import { splitHostPort } from '../../deploy/stack/service.js';
import { withAdmin } from '../../kafka/admin.js';
import { createKafka } from '../../kafka/client.js';
import { startApp, type App } from '../../app/app.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { topicEnds } from '../../sinks/runner/group-admin.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { stackKafka } from '../../testkit/stack-kafka.js';
import { uniqueName } from '../../testkit/wait-for.js';
import { capturingLogger, sourceTestConfig } from '../helpers/source-fixture.js';
import { requireStack } from '../helpers/stack.js';

const CLIENT_ID = 'bookeo-connect-test';
const CLIENT_SECRET = 'oidc-client-secret-DO-NOT-PRINT-16';
const WRONG_PASSWORD = 'wrong-scram-password-DO-NOT-PRINT';

/** An OIDC token endpoint in miniature: checks the client's Basic credentials, answers an unsecured JWT (`alg: none`). */
async function startTokenEndpoint(): Promise<{ url: string; issued: string[]; close: () => Promise<void> }> {
  const issued: string[] = [];
  const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.headers.authorization !== expected) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const token = `${part({ alg: 'none' })}.${part({ sub: 'bookeo-connect', iat: now, exp: now + 3600 })}.`;
      issued.push(token);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/kafka/protocol/openid-connect/token`,
    issued,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Kafka security: the pipeline over each secured listener of the stack broker', () => {
  const endpoints = stackEndpoints();
  const certificates = stackCertificates(endpoints);
  const workDir = mkdtempSync(join(tmpdir(), 'bookeo-kafka-security-'));
  let simulator: RunningSimulator;
  let tokens: Awaited<ReturnType<typeof startTokenEndpoint>>;
  const now = (): number => simulator.admin.now().getTime();

  before(async () => {
    await requireStack();
    for (const broker of [
      endpoints.kafkaSslBroker,
      endpoints.kafkaMtlsBroker,
      endpoints.kafkaScramBroker,
      endpoints.kafkaOAuthBroker,
    ]) {
      const { host, port } = splitHostPort(broker);
      if (!(await portInUse(host, port)))
        throw new Error(
          `the stack's broker does not serve ${broker}: it was started before its secured listeners existed; run \`npm run stack -- restart kafka\``,
        );
    }
    simulator = await startSimulator({ seed: 16, scale: 80 });
    tokens = await startTokenEndpoint();
  });

  after(async () => {
    await tokens?.close();
    await simulator?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** The test config for one listener: the simulator's account, unique topics, a DuckDB file of its own. */
  const configFor = (prefix: string, kafka: Record<string, unknown>, startupSeconds = 60): AppConfig => {
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
      string,
      Record<string, unknown>
    >;
    raw.kafka = { ...raw.kafka, ...kafka };
    raw.duckdb = { path: join(workDir, `${prefix}.duckdb`) };
    raw.sink = { groupId: `${prefix}-sink`, deadLetterTopic: `${prefix}.dlq-sink`, batch: { maxAgeMs: 200 } };
    raw.startup = { timeoutSeconds: startupSeconds };
    return validateConfig(raw);
  };

  /** No secret of any kind in what was logged or thrown. */
  const assertNoSecret = (text: string, extra: readonly string[] = []): void => {
    for (const secret of [
      CLIENT_SECRET,
      WRONG_PASSWORD,
      endpoints.kafkaScramUser.password,
      simulator.secretKey,
      ...simulator.apiKeys,
      ...tokens.issued,
      'PRIVATE KEY',
      ...extra,
    ])
      assert.ok(!text.includes(secret), `no ${secret.slice(0, 12)}… in the output`);
  };

  const backfillAndReconcile = async (kafka: Record<string, unknown>): Promise<void> => {
    const prefix = uniqueName('ksec');
    const config = configFor(prefix, kafka);
    const { logger, lines } = capturingLogger();
    let pipeline: App | undefined;
    try {
      pipeline = await startApp({ config, logger, source: true, destinations: ['duckdb'], now });
      const running = pipeline;
      for (const task of running.source?.tasks ?? []) await task.pollOnce();
      const ends = await withAdmin(createKafka(config.kafka, logger), (admin) => topicEnds(admin, running.topics));
      await running.sinks[0]?.sink.runner.caughtUp(ends);
      // DuckDB's file is held by one process at a time: the sink lets go of it before reconcile reads it.
      await running.stop();
      pipeline = undefined;
      const results = await reconcile({ config, destinationName: 'duckdb', logger, graceSeconds: 0, now });
      const differences = results.flatMap((result) =>
        result.differences.map((difference) => ({ resource: result.resource, ...difference })),
      );
      assert.deepEqual(differences.slice(0, 10), [], 'reconcile finds no difference');
      const bookings = results.find((result) => result.resource === 'bookings');
      assert.ok(bookings !== undefined && bookings.bookeo > 0, 'bookings were backfilled');
      assert.equal(bookings.topic, bookings.bookeo);
      assert.equal(bookings.table, bookings.bookeo);
      assertNoSecret(lines.join('\n'));
    } finally {
      await pipeline?.stop();
      await cleanupPrefix(stackKafka(), prefix);
    }
  };

  it('TLS (server authentication, the stack CA from a file)', async () => {
    await backfillAndReconcile({ brokers: [endpoints.kafkaSslBroker], ssl: { ca: certificates.caFile } });
  });

  it('mTLS (client certificate required; the CA inline as PEM, certificate and key from files)', async () => {
    await backfillAndReconcile({
      brokers: [endpoints.kafkaMtlsBroker],
      ssl: {
        ca: readFileSync(certificates.caFile, 'utf8'),
        certificate: certificates.clientCertificateFile,
        privateKey: certificates.clientKeyFile,
      },
    });
  });

  it('SASL_SSL with SCRAM-SHA-512', async () => {
    await backfillAndReconcile({
      brokers: [endpoints.kafkaScramBroker],
      ssl: { ca: certificates.caFile },
      sasl: { mechanism: 'scram-sha-512', ...endpoints.kafkaScramUser },
    });
  });

  it('SASL/OAUTHBEARER with tokens from the client-credentials grant, one token for the whole run', async () => {
    const before = tokens.issued.length;
    await backfillAndReconcile({
      brokers: [endpoints.kafkaOAuthBroker],
      sasl: {
        mechanism: 'oauthbearer',
        oauthbearer: { tokenEndpointUrl: tokens.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: 'kafka' },
      },
    });
    assert.equal(tokens.issued.length - before, 1, 'every client of the run shared one cached token');
  });

  it('a CA that did not sign the broker certificate: the start fails naming the broker and kafka.ssl.ca', async () => {
    const prefix = uniqueName('ksec');
    const { logger, lines } = capturingLogger();
    // A certificate of the stack that is not the broker's issuer stands in for another CA.
    const config = configFor(
      prefix,
      { brokers: [endpoints.kafkaSslBroker], ssl: { ca: certificates.clientCertificateFile } },
      0,
    );
    try {
      const error = await startApp({ config, logger, source: true, destinations: ['duckdb'], now }).then(
        async (pipeline) => {
          await pipeline.stop();
          return assert.fail('the pipeline started with a wrong CA');
        },
        (failure: unknown) => failure as Error,
      );
      assert.match(
        error.message,
        new RegExp(
          `TLS with broker ${endpoints.kafkaSslBroker.replaceAll('.', '\\.')} failed: .*certificate.*kafka\\.ssl\\.ca`,
        ),
      );
      assertNoSecret(`${error.message}\n${lines.join('\n')}`, [
        readFileSync(certificates.caFile, 'utf8').split('\n')[1] ?? '',
      ]);
    } finally {
      await cleanupPrefix(stackKafka(), prefix);
    }
  });

  it('a wrong SCRAM password: an authentication error at once, without the password', async () => {
    const prefix = uniqueName('ksec');
    const { logger, lines } = capturingLogger();
    const config = configFor(prefix, {
      brokers: [endpoints.kafkaScramBroker],
      ssl: { ca: certificates.caFile },
      sasl: { mechanism: 'scram-sha-512', username: endpoints.kafkaScramUser.username, password: WRONG_PASSWORD },
    });
    try {
      const started = Date.now();
      const error = await startApp({ config, logger, source: true, destinations: ['duckdb'], now }).then(
        async (pipeline) => {
          await pipeline.stop();
          return assert.fail('the pipeline started with a wrong password');
        },
        (failure: unknown) => failure as Error,
      );
      assert.match(error.message, /SCRAM.*authentication failed.*invalid credentials/i);
      assert.ok(Date.now() - started < 30_000, 'not waited on as if the broker were down (startup timeout is 60 s)');
      assertNoSecret(`${error.message}\n${lines.join('\n')}`);
    } finally {
      await cleanupPrefix(stackKafka(), prefix);
    }
  });
});
