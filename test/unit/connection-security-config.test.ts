/**
 * The connection-security keys of the registry and the destinations, as configuration: which
 * combinations are refused, that a refusal never quotes a token or a key, and that TLS material is
 * read from a file or taken inline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { ConfigError } from '../../common/errors.js';
import { maskSecrets } from '../../common/secrets.js';
import { readPem, readTlsMaterial } from '../../common/tls.js';

const TOKEN = 'tok_never_print_me_9f8e7d';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIBexample\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIGHsecretkeymaterial\n-----END PRIVATE KEY-----\n';

function configError(raw: unknown): ConfigError {
  try {
    validateConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  return assert.fail('the configuration was accepted');
}

describe('connection security configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bookeo-tls-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('schemaRegistry: bearer token or basic auth, never both (the token is not quoted)', () => {
    for (const registry of [
      { username: 'svc', password: 'pw', bearerToken: TOKEN },
      { url: 'https://svc:pw@registry.example/apis/ccompat/v7', bearerToken: TOKEN },
    ]) {
      const error = configError({ schemaRegistry: registry });
      assert.deepEqual(
        error.problems.map((problem) => problem.key),
        ['schemaRegistry.bearerToken'],
      );
      assert.ok(!error.message.includes(TOKEN) && !error.message.includes(':pw@'), error.message);
    }
    const config = validateConfig({ schemaRegistry: { url: 'https://r/apis', bearerToken: TOKEN, tls: { ca: PEM } } });
    assert.equal(config.schemaRegistry.tls?.rejectUnauthorized, true, 'certificates are checked by default');
    assert.equal(config.schemaRegistry.tls?.ca, PEM);
  });

  it('schemaRegistry.tls needs an https:// URL (over http:// it would be ignored)', () => {
    const error = configError({ schemaRegistry: { tls: { key: KEY_PEM, cert: PEM } } });
    assert.deepEqual(
      error.problems.map((problem) => problem.key),
      ['schemaRegistry.tls'],
    );
    assert.ok(!error.message.includes('secretkeymaterial'), error.message);
  });

  it('a client certificate comes with its key, and the other way round', () => {
    assert.deepEqual(
      configError({ schemaRegistry: { url: 'https://r/apis', tls: { cert: PEM } } }).problems.map(
        (problem) => problem.key,
      ),
      ['schemaRegistry.tls.key'],
    );
    const error = configError({ schemaRegistry: { url: 'https://r/apis', tls: { key: KEY_PEM } } });
    assert.deepEqual(
      error.problems.map((problem) => problem.key),
      ['schemaRegistry.tls.cert'],
    );
    assert.ok(!error.message.includes('secretkeymaterial'), error.message);
  });

  it('config show masks an inline private key and the bearer token', () => {
    const shown = JSON.stringify(
      maskSecrets(
        validateConfig({
          schemaRegistry: { url: 'https://r/apis', bearerToken: TOKEN, tls: { cert: PEM, key: KEY_PEM } },
        }),
      ),
    );
    assert.ok(!shown.includes(TOKEN) && !shown.includes('secretkeymaterial'), shown);
    assert.ok(shown.includes('MIIBexample'), 'a certificate is not a secret');
  });

  it('TLS material is PEM inline or a file holding PEM; problems name the key, not the value', () => {
    const file = join(dir, 'ca.pem');
    writeFileSync(file, PEM);
    assert.equal(readPem('x.ca', file), PEM);
    assert.equal(readPem('x.ca', PEM), PEM);
    writeFileSync(join(dir, 'not-pem.txt'), 'hello');
    assert.throws(() => readPem('x.ca', join(dir, 'not-pem.txt')), /x\.ca: expected a file holding PEM/);
    assert.throws(
      () => readTlsMaterial('clickhouse.tls', { ca: join(dir, 'none.pem'), key: 'pasted secret, not PEM' }),
      (thrown: unknown) => {
        assert.ok(thrown instanceof ConfigError);
        assert.deepEqual(
          thrown.problems.map((problem) => problem.key),
          ['clickhouse.tls.ca', 'clickhouse.tls.key'],
        );
        assert.ok(!thrown.message.includes('pasted secret'), thrown.message);
        return true;
      },
    );
  });
});
