/**
 * deploy/compose checked offline against the code: commands through the real CLI parser, every
 * BOOKEO_CONNECT__ variable through the real config loader, ports equal to http.port; and
 * `docker compose config` (no engine needed) when the client is installed, else skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import {
  composeDir,
  PREFIX,
  isObject,
  effectiveConfig,
  assertEnvKeysExist,
  parseCli,
  assertRunnable,
  LONG_RUNNING,
  composeModel,
  composeSecretFiles,
  findDockerCompose,
  dockerComposeModel,
  SCENARIOS,
  httpPortOf,
  type ComposeService,
  type Json,
} from '../helpers/deploy-files.js';
import { buildProgram } from '../../cli/program.js';

let cli: Command;
let scratch: string;
before(async () => {
  cli = buildProgram();
  scratch = mkdtempSync(join(tmpdir(), 'deploy-files-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('compose', () => {
  const configFile = join(composeDir, 'bookeo-connect.yaml');

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every bookeo-connect service runs a real command with a valid configuration and matching ports`, async () => {
      const services = composeModel(scenario.vars);
      const secretFiles = composeSecretFiles(scenario.vars);
      const ours = [...services].filter(
        ([, service]) => service.image === (scenario.vars.BOOKEO_CONNECT_IMAGE ?? 'bookeo-connect:local'),
      );
      assert.deepEqual(ours.map(([name]) => name).sort(), ['simulator', 'sink-clickhouse', 'source']);
      const built = services.get('source')?.raw.build;
      assert.ok(isObject(built), 'the source service builds the image');
      assert.ok(
        existsSync(join(resolve(composeDir, String(built.context)), String(built.dockerfile))),
        'build.context + build.dockerfile is the Dockerfile',
      );

      for (const [name, service] of ours) {
        const what = `compose ${name} (${scenario.name})`;
        const parsed = await parseCli(cli, service.command);
        const running = parsed.path.join(' ');
        if (!LONG_RUNNING.has(running)) {
          assert.equal(running, 'simulator', `${what} runs a long-running command`);
          const port = Number(parsed.options.port);
          assert.equal(parsed.options.host, '0.0.0.0', `${what} listens on every interface`);
          assert.deepEqual(
            service.ports.map((p) => p.target),
            [port],
            `${what}: container port = --port`,
          );
          assert.match(
            service.healthcheck.join(' '),
            new RegExp(`//127\\.0\\.0\\.1:${port}/`),
            `${what}: healthcheck port`,
          );
          continue;
        }
        const configPath = parsed.options.config as string | undefined;
        assert.ok(configPath !== undefined, `${what}: --config`);
        const mount = service.mounts.find((m) => m.target === configPath);
        assert.ok(mount !== undefined, `${what}: ${configPath} is mounted`);
        assert.equal(mount.source, configFile);
        const env = Object.fromEntries(Object.entries(service.environment).filter(([key]) => key.startsWith(PREFIX)));
        // Compose mounts each secret of the service at /run/secrets/<name>.
        const granted = new Set(((service.raw.secrets ?? []) as Json[]).map(String));
        const readSecret = (path: string): string => {
          const name = path.startsWith('/run/secrets/') ? path.slice('/run/secrets/'.length) : undefined;
          const file = name !== undefined && granted.has(name) ? secretFiles.get(name) : undefined;
          if (file === undefined) assert.fail(`${what}: ${path} is no secret of the service`);
          // A file of the user's own (named in .env) does not exist here: any valid token stands for it.
          return existsSync(file) ? readFileSync(file, 'utf8') : 'a-token-of-the-users-own-file-0123';
        };
        const config = effectiveConfig(readFileSync(mount.source, 'utf8'), env, what, readSecret);
        assertEnvKeysExist(env, config, what, readSecret);
        assert.ok(config.http.bearerToken !== undefined, `${what}: the REST API needs the bearer token`);
        assert.ok(
          Object.keys(env).every((key) => !key.startsWith(`${PREFIX}HTTP__BEARER_TOKEN`) || key.endsWith('_FILE')),
          `${what}: the token comes from a secret file`,
        );
        assertRunnable(parsed, config, what);

        assert.equal(config.http.host, '0.0.0.0', `${what}: http.host reachable from outside the container`);
        assert.deepEqual(
          service.ports.map((p) => p.target),
          [config.http.port],
          `${what}: container port = http.port`,
        );
        assert.ok(
          service.ports.every((p) => p.hostIp === '127.0.0.1'),
          `${what}: host ports bound to 127.0.0.1`,
        );
        assert.match(
          service.healthcheck.join(' '),
          new RegExp(`'http://127\\.0\\.0\\.1:${config.http.port}/readyz'`),
          `${what}: healthcheck calls /readyz on http.port`,
        );

        // Endpoints: the services of this file, on their container ports.
        const kafka = services.get('kafka') as ComposeService;
        const advertised = kafka.environment.KAFKA_ADVERTISED_LISTENERS ?? '';
        for (const broker of config.kafka.brokers)
          assert.ok(
            advertised.split(',').some((listener) => listener.endsWith(`://${broker}`)),
            `${what}: broker ${broker} is an advertised listener (${advertised})`,
          );
        assert.ok(config.kafka.replicationFactor <= 1, `${what}: one broker`);
        const registry = new URL(config.schemaRegistry.url);
        assert.equal(registry.hostname, 'schema-registry');
        assert.ok(
          services.get('schema-registry')?.ports.some((p) => p.target === httpPortOf(config.schemaRegistry.url, what)),
          `${what}: registry port`,
        );
        assert.match(registry.pathname, /^\/apis\/ccompat\/v7\/?$/);

        if (running === 'source') {
          assert.ok(
            !Object.keys(env).some((key) => key.startsWith(`${PREFIX}CLICKHOUSE__`)),
            `${what}: no ClickHouse secret in the source`,
          );
          const baseUrl = new URL(config.bookeo.baseUrl);
          if (scenario.vars.BOOKEO_BASE_URL === undefined) {
            const simulator = services.get('simulator') as ComposeService;
            assert.equal(baseUrl.hostname, 'simulator');
            assert.equal(httpPortOf(config.bookeo.baseUrl, what), simulator.ports[0]?.target);
            assert.equal(config.bookeo.secretKey, 'demo-secret-key', 'the simulator default secret key');
            assert.deepEqual(
              config.bookeo.accounts.map((a) => a.apiKey),
              ['demo-api-key'],
            );
          } else {
            assert.equal(config.bookeo.baseUrl, scenario.vars.BOOKEO_BASE_URL);
            assert.equal(config.bookeo.secretKey, scenario.vars.BOOKEO_SECRET_KEY);
            assert.equal(services.get('simulator')?.replicas, 0);
          }
        } else {
          assert.ok(
            !Object.keys(env).some((key) => key.startsWith(`${PREFIX}BOOKEO__`)),
            `${what}: no Bookeo secret in a sink`,
          );
          const clickhouse = services.get('clickhouse') as ComposeService;
          assert.equal(new URL(config.clickhouse.url).hostname, 'clickhouse');
          assert.ok(
            clickhouse.ports.some((p) => p.target === httpPortOf(config.clickhouse.url, what)),
            `${what}: ClickHouse HTTP port`,
          );
          assert.equal(config.clickhouse.username, clickhouse.environment.CLICKHOUSE_USER);
          assert.equal(config.clickhouse.password, clickhouse.environment.CLICKHOUSE_PASSWORD);
          assert.equal(config.clickhouse.database, clickhouse.environment.CLICKHOUSE_DB);
        }
      }
      const source = services.get('source') as ComposeService;
      const sink = services.get('sink-clickhouse') as ComposeService;
      assert.notEqual(
        source.ports[0]?.published,
        sink.ports[0]?.published,
        'source and sink publish different host ports',
      );
    });
  }

  const compose = findDockerCompose();
  it('docker compose config accepts the file and interpolates as above', (t) => {
    if (compose === undefined) {
      t.skip('no docker compose client here: compose.yaml checked by the YAML parser and the interpolation above only');
      return;
    }
    for (const scenario of SCENARIOS) {
      const ours = composeModel(scenario.vars);
      const theirs = dockerComposeModel(compose, scenario.vars, scratch);
      assert.deepEqual([...theirs.keys()].sort(), [...ours.keys()].sort());
      for (const [name, service] of ours) {
        const other = theirs.get(name) as ComposeService;
        const what = `${name} (${scenario.name})`;
        assert.equal(other.image, service.image, `${what} image`);
        assert.deepEqual(other.command, service.command, `${what} command`);
        assert.deepEqual(other.environment, service.environment, `${what} environment`);
        assert.deepEqual(other.ports, service.ports, `${what} ports`);
        assert.deepEqual(other.healthcheck, service.healthcheck, `${what} healthcheck`);
        assert.deepEqual(
          other.mounts.filter((m) => m.source.startsWith('/')),
          service.mounts.filter((m) => m.source.startsWith('/')),
          `${what} bind mounts`,
        );
        assert.equal(other.replicas, service.replicas, `${what} replicas`);
      }
    }
  });
});
