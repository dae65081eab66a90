/**
 * The PostgreSQL destination's connection settings against the stack's real server: sslmode and
 * the ssl section mapped to pg's TLS options, connection string problems reported at once without
 * quoting the string, passwords masked for display, verify-full against the stack's CA, client
 * certificates, and password authentication that never shows the password, even on failure.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ConfigError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { PASSWORD_ROLE, postgresCaFile } from '../../deploy/stack/postgres.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { DestinationError } from '../../sinks/errors.js';
import { postgresSchema } from '../../sinks/postgres/config.js';
import { maskConnectionString, postgresConnection } from '../../sinks/postgres/connection.js';
import { createPostgresDestination } from '../../sinks/postgres/destination.js';
import { bookingKeySchema, bookingValueSchema } from '../../testkit/booking-avro.js';
import { createTestPki } from '../helpers/test-pki.js';

const url = stackEndpoints().postgresUrl;
const quiet = createLogger({ level: 'silent', format: 'json' });

describe('PostgreSQL connection settings: TLS and passwords', () => {
  const server = new URL(url);
  const base = `postgres://${server.host}/bookeo`;
  const config = (raw: Record<string, unknown>) => postgresSchema.parse({ requestTimeoutMs: 10_000, ...raw });
  const ssl = (raw: Record<string, unknown>) => postgresConnection(config(raw)).pool.ssl;

  it('maps sslmode and the ssl section to pg TLS options', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    assert.equal(ssl({ connectionString: base }), false);
    assert.equal(ssl({ connectionString: `${base}?sslmode=disable` }), false);
    assert.deepEqual(ssl({ connectionString: `${base}?sslmode=require` }), { rejectUnauthorized: false });
    assert.deepEqual(ssl({ connectionString: `${base}?sslmode=no-verify` }), { rejectUnauthorized: false });
    assert.deepEqual(ssl({ connectionString: `${base}?sslmode=verify-full` }), { rejectUnauthorized: true });
    assert.deepEqual(ssl({ connectionString: base, ssl: {} }), { rejectUnauthorized: true });
    assert.deepEqual(ssl({ connectionString: base, ssl: { ca } }), { ca, rejectUnauthorized: true });
    assert.deepEqual(ssl({ connectionString: `${base}?sslmode=verify-full`, ssl: { ca, rejectUnauthorized: false } }), {
      rejectUnauthorized: false,
    });
    for (const mode of ['verify-ca', 'require']) {
      const options = ssl({ connectionString: `${base}?sslmode=${mode}`, ssl: { ca } }) as {
        ca: string;
        rejectUnauthorized: boolean;
        checkServerIdentity: () => undefined;
      };
      assert.deepEqual(
        [options.ca, options.rejectUnauthorized, options.checkServerIdentity()],
        [ca, true, undefined],
        `${mode} with a CA checks the chain, not the host name`,
      );
    }
    const ca2 = ssl({
      connectionString: `${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(postgresCaFile(stackEndpoints()))}`,
    }) as { ca: string };
    assert.match(ca2.ca, /BEGIN CERTIFICATE/);
  });

  it('reports every connection string problem at once, without quoting the string', () => {
    const secret = 's3cr3t-in-url';
    assert.throws(
      () =>
        postgresConnection(
          config({
            connectionString: `postgres://u:${secret}@h/db?sslmode=prefer&target_session_attrs=any&sslrootcert=/nonexistent`,
            ssl: { ca: 'x' },
          }),
        ),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.map((p) => p.key).join(',') ===
          'postgres.connectionString ?target_session_attrs,postgres.connectionString ?sslmode,postgres.ssl.ca,postgres.connectionString ?sslrootcert' &&
        !error.message.includes(secret),
    );
    assert.throws(
      () => postgresConnection(config({ connectionString: `postgres://u:${secret}@[bad/db` })),
      (error: unknown) => error instanceof ConfigError && !error.message.includes(secret),
    );
  });

  it('masks a password in the connection string for display', () => {
    assert.equal(
      maskConnectionString('postgres://app:p%40ss@db.example.com:6432/prod?sslmode=require'),
      'postgres://app:***@db.example.com:6432/prod?sslmode=require',
    );
    assert.equal(maskConnectionString('postgres://app@db/prod'), 'postgres://app@db/prod');
    const parsed = postgresConnection(config({ connectionString: 'postgres://app:p%40ss@db.example.com:6432/prod' }));
    assert.deepEqual(
      [parsed.pool.user, parsed.pool.password, parsed.pool.host, parsed.pool.port, parsed.pool.database],
      ['app', 'p@ss', 'db.example.com', 6432, 'prod'],
    );
    assert.equal(
      postgresConnection(config({ connectionString: 'postgres://app:inurl@db/prod', password: 'configured' })).pool
        .password,
      'configured',
    );
  });

  async function sessionSsl(raw: Record<string, unknown>): Promise<boolean> {
    const client = new pg.Client(postgresConnection(config(raw)).pool);
    await client.connect();
    try {
      return (
        (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]
          ?.ssl === true
      );
    } finally {
      await client.end();
    }
  }

  it('connects over TLS with verify-full against the stack CA, and refuses an unverifiable certificate as non-retriable', async () => {
    const ca = postgresCaFile(stackEndpoints());
    assert.equal(
      await sessionSsl({ connectionString: `${url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}` }),
      true,
    );
    assert.equal(await sessionSsl({ connectionString: `${url}?sslmode=require` }), true);
    assert.equal(await sessionSsl({ connectionString: url }), false);
    const unverified = createPostgresDestination({
      connection: config({ connectionString: `${url}?sslmode=verify-full`, schema: 'tls_probe' }),
      mode: 'freeze',
      logger: quiet,
    });
    try {
      await assert.rejects(
        unverified.prepare(describeTable('t', bookingKeySchema, bookingValueSchema)),
        (error: unknown) =>
          error instanceof DestinationError &&
          error.reason === 'rejected' &&
          !error.retriable &&
          /\): TLS: the server's certificate was refused \(DEPTH_ZERO_SELF_SIGNED_CERT\)/.test(error.message),
      );
    } finally {
      await unverified.close();
    }
  });

  it('offers a client certificate and key (files or inline PEM) in every TLS mode; a certificate needs its key', () => {
    const pki = createTestPki();
    try {
      const client = { cert: pki.pem(pki.clientCert), key: pki.pem(pki.clientKey) };
      for (const [mode, verified] of [
        ['verify-full', true],
        ['verify-ca', true],
        ['no-verify', false],
      ] as const) {
        const options = ssl({
          connectionString: `${base}?sslmode=${mode}`,
          ssl: { ca: pki.caCert, cert: pki.clientCert, key: client.key },
        }) as { cert: string; key: string; rejectUnauthorized: boolean };
        assert.deepEqual(
          [options.cert, options.key, options.rejectUnauthorized],
          [client.cert, client.key, verified],
          mode,
        );
      }
      assert.equal(ssl({ connectionString: `${base}?sslmode=disable` }), false);
      assert.throws(
        () => config({ connectionString: base, ssl: { cert: pki.clientCert } }),
        (error: unknown) => error instanceof Error && /"key"/.test(error.message),
      );
      assert.throws(
        () =>
          postgresConnection(config({ connectionString: base, ssl: { cert: pki.clientCert, key: `${pki.dir}/none` } })),
        (error: unknown) =>
          error instanceof ConfigError && error.problems.map((problem) => problem.key).join() === 'postgres.ssl.key',
      );
    } finally {
      pki.remove();
    }
  });

  it('connects with verify-full, the CA as a file path and a client certificate configured', async () => {
    // The stack's server has no ssl_ca_file, so it never asks for the client certificate: this
    // proves the options reach a real TLS handshake, not that the server checked the certificate.
    const pki = createTestPki();
    try {
      const ssl = { ca: postgresCaFile(stackEndpoints()), cert: pki.clientCert, key: pki.clientKey };
      assert.equal(await sessionSsl({ connectionString: `${url}?sslmode=verify-full`, ssl }), true);
      await assert.rejects(
        sessionSsl({ connectionString: `${url}?sslmode=verify-full`, ssl: { ...ssl, ca: pki.caCert } }),
        /self-signed certificate/,
      );
    } finally {
      pki.remove();
    }
  });

  it('authenticates with the configured or the URL password, and never shows it, even on failure', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }),
    });
    const role = `postgres://${PASSWORD_ROLE.user}@${server.host}/bookeo`;
    const withPassword = `postgres://${PASSWORD_ROLE.user}:${PASSWORD_ROLE.password}@${server.host}/bookeo`;
    for (const raw of [
      { connectionString: role, password: PASSWORD_ROLE.password },
      { connectionString: withPassword },
    ]) {
      const client = new pg.Client(postgresConnection(config(raw)).pool);
      await client.connect();
      assert.equal(
        (await client.query<{ user: string }>('SELECT current_user AS user')).rows[0]?.user,
        PASSWORD_ROLE.user,
      );
      await client.end();
    }
    const wrong = 'wr0ng-pa55word-xyz';
    for (const raw of [
      { connectionString: role, password: wrong },
      { connectionString: `postgres://${PASSWORD_ROLE.user}:${wrong}@${server.host}/bookeo` },
    ]) {
      const failing = createPostgresDestination({
        connection: config({ ...raw, schema: 'auth_probe' }),
        mode: 'freeze',
        logger,
      });
      try {
        const error = await failing.prepare(describeTable('t', bookingKeySchema, bookingValueSchema)).then(
          () => assert.fail('a wrong password was accepted'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof DestinationError);
        assert.equal(error.reason, 'rejected');
        assert.equal(error.retriable, false);
        assert.equal(error.code, '28P01');
        assert.match(
          error.message,
          /PostgreSQL refused the login \(28P01\): password authentication failed for user "bookeo_auth"/,
        );
        logger.error({ err: error }, 'as the runner would log it');
        const everything = [
          error.message,
          error.stack ?? '',
          String((error.cause as Error | undefined)?.stack),
          JSON.stringify(error),
          ...lines,
        ].join('\n');
        assert.ok(!everything.includes(wrong), 'the password appears nowhere');
      } finally {
        await failing.close();
      }
    }
    assert.ok(lines.some((line) => line.includes('refused the login')));
  });
});
