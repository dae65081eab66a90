import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, validateConfig } from '../../common/config/load.js';
import { ConfigError } from '../../common/errors.js';
import { maskSecrets } from '../../common/secrets.js';

const SECRET = 'sk_live_do_not_print_me_123456';

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('defaults alone are valid and the result is deeply frozen', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.kafka.topicPrefix, 'bookeo');
    assert.ok(Object.isFrozen(config.kafka.brokers));
    assert.throws(() => {
      (config.kafka as { topicPrefix: string }).topicPrefix = 'x';
    }, TypeError);
  });

  it('reports every problem at once, with key, expectation and what was found', () => {
    const error = problemsOf(() =>
      validateConfig({
        kafka: { partitions: 0, brokres: ['x'] },
        log: { level: 'loud' },
        bookeo: { requestsPerSecond: 'fast', accounts: [{ id: 'ok', apiKey: 3 }] },
      }),
    );
    const keys = error.problems.map((p) => p.key).sort();
    assert.deepEqual(keys, [
      'bookeo.accounts.0.apiKey',
      'bookeo.requestsPerSecond',
      'kafka.brokres',
      'kafka.partitions',
      'log.level',
    ]);
    const level = error.problems.find((p) => p.key === 'log.level');
    assert.match(level?.expected ?? '', /one of "fatal"/);
    assert.equal(level?.found, '"loud"');
    assert.match(error.message, /5 problems/);
  });

  it('never prints a secret value, even when it is the invalid one', () => {
    const error = problemsOf(() =>
      validateConfig({
        bookeo: { secretKey: 42, accounts: [{ id: 'bad id!', apiKey: SECRET }] },
        http: { bearerToken: 'short-token' },
      }),
    );
    assert.doesNotMatch(error.message, new RegExp(SECRET));
    assert.doesNotMatch(error.message, /short-token/);
    assert.match(error.message, /bookeo\.secretKey: expected string, found \*\*\*/);
  });

  it('applies environment overrides over the file, SNAKE_CASE to camelCase, JSON values typed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bc-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'kafka:\n  topicPrefix: fromfile\n  partitions: 6\nschemaRegistry:\n  compatibility: FULL\n');
    const config = loadConfig({
      file,
      env: {
        BOOKEO_CONNECT__KAFKA__PARTITIONS: '12',
        BOOKEO_CONNECT__KAFKA__BROKERS: 'a:1,b:2',
        BOOKEO_CONNECT__SCHEMA_REGISTRY__URL: 'http://reg:8081',
        BOOKEO_CONNECT__CLICKHOUSE__PASSWORD: '123456',
        BOOKEO_CONNECT__POSTGRES__PASSWORD: 'true',
        BOOKEO_CONNECT__HTTP__BEARER_TOKEN: '',
        UNRELATED: 'x',
      },
    });
    assert.equal(config.clickhouse.password, '123456', 'a secret stays text, even all digits');
    assert.equal(config.postgres.password, 'true');
    assert.equal(config.http.bearerToken, undefined, 'an empty variable is unset');
    assert.equal(config.kafka.topicPrefix, 'fromfile');
    assert.equal(config.kafka.partitions, 12);
    assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2']);
    assert.equal(config.schemaRegistry.url, 'http://reg:8081');
    assert.equal(config.schemaRegistry.compatibility, 'FULL');
  });

  it('an unreadable or unparsable file is a clear ConfigError', () => {
    assert.match(
      problemsOf(() => loadConfig({ file: '/nonexistent/x.yaml', env: {} })).message,
      /readable configuration file.*ENOENT/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'bc-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{"kafka": ');
    assert.match(problemsOf(() => loadConfig({ file, env: {} })).message, /valid JSON or YAML/);
  });

  it('the documented example configuration is valid', () => {
    const config = loadConfig({
      file: join(import.meta.dirname, '..', '..', 'deploy', 'config.example.yaml'),
      env: {},
    });
    assert.equal(config.bookeo.accounts[0]?.id, 'acme');
    assert.equal(config.source.sweepIntervalSeconds, 86_400);
  });

  it('maskSecrets hides every secret key at any depth', () => {
    const masked = maskSecrets({
      bookeo: { secretKey: SECRET, accounts: [{ id: 'a', apiKey: SECRET }] },
      clickhouse: { password: SECRET },
    });
    assert.doesNotMatch(JSON.stringify(masked), new RegExp(SECRET));
    assert.equal(masked.bookeo.accounts[0]?.id, 'a');
  });

  it('masks a password written into a URL, in masked output and in config errors', () => {
    const url = `postgres://app:${SECRET}@db.example.com:6432/prod?sslmode=require`;
    assert.equal(
      maskSecrets({ postgres: { connectionString: url } }).postgres.connectionString,
      'postgres://app:***@db.example.com:6432/prod?sslmode=require',
    );
    assert.equal(maskSecrets('postgres://app@db/prod'), 'postgres://app@db/prod');
    assert.throws(
      () => validateConfig({ postgres: { connectionString: url, poolSize: 0 } }),
      (error: unknown) => error instanceof ConfigError && !error.message.includes(SECRET),
    );
    assert.throws(
      () => validateConfig({ postgres: { connectionString: `mysql://app:${SECRET}@db/prod` } }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes('postgres.connectionString') &&
        !error.message.includes(SECRET),
    );
  });
});
