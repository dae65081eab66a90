/**
 * Configuration values from mounted files: `${file:/path}` in the file or in an environment value,
 * `<VARIABLE>_FILE` next to the environment overrides. Real files in a temporary folder; a missing
 * one is an error naming the key and the path, and a value read from a file never shows in an error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyEnvOverrides, loadConfig } from '../../common/config/load.js';
import { ConfigError } from '../../common/errors.js';

const SECRET = 'sk-FROM-A-FILE-5f1e0c';
const API_KEY = 'ak-FROM-A-FILE-77ab02';

const dir = mkdtempSync(join(tmpdir(), 'bc-secret-files-'));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration values from files', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces ${file:…} in the configuration file and in environment values, trailing newline dropped', () => {
    const secretPath = file('secret-key', `${SECRET}\n`);
    const passwordPath = file('pg-password', 'pw-in-url\r\n');
    const config = file(
      'with-references.yaml',
      `bookeo:\n  secretKey: \${file:${secretPath}}\npostgres:\n  connectionString: postgres://app:\${file:${passwordPath}}@db/prod\n`,
    );
    const loaded = loadConfig({
      file: config,
      env: { BOOKEO_CONNECT__CLICKHOUSE__PASSWORD: `\${file:${secretPath}}` },
    });
    assert.equal(loaded.bookeo.secretKey, SECRET);
    assert.equal(loaded.clickhouse.password, SECRET);
    assert.equal(loaded.postgres.connectionString, 'postgres://app:pw-in-url@db/prod', 'a reference inside a string');
  });

  it('reads <VARIABLE>_FILE: secrets stay text, other values are parsed like the variable', () => {
    const loaded = loadConfig({
      env: {
        BOOKEO_CONNECT__BOOKEO__SECRET_KEY_FILE: file('digits', '0012345\n'),
        BOOKEO_CONNECT__BOOKEO__ACCOUNTS_FILE: file('accounts.json', `[{"id":"acme","apiKey":"${API_KEY}"}]\n`),
        BOOKEO_CONNECT__KAFKA__PARTITIONS_FILE: file('partitions', '6\n'),
        BOOKEO_CONNECT__SCHEMA_REGISTRY__PASSWORD_FILE: file('empty', ''),
      },
    });
    assert.equal(loaded.bookeo.secretKey, '0012345', 'a secret of digits stays a string');
    assert.deepEqual(
      loaded.bookeo.accounts.map((account) => [account.id, account.apiKey]),
      [['acme', API_KEY]],
    );
    assert.equal(loaded.kafka.partitions, 6);
    assert.equal(loaded.schemaRegistry.password, '', 'an empty file is an empty value');
  });

  it('an unreadable file is a ConfigError naming the key and the path, for both forms', () => {
    const missing = join(dir, 'no-such-secret');
    const error = configErrorOf(() =>
      loadConfig({
        env: {
          BOOKEO_CONNECT__BOOKEO__SECRET_KEY_FILE: missing,
          BOOKEO_CONNECT__POSTGRES__PASSWORD: `\${file:${missing}-too}`,
        },
      }),
    );
    assert.deepEqual(
      error.problems.map((problem) => [problem.key, problem.found]),
      [
        ['bookeo.secretKey (BOOKEO_CONNECT__BOOKEO__SECRET_KEY_FILE)', `${missing} (ENOENT)`],
        ['postgres.password', `${missing}-too (ENOENT)`],
      ],
    );
    assert.match(error.message, /expected a readable file holding the value/);
  });

  it('a variable and its _FILE twin together are an error, not a silent choice', () => {
    const error = configErrorOf(() =>
      applyEnvOverrides(
        {},
        { BOOKEO_CONNECT__BOOKEO__SECRET_KEY: SECRET, BOOKEO_CONNECT__BOOKEO__SECRET_KEY_FILE: file('twin', SECRET) },
      ),
    );
    assert.match(error.message, /either BOOKEO_CONNECT__BOOKEO__SECRET_KEY or .*_FILE, not both/);
    assert.ok(!error.message.includes(SECRET));
  });

  it('the reader is injectable (the deploy tests map a mounted Secret to its data)', () => {
    const tree = applyEnvOverrides({}, { BOOKEO_CONNECT__HTTP__BEARER_TOKEN_FILE: '/etc/secret/token' }, (path) =>
      path === '/etc/secret/token' ? 'token-of-at-least-16-chars\n' : assert.fail(path),
    );
    assert.deepEqual(tree, { http: { bearerToken: 'token-of-at-least-16-chars' } });
  });

  it('a value read from a file never shows in a validation error, whatever its key', () => {
    const error = configErrorOf(() =>
      loadConfig({
        env: {
          BOOKEO_CONNECT__KAFKA__PARTITIONS_FILE: file('not-a-number', `${SECRET}\n`),
          BOOKEO_CONNECT__KAFKA__CLIENT_ID: `\${file:${file('empty-id', '\n')}}`,
          BOOKEO_CONNECT__BOOKEO__ACCOUNTS_FILE: file('accounts-bad.json', `{"id":"acme","apiKey":"${API_KEY}"}`),
        },
      }),
    );
    assert.deepEqual(error.problems.map((problem) => problem.key).sort(), [
      'bookeo.accounts',
      'kafka.clientId',
      'kafka.partitions',
    ]);
    for (const problem of error.problems) assert.equal(problem.found, '***', problem.key);
    assert.ok(!error.message.includes(SECRET) && !error.message.includes(API_KEY));
  });
});
