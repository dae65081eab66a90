/**
 * The `kafka.ssl` / `kafka.sasl` configuration as the Kafka client sees it: `ssl: true|false` as
 * before, TLS options with PEM values inline or from files, each SASL mechanism with its own
 * required keys, and configuration errors that name the key without echoing a secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, validateConfig } from '../../common/config/load.js';
import { ConfigError } from '../../common/errors.js';
import { maskSecrets } from '../../common/secrets.js';
import { kafkaSecurityOptions } from '../../kafka/security.js';
import { silentLogger } from '../../testkit/stack-kafka.js';

const PASSWORD = 'scram-pw-DO-NOT-PRINT-41';
const CLIENT_SECRET = 'oidc-secret-DO-NOT-PRINT-77';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nPRIVATE-MATERIAL-DO-NOT-PRINT\n-----END PRIVATE KEY-----\n';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nCLIENT-CERT\n-----END CERTIFICATE-----\n';
const CA_PEM = '-----BEGIN CERTIFICATE-----\nTHE-CA\n-----END CERTIFICATE-----\n';

const kafkaOf = (kafka: Record<string, unknown>) => validateConfig({ kafka }).kafka;
const optionsOf = (kafka: Record<string, unknown>) => kafkaSecurityOptions(kafkaOf(kafka), silentLogger());

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('kafka security configuration → client options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bookeo-kafka-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps ssl: false (the default) and ssl: true as before', () => {
    assert.deepEqual(optionsOf({}), { ssl: false, sasl: undefined });
    assert.deepEqual(optionsOf({ ssl: false }), { ssl: false, sasl: undefined });
    assert.deepEqual(optionsOf({ ssl: true }), { ssl: { rejectUnauthorized: true }, sasl: undefined });
  });

  it('reads CA, certificate and key from files, or takes them inline, with servername and rejectUnauthorized', () => {
    const caFile = join(dir, 'ca.crt');
    const keyFile = join(dir, 'user.key');
    writeFileSync(caFile, CA_PEM);
    writeFileSync(keyFile, KEY_PEM);
    const { ssl } = optionsOf({
      ssl: { ca: caFile, certificate: CERT_PEM, privateKey: keyFile, passphrase: 'pp', servername: 'kafka.internal' },
    });
    assert.deepEqual(ssl, {
      rejectUnauthorized: true,
      ca: CA_PEM,
      cert: CERT_PEM,
      key: KEY_PEM,
      passphrase: 'pp',
      servername: 'kafka.internal',
    });
    assert.deepEqual(optionsOf({ ssl: { rejectUnauthorized: false } }).ssl, { rejectUnauthorized: false });
  });

  it('names the key and the path of a PEM file that is missing or holds no PEM, never the content', () => {
    const missing = configError(() => optionsOf({ ssl: { ca: join(dir, 'nope.crt') } }));
    assert.equal(missing.problems[0]?.key, 'kafka.ssl.ca');
    assert.match(missing.message, /nope\.crt \(ENOENT\)/);
    const notPem = join(dir, 'not-pem.key');
    writeFileSync(notPem, 'PRIVATE-MATERIAL-DO-NOT-PRINT');
    const wrong = configError(() => optionsOf({ ssl: { certificate: CERT_PEM, privateKey: notPem } }));
    assert.equal(wrong.problems[0]?.key, 'kafka.ssl.privateKey');
    assert.match(wrong.message, /not PEM/);
    assert.doesNotMatch(wrong.message, /PRIVATE-MATERIAL/);
  });

  it('wants a client certificate and its key together, and rejects unknown TLS keys', () => {
    const error = configError(() => kafkaOf({ ssl: { privateKey: KEY_PEM } }));
    assert.deepEqual(
      error.problems.map((p) => p.key),
      ['kafka.ssl.certificate'],
    );
    assert.doesNotMatch(error.message, /PRIVATE-MATERIAL/);
    assert.match(configError(() => kafkaOf({ ssl: { cafile: 'x' } })).message, /kafka\.ssl\.cafile/);
    assert.match(configError(() => kafkaOf({ ssl: 'yes' })).message, /kafka\.ssl: expected object/);
  });

  it('takes every key from the environment too, secrets as text', () => {
    const { ssl, sasl } = loadConfig({
      env: {
        BOOKEO_CONNECT__KAFKA__SSL__CA: CA_PEM,
        BOOKEO_CONNECT__KAFKA__SSL__SERVERNAME: 'kafka.internal',
        BOOKEO_CONNECT__KAFKA__SSL__REJECT_UNAUTHORIZED: 'false',
        BOOKEO_CONNECT__KAFKA__SSL__PASSPHRASE: '12345',
        BOOKEO_CONNECT__KAFKA__SSL__CERTIFICATE: CERT_PEM,
        BOOKEO_CONNECT__KAFKA__SSL__PRIVATE_KEY: KEY_PEM,
        BOOKEO_CONNECT__KAFKA__SASL__MECHANISM: 'oauthbearer',
        BOOKEO_CONNECT__KAFKA__SASL__OAUTHBEARER__TOKEN_ENDPOINT_URL: 'https://idp.example/token',
        BOOKEO_CONNECT__KAFKA__SASL__OAUTHBEARER__CLIENT_ID: 'bookeo-connect',
        BOOKEO_CONNECT__KAFKA__SASL__OAUTHBEARER__CLIENT_SECRET: '67890',
        BOOKEO_CONNECT__KAFKA__SASL__OAUTHBEARER__EXTENSIONS: '{"logicalCluster":"lkc-1"}',
      },
    }).kafka;
    assert.deepEqual(ssl, {
      ca: CA_PEM,
      servername: 'kafka.internal',
      rejectUnauthorized: false,
      passphrase: '12345',
      certificate: CERT_PEM,
      privateKey: KEY_PEM,
    });
    assert.deepEqual(sasl, {
      mechanism: 'oauthbearer',
      oauthbearer: {
        tokenEndpointUrl: 'https://idp.example/token',
        clientId: 'bookeo-connect',
        clientSecret: '67890',
        extensions: { logicalCluster: 'lkc-1' },
      },
    });
  });

  it('hands plain and SCRAM credentials over as they are', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      assert.deepEqual(optionsOf({ sasl: { mechanism, username: 'bookeo', password: PASSWORD } }).sasl, {
        mechanism,
        username: 'bookeo',
        password: PASSWORD,
      });
    }
  });

  it('checks each mechanism for its own keys without echoing a secret', () => {
    const missing = configError(() => kafkaOf({ sasl: { mechanism: 'scram-sha-512', username: 'bookeo' } }));
    assert.deepEqual(
      missing.problems.map((p) => `${p.key}: ${p.expected}`),
      ['kafka.sasl.password: required with mechanism scram-sha-512'],
    );
    const typo = configError(() => kafkaOf({ sasl: { mechanism: 'scram', username: 'u', password: PASSWORD } }));
    assert.equal(typo.problems[0]?.key, 'kafka.sasl.mechanism');
    assert.doesNotMatch(typo.message, new RegExp(PASSWORD));
    const oauthbearer = { tokenEndpointUrl: 'https://idp.example/token', clientId: 'c', clientSecret: CLIENT_SECRET };
    const mixed = configError(() => kafkaOf({ sasl: { mechanism: 'oauthbearer', password: PASSWORD, oauthbearer } }));
    assert.deepEqual(
      mixed.problems.map((p) => `${p.key}: ${p.expected}, found ${p.found}`),
      ['kafka.sasl.password: not used with mechanism oauthbearer, found ***'],
    );
    const badSecret = configError(() =>
      kafkaOf({ sasl: { mechanism: 'oauthbearer', oauthbearer: { ...oauthbearer, clientSecret: 1234567 } } }),
    );
    assert.deepEqual(
      badSecret.problems.map((p) => `${p.key}: found ${p.found}`),
      ['kafka.sasl.oauthbearer.clientSecret: found ***'],
      'a secret of the wrong type is masked too',
    );
    assert.doesNotMatch(mixed.message + badSecret.message, new RegExp(`${PASSWORD}|${CLIENT_SECRET}|1234567`));
  });

  it('gives OAUTHBEARER a token provider, one per configuration, and masks its secret when shown', () => {
    const config = kafkaOf({
      sasl: {
        mechanism: 'oauthbearer',
        oauthbearer: {
          tokenEndpointUrl: 'https://idp.example/token',
          clientId: 'bookeo-connect',
          clientSecret: CLIENT_SECRET,
          extensions: { logicalCluster: 'lkc-1' },
        },
      },
      ssl: { ca: CA_PEM, certificate: CERT_PEM, privateKey: KEY_PEM, passphrase: 'pp' },
    });
    const { sasl } = kafkaSecurityOptions(config, silentLogger());
    assert.equal(sasl?.mechanism, 'oauthbearer');
    assert.ok('oauthBearerProvider' in sasl && typeof sasl.oauthBearerProvider === 'function');
    const shown = JSON.stringify(maskSecrets(config));
    for (const secret of [CLIENT_SECRET, 'PRIVATE-MATERIAL', '"pp"'])
      assert.ok(!shown.includes(secret), `${secret} is masked`);
    assert.match(
      configError(() =>
        kafkaOf({
          sasl: {
            mechanism: 'oauthbearer',
            oauthbearer: {
              tokenEndpointUrl: 'https://idp.example/token',
              clientId: 'c',
              clientSecret: 's',
              extensions: { auth: 'x' },
            },
          },
        }),
      ).message,
      /kafka\.sasl\.oauthbearer\.extensions/,
    );
  });
});
