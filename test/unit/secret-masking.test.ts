/**
 * No secret in a configuration error, a log line or an error description, whatever path it came
 * by: a malformed JSON environment value (the k8s example's accounts), a whole object found where
 * a list was expected, a JSON or YAML parse error quoting its line, a password inside a URL (in
 * logs: message, fields, child bindings, errors). Each case carries a known secret string and
 * asserts it is absent from what a user would see.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { loadConfig, validateConfig } from '../../common/config/load.js';
import { ConfigError, describeError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { maskSecretsInText } from '../../common/secrets.js';

const API_KEY = 'ak-LIVE-must-not-leak-9d41c2';
const PASSWORD = 'pw-LIVE-must-not-leak-3b7e55';

const dir = mkdtempSync(join(tmpdir(), 'bc-masking-'));

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

function assertClean(text: string, ...secrets: string[]): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `leaked ${secret} in:\n${text}`);
}

describe('secrets never in errors or logs', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a malformed JSON environment value is reported with its secrets masked', () => {
    const message = messageOf(() =>
      loadConfig({
        env: { BOOKEO_CONNECT__BOOKEO__ACCOUNTS: `[{"id":"acme","apiKey":"${API_KEY}"},{"id":"b","apiKey":"x"}` },
      }),
    );
    assert.match(message, /bookeo\.accounts: expected array, found .*apiKey/);
    assertClean(message, API_KEY);
  });

  it('an object found where a list was expected is shown with its secret keys masked', () => {
    const message = messageOf(() => validateConfig({ bookeo: { accounts: { id: 'acme', apiKey: API_KEY } } }));
    assert.match(message, /bookeo\.accounts: expected array, found \{"id":"acme","apiKey":"?\*\*\*"?\}/);
    assertClean(message, API_KEY);
  });

  it('a JSON configuration file that does not parse does not quote its secrets', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, `{"bookeo": {"accounts": [{"apiKey": "${API_KEY}" "id": "x"}]}}`);
    const message = messageOf(() => loadConfig({ file, env: {} }));
    assert.match(message, /expected valid JSON or YAML/);
    assertClean(message, API_KEY);
  });

  it('a YAML configuration file that does not parse does not quote its secrets', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, `bookeo:\n  secretKey: "${API_KEY}\n  accounts: [\n`);
    const message = messageOf(() => loadConfig({ file, env: {} }));
    assert.match(message, /expected valid JSON or YAML/);
    assertClean(message, API_KEY);
  });

  it('masks secrets written in text: JSON, escaped JSON, YAML, properties, URLs, cut-short values', () => {
    const texts = [
      `[{"id":"a","apiKey":"${API_KEY}"`,
      JSON.stringify(`[{"apiKey":"${API_KEY}","id":"a"}]`),
      `Unexpected token, "[{"apiKey":"${API_KEY.slice(0, 10)}"... is not valid JSON`,
      `secretKey: ${API_KEY}\nid: a`,
      `{password: '${PASSWORD}', id: a}`,
      `password=${PASSWORD}`,
      `postgres://app:${PASSWORD}@db/prod`,
    ];
    for (const text of texts) assertClean(maskSecretsInText(text), API_KEY, API_KEY.slice(0, 10), PASSWORD);
    assert.equal(maskSecretsInText('{"id":"a","apiKey":"k"}'), '{"id":"a","apiKey":***}');
    assert.equal(maskSecretsInText('no secret at all: 42'), 'no secret at all: 42');
  });

  it('describeError masks a URL password a foreign error carries', () => {
    const described = describeError(new Error(`connect ECONNREFUSED http://bookeo:${PASSWORD}@clickhouse:8123`));
    assert.equal(described, 'Error: connect ECONNREFUSED http://bookeo:***@clickhouse:8123');
  });

  it('log lines mask URL passwords in the message, fields, child bindings and errors; secret keys redacted', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()),
    });
    const url = `http://bookeo:${PASSWORD}@clickhouse:8123`;
    const logger = createLogger({ level: 'debug', format: 'json', destination }).child({ url });
    logger.info({ target: { url }, err: new Error(`request to ${url} failed`) }, `writing to ${url}`);
    logger.warn({ apiKey: API_KEY, clickhouse: { password: PASSWORD } }, 'keys');
    const text = lines.join('');
    assertClean(text, PASSWORD, API_KEY);
    const first = JSON.parse(lines[0] ?? '{}') as { url: string; msg: string; err: { message: string; type: string } };
    assert.equal(first.url, 'http://bookeo:***@clickhouse:8123');
    assert.equal(first.msg, 'writing to http://bookeo:***@clickhouse:8123');
    assert.equal(first.err.type, 'Error', 'the error keeps its type');
    assert.equal(first.err.message, 'request to http://bookeo:***@clickhouse:8123 failed');
  });
});

describe('the command line shows no secret', () => {
  const cli = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');
  const run = (args: string[], env: Record<string, string>): { code: number | null; output: string } => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
  };
  const secrets = mkdtempSync(join(tmpdir(), 'bc-cli-secrets-'));
  after(() => rmSync(secrets, { recursive: true, force: true }));

  it('config show masks secrets from files and URL passwords', () => {
    const keyFile = join(secrets, 'secret-key');
    writeFileSync(keyFile, `${API_KEY}\n`);
    const { code, output } = run(['config', 'show'], {
      BOOKEO_CONNECT__BOOKEO__SECRET_KEY_FILE: keyFile,
      BOOKEO_CONNECT__CLICKHOUSE__URL: `http://bookeo:${PASSWORD}@clickhouse:8123`,
      BOOKEO_CONNECT__POSTGRES__PASSWORD: `\${file:${keyFile}}`,
    });
    assert.equal(code, 0, output);
    const shown = JSON.parse(output) as { bookeo: { secretKey: string }; clickhouse: { url: string } };
    assert.equal(shown.bookeo.secretKey, '***');
    assert.equal(shown.clickhouse.url, 'http://bookeo:***@clickhouse:8123');
    assertClean(output, API_KEY, PASSWORD);
  });

  it('config check exits 2 on a malformed accounts variable without printing its keys', () => {
    const { code, output } = run(['config', 'check'], {
      BOOKEO_CONNECT__BOOKEO__ACCOUNTS: `[{"id":"acme","apiKey":"${API_KEY}"`,
      BOOKEO_CONNECT__SCHEMA_REGISTRY__URL: `http://registry:${PASSWORD}@`,
    });
    assert.equal(code, 2, output);
    assert.match(output, /bookeo\.accounts/);
    assertClean(output, API_KEY, PASSWORD);
  });
});
