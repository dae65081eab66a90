/**
 * The deploy files (deploy/docker, deploy/compose, deploy/k8s, deploy/grafana) checked against the
 * code they deploy, offline: no engine, no cluster, no network.
 *
 * - every YAML file parses;
 * - every command a container runs is accepted by the real CLI parser (the modules cli/main.ts
 *   registers, with their actions replaced), every destination exists;
 * - every BOOKEO_CONNECT__… variable, with the mounted configuration file, goes through the real
 *   loader (applyEnvOverrides + validateConfig, what loadConfig does) and validates, secrets as the
 *   placeholders of .env.example / secret.example.yaml; the source's own checks pass too;
 * - every container port, probe, healthcheck and scrape port equals the configured http.port;
 * - every metric (and label) the Grafana dashboard uses exists in the metric registries the source
 *   and the sink create, and every connector metric is on the dashboard;
 * - the Dockerfile's ENTRYPOINT is the build's output for cli/main.ts, and everything cli/main.ts
 *   imports at runtime is a production dependency (the image is installed with --omit=dev).
 *
 * When a `docker compose` client is installed, `docker compose config` (which needs no engine) also
 * validates compose.yaml and must agree with the interpolation done here; `kubectl kustomize`
 * likewise renders deploy/k8s. Without them those tests are skipped, and say so.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { applyEnvOverrides, validateConfig } from '../../common/config/load.js';
import { configSchema, type AppConfig } from '../../common/config/schema.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createSourceMetrics } from '../../connector/source/metrics.js';
import { sourceConfigProblems } from '../../connector/source/runtime.js';
import { DESTINATIONS } from '../../sinks/runner/destinations.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';

const root = resolve(import.meta.dirname, '..', '..');
const deploy = join(root, 'deploy');
const composeDir = join(deploy, 'compose');
const k8sDir = join(deploy, 'k8s');
const PREFIX = 'BOOKEO_CONNECT__';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function obj(value: unknown, what: string): JsonObject {
  assert.ok(isObject(value), `${what}: expected an object, found ${JSON.stringify(value)}`);
  return value;
}

function arr(value: unknown, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what}: expected a list, found ${JSON.stringify(value)}`);
  return value as Json[];
}

function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what}: expected a string, found ${JSON.stringify(value)}`);
  return value as string;
}

function filesUnder(dir: string, suffixes: readonly string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => suffixes.some((suffix) => file.endsWith(suffix)))
    .map((file) => join(dir, file))
    .sort();
}

/** Parses every document of a YAML file (merge keys on, as compose reads them); parse errors fail. */
function yamlDocuments(path: string): Json[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    assert.deepEqual(doc.errors.map((error) => error.message), [], `${relative(root, path)} does not parse`);
  }
  return list.map((doc) => doc.toJS({ maxAliasCount: 100 }) as Json).filter((doc) => doc !== null);
}

// ---------------------------------------------------------------------------------------------
// The configuration as a container sees it: file + environment through the real loader.

/** What loadConfig does with a file and an environment, with the file's text in hand. */
function effectiveConfig(fileText: string | undefined, env: Record<string, string>, what: string): AppConfig {
  const fromFile = fileText === undefined ? {} : ((parseYaml(fileText) as Record<string, unknown> | null) ?? {});
  try {
    return validateConfig(applyEnvOverrides(fromFile, env), what);
  } catch (error) {
    assert.fail(`${what}: ${(error as Error).message}`);
  }
}

function snakeToCamel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());
}

/** Every BOOKEO_CONNECT__ variable names a key of the schema (not merely "does not break validation"). */
function assertEnvKeysExist(env: Record<string, string>, config: AppConfig, what: string): void {
  for (const name of Object.keys(env).filter((key) => key.startsWith(PREFIX))) {
    const path = name.slice(PREFIX.length).split('__').filter(Boolean).map(snakeToCamel);
    let cursor: unknown = config;
    for (const segment of path) {
      assert.ok(isObject(cursor) && segment in cursor, `${what}: ${name} maps to ${path.join('.')}, which is not a configuration key`);
      cursor = cursor[segment];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The command line: the modules cli/main.ts registers, parsed by commander for real.

interface ParsedCommand {
  /** e.g. ['sink', 'run'] */
  readonly path: readonly string[];
  readonly args: readonly unknown[];
  readonly options: Record<string, unknown>;
}

async function buildCli(): Promise<Command> {
  const mainPath = join(root, 'cli', 'main.ts');
  const main = readFileSync(mainPath, 'utf8');
  const modules = new Map<string, string>();
  for (const match of main.matchAll(/import\s*\{\s*(register\w+)\s*\}\s*from\s*'([^']+)'/g)) modules.set(match[1] as string, match[2] as string);
  const calls = [...main.matchAll(/^(register\w+)\(program\);/gm)].map((match) => match[1] as string);
  assert.ok(calls.length >= 5, 'cli/main.ts registers its commands as register…(program) calls');
  const program = new Command().name('bookeo-connect').enablePositionalOptions();
  for (const name of calls) {
    const specifier = modules.get(name);
    assert.ok(specifier !== undefined, `cli/main.ts imports ${name}`);
    const module = (await import(resolve(dirname(mainPath), specifier.replace(/\.js$/, '.ts')))) as Record<string, unknown>;
    const register = module[name];
    assert.equal(typeof register, 'function', `${specifier} exports ${name}`);
    (register as (program: Command) => void)(program);
  }
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let cursor: Command | null = command; cursor?.parent != null; cursor = cursor.parent) names.unshift(cursor.name());
  return names;
}

/** Parses argv the way the binary would, without running anything. */
async function parseCli(program: Command, argv: readonly string[]): Promise<ParsedCommand> {
  let parsed: ParsedCommand | undefined;
  let errors = '';
  for (const command of allCommands(program)) {
    command.exitOverride();
    command.configureOutput({ writeOut: () => undefined, writeErr: (text) => void (errors += text) });
    command.action(function (this: Command) {
      parsed = { path: commandPath(this), args: this.processedArgs, options: this.opts() };
    });
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) assert.fail(`bookeo-connect ${argv.join(' ')}: ${error.message} ${errors}`);
    throw error;
  }
  assert.ok(parsed !== undefined, `bookeo-connect ${argv.join(' ')} runs no command`);
  return parsed;
}

/** What each long-running command needs beyond the schema (the same checks the commands make). */
function assertRunnable(parsed: ParsedCommand, config: AppConfig | undefined, what: string): void {
  const name = parsed.path.join(' ');
  if (name === 'source' || name === 'run') {
    assert.ok(config !== undefined, `${what}: ${name} needs a configuration`);
    assert.deepEqual(sourceConfigProblems(config), [], `${what}: the source's own configuration checks`);
  }
  if (name === 'sink run') assert.ok(String(parsed.args[0]) in DESTINATIONS, `${what}: destination ${String(parsed.args[0])} is one of ${Object.keys(DESTINATIONS).join(', ')}`);
  if (name === 'run') {
    for (const destination of parsed.options.destination as string[]) assert.ok(destination in DESTINATIONS, `${what}: destination ${destination}`);
  }
}

const LONG_RUNNING = new Set(['source', 'sink run', 'run']);

// ---------------------------------------------------------------------------------------------
// Compose: the model after interpolation, computed here and (when available) by docker compose.

/** Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}. */
function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    const next = text[i + 1];
    if (char === '$' && next === '$') {
      out += '$';
      i += 2;
    } else if (char === '$' && next === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
      }
      assert.equal(depth, 0, `unclosed \${ in ${text}`);
      const inner = text.slice(i + 2, j - 1);
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])(.*))?$/s.exec(inner);
      assert.ok(match !== null, `unsupported substitution \${${inner}}`);
      const [, name, colon, operator, rest] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined];
      const value = vars[name];
      const unset = value === undefined || (colon === ':' && value === '');
      if (operator === '-') out += unset ? interpolate(rest ?? '', vars) : value;
      else if (operator === '?') {
        assert.ok(!unset, `required variable ${name}: ${rest ?? ''}`);
        out += value;
      } else out += value ?? '';
      i = j;
    } else if (char === '$' && next !== undefined && /[A-Za-z_]/.test(next)) {
      const name = (/^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1)) as RegExpExecArray)[0];
      out += vars[name] ?? '';
      i += 1 + name.length;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

function interpolateDeep(value: Json, vars: Readonly<Record<string, string>>): Json {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]));
  return value;
}

/** A .env file's assignments: NAME=value, 'literal', "quoted". */
function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) continue;
    let value = (match[2] as string).trim();
    if (/^'.*'$/.test(value) || /^".*"$/.test(value)) value = value.slice(1, -1);
    vars[match[1] as string] = value;
  }
  return vars;
}

interface ComposeService {
  readonly image: string | undefined;
  readonly command: string[];
  readonly environment: Record<string, string>;
  readonly ports: Array<{ hostIp: string; published: string; target: number }>;
  readonly healthcheck: string[];
  readonly mounts: Array<{ source: string; target: string }>;
  readonly replicas: number;
  readonly raw: JsonObject;
}

function normalizeService(raw: JsonObject, name: string): ComposeService {
  const environment: Record<string, string> = {};
  const env = raw.environment ?? {};
  if (Array.isArray(env)) {
    for (const entry of env) {
      const [key, ...rest] = str(entry, `${name}.environment`).split('=');
      environment[key as string] = rest.join('=');
    }
  } else {
    for (const [key, value] of Object.entries(obj(env, `${name}.environment`))) environment[key] = value === null ? '' : String(value);
  }
  const ports = arr(raw.ports ?? [], `${name}.ports`).map((port) => {
    if (isObject(port)) return { hostIp: String(port.host_ip ?? ''), published: String(port.published ?? ''), target: Number(port.target) };
    const parts = String(port).split(':');
    const target = Number(parts.pop());
    const published = parts.pop() ?? '';
    return { hostIp: parts.join(':'), published, target };
  });
  const mounts = arr(raw.volumes ?? [], `${name}.volumes`).map((volume) => {
    if (isObject(volume)) return { source: String(volume.source), target: String(volume.target) };
    const [source, target] = String(volume).split(':');
    return { source: (source as string).startsWith('.') ? resolve(composeDir, source as string) : (source as string), target: target as string };
  });
  const test = isObject(raw.healthcheck) ? raw.healthcheck.test : undefined;
  const healthcheck = test === undefined ? [] : Array.isArray(test) ? test.map(String) : ['CMD-SHELL', String(test)];
  const deployment = isObject(raw.deploy) ? raw.deploy : {};
  return {
    image: raw.image === undefined ? undefined : String(raw.image),
    command: raw.command === undefined || raw.command === null ? [] : arr(raw.command, `${name}.command`).map(String),
    environment,
    ports,
    healthcheck,
    mounts,
    replicas: deployment.replicas === undefined ? 1 : Number(deployment.replicas),
    raw,
  };
}

function composeModel(vars: Readonly<Record<string, string>>): Map<string, ComposeService> {
  const [doc] = yamlDocuments(join(composeDir, 'compose.yaml'));
  const services = obj(obj(interpolateDeep(doc as Json, vars), 'compose.yaml').services, 'services');
  return new Map(Object.entries(services).map(([name, raw]) => [name, normalizeService(obj(raw, name), name)]));
}

function findDockerCompose(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(candidate[0] as string, [...candidate.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** `docker compose config` with exactly these variables (no shell environment, no .env of the developer). */
function dockerComposeModel(compose: readonly string[], vars: Readonly<Record<string, string>>, scratch: string): Map<string, ComposeService> {
  const envFile = join(scratch, `env-${Object.keys(vars).length}`);
  writeFileSync(envFile, Object.entries(vars).map(([key, value]) => `${key}='${value}'\n`).join(''));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() };
  if (process.env.DOCKER_CONFIG !== undefined) env.DOCKER_CONFIG = process.env.DOCKER_CONFIG;
  const result = spawnSync(compose[0] as string, [...compose.slice(1), '--project-directory', composeDir, '-f', join(composeDir, 'compose.yaml'), '--env-file', envFile, 'config', '--format', 'json'], { encoding: 'utf8', env });
  assert.equal(result.status, 0, `docker compose config failed:\n${result.stderr}`);
  const services = obj(obj(JSON.parse(result.stdout), 'docker compose config').services, 'services');
  return new Map(Object.entries(services).map(([name, raw]) => [name, normalizeService(obj(raw, name), name)]));
}

const EXAMPLE_VARS = parseDotenv(readFileSync(join(composeDir, '.env.example'), 'utf8').replace(/^# ?(?=[A-Za-z_][A-Za-z0-9_]*=)/gm, ''));
const SCENARIOS: ReadonlyArray<{ name: string; vars: Record<string, string> }> = [
  { name: 'defaults (simulator, no .env)', vars: {} },
  { name: 'every variable of .env.example set', vars: EXAMPLE_VARS },
];

function httpPortOf(urlText: string, what: string): number {
  const url = new URL(urlText);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80)) || assert.fail(`${what}: no port in ${urlText}`);
}

// ---------------------------------------------------------------------------------------------

let cli: Command;
let scratch: string;
before(async () => {
  cli = await buildCli();
  scratch = mkdtempSync(join(tmpdir(), 'deploy-files-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy files parse', () => {
  it('every YAML file under deploy/ parses', () => {
    const files = filesUnder(deploy, ['.yaml', '.yml']);
    assert.ok(files.length >= 8, `found ${files.length} YAML files`);
    for (const file of files) yamlDocuments(file);
  });

  it('the Grafana dashboard is JSON with its datasource as the DS_PROMETHEUS input', () => {
    const dashboard = obj(JSON.parse(readFileSync(join(deploy, 'grafana', 'bookeo-connect.json'), 'utf8')), 'dashboard');
    const inputs = arr(dashboard.__inputs, '__inputs').map((input) => obj(input, 'input'));
    assert.ok(inputs.some((input) => input.name === 'DS_PROMETHEUS' && input.pluginId === 'prometheus'));
    const datasources = new Set<string>();
    const ids = new Set<number>();
    for (const panel of arr(dashboard.panels, 'panels').map((p) => obj(p, 'panel'))) {
      assert.ok(!ids.has(Number(panel.id)), `panel id ${String(panel.id)} is unique`);
      ids.add(Number(panel.id));
      if (panel.type === 'row') continue;
      datasources.add(JSON.stringify(panel.datasource));
      for (const target of arr(panel.targets, `${String(panel.title)}.targets`)) datasources.add(JSON.stringify(obj(target, 'target').datasource));
    }
    assert.deepEqual([...datasources], [JSON.stringify({ type: 'prometheus', uid: '${DS_PROMETHEUS}' })]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(deploy, 'docker', 'Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const stages = instructions.join('\n').split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1] ?? '';

  it('ENTRYPOINT runs what `npm run build` makes of cli/main.ts, which is also the package bin', () => {
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { extends?: string; compilerOptions?: { outDir?: string; rootDir?: string } };
    const base = build.extends === undefined ? {} : (JSON.parse(readFileSync(join(root, build.extends), 'utf8')) as { compilerOptions?: { outDir?: string; rootDir?: string } });
    const outDir = build.compilerOptions?.outDir ?? base.compilerOptions?.outDir ?? assert.fail('no outDir');
    const rootDir = build.compilerOptions?.rootDir ?? base.compilerOptions?.rootDir ?? assert.fail('no rootDir');
    const main = posix.join(outDir, relative(resolve(root, rootDir), join(root, 'cli', 'main.ts')).replace(/\.ts$/, '.js'));
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime);
    assert.ok(entrypoint !== null, 'the runtime stage has an exec-form ENTRYPOINT');
    assert.deepEqual(JSON.parse(entrypoint[1] as string), ['node', main]);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(pkg.bin['bookeo-connect'], main);
    // dist/ and avro/schemas/ land side by side in WORKDIR: avro/schemas.ts finds dist/avro/../../avro/schemas.
    assert.match(runtime, /^COPY --from=build \/src\/dist \.\/dist$/m);
    assert.match(runtime, /^COPY avro\/schemas \.\/avro\/schemas$/m);
    assert.ok(existsSync(join(root, 'avro', 'schemas', 'key.avsc')));
  });

  it('the runtime stage installs production dependencies only, runs as a numeric non-root user, exposes http.port', () => {
    assert.match(stages.find((stage) => stage.includes('AS prod-deps')) ?? '', /npm ci --omit=dev/);
    assert.match(runtime, /^COPY --from=prod-deps \/app\/node_modules \.\/node_modules$/m);
    assert.doesNotMatch(runtime, /^HEALTHCHECK/m);
    const user = /^USER (\d+)(?::(\d+))?$/m.exec(runtime);
    assert.ok(user !== null && Number(user[1]) > 0, 'USER is a numeric non-root uid');
    assert.equal(Number(/^EXPOSE (\d+)$/m.exec(runtime)?.[1]), configSchema.parse({}).http.port);
  });

  it('everything cli/main.ts imports at runtime is a production dependency, and in the build context', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.ok(!('chdb' in pkg.dependencies), 'chdb (local stack only) is not a production dependency');
    const seen = new Set<string>();
    const packages = new Map<string, string>();
    const queue = [join(root, 'cli', 'main.ts')];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      const specifiers = [
        ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s*'([^']+)'/gm)].map((m) => m[1] as string),
        ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1] as string),
        ...[...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] as string),
      ];
      for (const specifier of specifiers) {
        if (specifier.startsWith('node:')) continue;
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
          assert.ok(existsSync(target), `${relative(root, file)} imports ${specifier}`);
          queue.push(target);
        } else {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
          packages.set(name, relative(root, file));
        }
      }
    }
    for (const [name, file] of packages) assert.ok(name in pkg.dependencies, `${file} imports ${name}, which --omit=dev would leave out of the image`);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    for (const dir of new Set([...seen].map((file) => relative(root, file).split('/')[0] as string))) {
      assert.ok(!ignored.includes(dir), `.dockerignore excludes ${dir}/, which the CLI imports`);
    }
    assert.ok(!ignored.includes('avro'), '.dockerignore keeps avro/');
  });
});

describe('compose', () => {
  const configFile = join(composeDir, 'bookeo-connect.yaml');

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every bookeo-connect service runs a real command with a valid configuration and matching ports`, async () => {
      const services = composeModel(scenario.vars);
      const ours = [...services].filter(([, service]) => service.image === (scenario.vars.BOOKEO_CONNECT_IMAGE ?? 'bookeo-connect:local'));
      assert.deepEqual(ours.map(([name]) => name).sort(), ['simulator', 'sink-clickhouse', 'source']);
      const built = services.get('source')?.raw.build;
      assert.ok(isObject(built), 'the source service builds the image');
      assert.ok(existsSync(join(resolve(composeDir, String(built.context)), String(built.dockerfile))), 'build.context + build.dockerfile is the Dockerfile');

      for (const [name, service] of ours) {
        const what = `compose ${name} (${scenario.name})`;
        const parsed = await parseCli(cli, service.command);
        const running = parsed.path.join(' ');
        if (!LONG_RUNNING.has(running)) {
          assert.equal(running, 'simulator', `${what} runs a long-running command`);
          const port = Number(parsed.options.port);
          assert.equal(parsed.options.host, '0.0.0.0', `${what} listens on every interface`);
          assert.deepEqual(service.ports.map((p) => p.target), [port], `${what}: container port = --port`);
          assert.match(service.healthcheck.join(' '), new RegExp(`//127\\.0\\.0\\.1:${port}/`), `${what}: healthcheck port`);
          continue;
        }
        const configPath = parsed.options.config as string | undefined;
        assert.ok(configPath !== undefined, `${what}: --config`);
        const mount = service.mounts.find((m) => m.target === configPath);
        assert.ok(mount !== undefined, `${what}: ${configPath} is mounted`);
        assert.equal(mount.source, configFile);
        const env = Object.fromEntries(Object.entries(service.environment).filter(([key]) => key.startsWith(PREFIX)));
        const config = effectiveConfig(readFileSync(mount.source, 'utf8'), env, what);
        assertEnvKeysExist(env, config, what);
        assertRunnable(parsed, config, what);

        assert.equal(config.http.host, '0.0.0.0', `${what}: http.host reachable from outside the container`);
        assert.deepEqual(service.ports.map((p) => p.target), [config.http.port], `${what}: container port = http.port`);
        assert.ok(service.ports.every((p) => p.hostIp === '127.0.0.1'), `${what}: host ports bound to 127.0.0.1`);
        assert.match(service.healthcheck.join(' '), new RegExp(`'http://127\\.0\\.0\\.1:${config.http.port}/readyz'`), `${what}: healthcheck calls /readyz on http.port`);

        // Endpoints: the services of this file, on their container ports.
        const kafka = services.get('kafka') as ComposeService;
        const advertised = kafka.environment.KAFKA_ADVERTISED_LISTENERS ?? '';
        for (const broker of config.kafka.brokers) assert.ok(advertised.split(',').some((listener) => listener.endsWith(`://${broker}`)), `${what}: broker ${broker} is an advertised listener (${advertised})`);
        assert.ok(config.kafka.replicationFactor <= 1, `${what}: one broker`);
        const registry = new URL(config.schemaRegistry.url);
        assert.equal(registry.hostname, 'schema-registry');
        assert.ok(services.get('schema-registry')?.ports.some((p) => p.target === httpPortOf(config.schemaRegistry.url, what)), `${what}: registry port`);
        assert.match(registry.pathname, /^\/apis\/ccompat\/v7\/?$/);

        if (running === 'source') {
          assert.ok(!Object.keys(env).some((key) => key.startsWith(`${PREFIX}CLICKHOUSE__`)), `${what}: no ClickHouse secret in the source`);
          const baseUrl = new URL(config.bookeo.baseUrl);
          if (scenario.vars.BOOKEO_BASE_URL === undefined) {
            const simulator = services.get('simulator') as ComposeService;
            assert.equal(baseUrl.hostname, 'simulator');
            assert.equal(httpPortOf(config.bookeo.baseUrl, what), simulator.ports[0]?.target);
            assert.equal(config.bookeo.secretKey, 'demo-secret-key', 'the simulator default secret key');
            assert.deepEqual(config.bookeo.accounts.map((a) => a.apiKey), ['demo-api-key']);
          } else {
            assert.equal(config.bookeo.baseUrl, scenario.vars.BOOKEO_BASE_URL);
            assert.equal(config.bookeo.secretKey, scenario.vars.BOOKEO_SECRET_KEY);
            assert.equal(services.get('simulator')?.replicas, 0);
          }
        } else {
          assert.ok(!Object.keys(env).some((key) => key.startsWith(`${PREFIX}BOOKEO__`)), `${what}: no Bookeo secret in a sink`);
          const clickhouse = services.get('clickhouse') as ComposeService;
          assert.equal(new URL(config.clickhouse.url).hostname, 'clickhouse');
          assert.ok(clickhouse.ports.some((p) => p.target === httpPortOf(config.clickhouse.url, what)), `${what}: ClickHouse HTTP port`);
          assert.equal(config.clickhouse.username, clickhouse.environment.CLICKHOUSE_USER);
          assert.equal(config.clickhouse.password, clickhouse.environment.CLICKHOUSE_PASSWORD);
          assert.equal(config.clickhouse.database, clickhouse.environment.CLICKHOUSE_DB);
        }
      }
      const source = services.get('source') as ComposeService;
      const sink = services.get('sink-clickhouse') as ComposeService;
      assert.notEqual(source.ports[0]?.published, sink.ports[0]?.published, 'source and sink publish different host ports');
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
        assert.deepEqual(other.mounts.filter((m) => m.source.startsWith('/')), service.mounts.filter((m) => m.source.startsWith('/')), `${what} bind mounts`);
        assert.equal(other.replicas, service.replicas, `${what} replicas`);
      }
    }
  });
});

describe('kubernetes', () => {
  const kustomization = obj(yamlDocuments(join(k8sDir, 'kustomization.yaml'))[0], 'kustomization.yaml');

  /** The manifests as `kubectl apply -k` would send them, assembled from the kustomization (no hash suffixes). */
  function manifests(): JsonObject[] {
    const docs = arr(kustomization.resources, 'resources').flatMap((file) => yamlDocuments(join(k8sDir, String(file))).map((doc) => obj(doc, String(file))));
    for (const generator of arr(kustomization.configMapGenerator ?? [], 'configMapGenerator').map((g) => obj(g, 'generator'))) {
      const data: JsonObject = {};
      for (const file of arr(generator.files, 'files')) data[basename(String(file))] = readFileSync(join(k8sDir, String(file)), 'utf8');
      docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: String(generator.name) }, data });
    }
    return docs;
  }

  const docs = manifests();
  const secret = obj(yamlDocuments(join(k8sDir, 'secret.example.yaml'))[0], 'secret.example.yaml');
  const secretData = obj(secret.stringData, 'stringData');
  const deployments = docs.filter((doc) => doc.kind === 'Deployment' || doc.kind === 'StatefulSet');
  const services = docs.filter((doc) => doc.kind === 'Service');

  it('has the source, a ClickHouse sink, their Services and the configuration; the Secret stays out of the kustomization', () => {
    assert.deepEqual(deployments.map((d) => obj(d.metadata, 'metadata').name).sort(), ['bookeo-connect-sink-clickhouse', 'bookeo-connect-source']);
    assert.equal(services.length, 2);
    assert.ok(!docs.some((doc) => doc.kind === 'Secret'), 'placeholders are never applied by kubectl apply -k');
    assert.ok(!docs.some((doc) => isObject(doc.metadata) && 'namespace' in doc.metadata), 'namespace-less');
  });

  for (const deployment of deployments) {
    const name = String(obj(deployment.metadata, 'metadata').name);
    it(`${name}: command, configuration (ConfigMap + Secret placeholders), ports, probes and limits agree with the code`, async () => {
      const spec = obj(deployment.spec, `${name}.spec`);
      const template = obj(spec.template, 'template');
      const pod = obj(template.spec, 'pod spec');
      const annotations = obj(obj(template.metadata, 'template.metadata').annotations, 'annotations');
      const containers = arr(pod.containers, 'containers').map((c) => obj(c, 'container'));
      assert.equal(containers.length, 1);
      const container = containers[0] as JsonObject;
      assert.equal(container.image, 'bookeo-connect', 'the image name kustomization.yaml `images:` rewrites');
      assert.ok(arr(kustomization.images, 'images').some((image) => obj(image, 'image').name === 'bookeo-connect'));

      const parsed = await parseCli(cli, arr(container.args, 'args').map(String));
      assert.ok(LONG_RUNNING.has(parsed.path.join(' ')), `${name} runs a long-running command`);
      const configPath = String(parsed.options.config);
      const mount = arr(container.volumeMounts, 'volumeMounts').map((m) => obj(m, 'mount')).find((m) => configPath.startsWith(`${String(m.mountPath)}/`));
      assert.ok(mount !== undefined, `${configPath} is mounted`);
      const volume = arr(pod.volumes, 'volumes').map((v) => obj(v, 'volume')).find((v) => v.name === mount.name);
      const configMapName = String(obj(volume?.configMap, 'configMap volume').name);
      const configMap = docs.find((doc) => doc.kind === 'ConfigMap' && obj(doc.metadata, 'metadata').name === configMapName);
      assert.ok(configMap !== undefined, `ConfigMap ${configMapName} exists`);
      const configText = String(obj(configMap.data, 'data')[configPath.slice(String(mount.mountPath).length + 1)]);

      const env: Record<string, string> = {};
      for (const entry of arr(container.env ?? [], 'env').map((e) => obj(e, 'env'))) {
        const key = String(entry.name);
        if (entry.value !== undefined) env[key] = String(entry.value);
        else {
          const ref = obj(obj(entry.valueFrom, `${key}.valueFrom`).secretKeyRef, `${key}.secretKeyRef`);
          assert.equal(ref.name, obj(secret.metadata, 'metadata').name, `${key} reads the Secret of secret.example.yaml`);
          const value = secretData[String(ref.key)];
          if (value === undefined) assert.equal(ref.optional, true, `${key}: key ${String(ref.key)} is in secret.example.yaml`);
          else env[key] = String(value);
        }
      }
      const ours = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith(PREFIX)));
      const config = effectiveConfig(configText, ours, name);
      assertEnvKeysExist(ours, config, name);
      assertRunnable(parsed, config, name);
      // Without the optional keys (e.g. no bearer token), the configuration is valid as well.
      effectiveConfig(configText, Object.fromEntries(Object.entries(ours).filter(([key]) => key !== `${PREFIX}HTTP__BEARER_TOKEN`)), `${name} without the optional secrets`);

      // One port: http.port, named "ops", used by every probe, the scrape annotation and the Service.
      assert.equal(config.http.host, '0.0.0.0', `${name}: http.host reachable by probes and Prometheus`);
      const ports = arr(container.ports, 'ports').map((p) => obj(p, 'port'));
      assert.deepEqual(ports.map((p) => Number(p.containerPort)), [config.http.port]);
      const portByName = new Map(ports.map((p) => [String(p.name), Number(p.containerPort)]));
      const resolvePort = (port: Json | undefined): number => (typeof port === 'number' ? port : (portByName.get(String(port)) ?? assert.fail(`no port named ${String(port)}`)));
      for (const [probe, path] of [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        const httpGet = obj(obj(container[probe], probe).httpGet, `${probe}.httpGet`);
        assert.equal(httpGet.path, path, `${name} ${probe} path`);
        assert.equal(resolvePort(httpGet.port), config.http.port, `${name} ${probe} port`);
      }
      assert.equal(annotations['prometheus.io/scrape'], 'true');
      assert.equal(Number(annotations['prometheus.io/port']), config.http.port);
      assert.equal(annotations['prometheus.io/path'], '/metrics');
      const labels = obj(obj(template.metadata, 'template.metadata').labels, 'labels');
      const service = services.find((s) => Object.entries(obj(obj(s.spec, 'service spec').selector, 'selector')).every(([key, value]) => labels[key] === value));
      assert.ok(service !== undefined, `a Service selects ${name}`);
      for (const port of arr(obj(service.spec, 'service spec').ports, 'service ports').map((p) => obj(p, 'service port'))) {
        assert.equal(resolvePort(port.targetPort ?? port.port), config.http.port, `${name} Service targetPort`);
      }

      // Security: non-root (the Dockerfile's uid), read-only root filesystem, no privilege escalation.
      const podSecurity = obj(pod.securityContext, 'pod securityContext');
      const containerSecurity = obj(container.securityContext, 'container securityContext');
      const dockerUser = /^USER (\d+)/m.exec(readFileSync(join(deploy, 'docker', 'Dockerfile'), 'utf8'));
      assert.equal(podSecurity.runAsNonRoot, true);
      assert.equal(podSecurity.runAsUser, Number(dockerUser?.[1]));
      assert.equal(containerSecurity.readOnlyRootFilesystem, true);
      assert.equal(containerSecurity.allowPrivilegeEscalation, false);
      assert.equal(pod.automountServiceAccountToken, false);

      // Memory: 1Gi limits (measured peaks ≈ 400 MB source, ≈ 850 MB sink), V8's heap below them.
      const resources = obj(container.resources, 'resources');
      assert.equal(obj(resources.limits, 'limits').memory, '1Gi');
      assert.ok(obj(resources.requests, 'requests').memory !== undefined);
      const heap = /--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '');
      assert.ok(heap !== null && Number(heap[1]) < 1024, `${name}: --max-old-space-size under the 1Gi limit`);

      if (parsed.path[0] === 'source') {
        assert.equal(spec.replicas, 1, 'one source: its transactional ids fence a second instance');
        assert.equal(obj(spec.strategy, 'strategy').type, 'Recreate');
      } else {
        assert.ok(Number(spec.replicas) >= 1 && Number(spec.replicas) <= config.kafka.partitions, 'sink replicas <= kafka.partitions');
        assert.ok(Number(pod.terminationGracePeriodSeconds) * 1000 > config.sink.shutdownTimeoutMs, 'the grace period outlasts sink.shutdownTimeoutMs');
      }
    });
  }

  it('servicemonitor.yaml scrapes the Services’ ops port on /metrics', () => {
    const monitor = obj(yamlDocuments(join(k8sDir, 'servicemonitor.yaml'))[0], 'servicemonitor.yaml');
    const endpoints = arr(obj(monitor.spec, 'spec').endpoints, 'endpoints').map((e) => obj(e, 'endpoint'));
    const selector = obj(obj(obj(monitor.spec, 'spec').selector, 'selector').matchLabels, 'matchLabels');
    for (const service of services) {
      const labels = obj(obj(service.metadata, 'metadata').labels, 'labels');
      assert.ok(Object.entries(selector).every(([key, value]) => labels[key] === value), 'the ServiceMonitor selects every Service');
      const portNames = arr(obj(service.spec, 'spec').ports, 'ports').map((p) => obj(p, 'port').name);
      for (const endpoint of endpoints) assert.ok(portNames.includes(endpoint.port as string), `port ${String(endpoint.port)}`);
    }
    assert.ok(endpoints.every((endpoint) => endpoint.path === '/metrics'));
  });

  it('kubectl kustomize renders the same objects', (t) => {
    const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.skip('no kubectl here: deploy/k8s assembled from kustomization.yaml by this test only');
      return;
    }
    const rendered = spawnSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8' });
    assert.equal(rendered.status, 0, rendered.stderr);
    const objects = parseAllDocuments(rendered.stdout).map((doc) => obj(doc.toJS(), 'rendered'));
    // configMapGenerator appends a content hash to the ConfigMap's name (and to its references).
    const key = (doc: JsonObject): string => {
      const name = String(obj(doc.metadata, 'metadata').name);
      return `${String(doc.kind)}/${doc.kind === 'ConfigMap' ? name.replace(/-[a-z0-9]{10}$/, '') : name}`;
    };
    assert.deepEqual(objects.map(key).sort(), docs.map(key).sort());
    for (const doc of objects.filter((o) => o.kind === 'Deployment')) {
      const container = obj(arr(obj(obj(obj(doc.spec, 'spec').template, 'template').spec, 'pod').containers, 'containers')[0], 'container');
      assert.match(String(container.image), /\/bookeo-connect:[\w.-]+$/, 'images: rewrote the image');
    }
  });
});

describe('Grafana dashboard', () => {
  const TARGET_LABELS = new Set(['job', 'instance', 'pod', 'namespace', 'container', 'service', 'endpoint']);
  /** `run` puts each sink's metrics in a registry labelled with its destination (pipeline/run.ts). */
  const RUN_SINK_LABELS = ['destination'];
  const dashboardText = readFileSync(join(deploy, 'grafana', 'bookeo-connect.json'), 'utf8');

  async function metricCatalog(): Promise<Map<string, { type: string; labels: readonly string[] }>> {
    const registry = createMetricsRegistry();
    createSourceMetrics(registry);
    createSinkMetrics(registry);
    const catalog = new Map<string, { type: string; labels: readonly string[] }>();
    for (const metric of await registry.getMetricsAsJSON()) {
      const labels = [...((registry.getSingleMetric(metric.name) as unknown as { labelNames?: readonly string[] }).labelNames ?? [])];
      if (metric.name.startsWith('bookeo_connect_sink_')) labels.push(...RUN_SINK_LABELS);
      catalog.set(metric.name, { type: String(metric.type), labels });
      if (String(metric.type) === 'histogram') {
        catalog.set(`${metric.name}_bucket`, { type: 'series', labels: [...labels, 'le'] });
        catalog.set(`${metric.name}_sum`, { type: 'series', labels });
        catalog.set(`${metric.name}_count`, { type: 'series', labels });
      }
    }
    return catalog;
  }

  /** Every PromQL text: panel targets and template variable queries. */
  function queries(): string[] {
    const found: string[] = [];
    const walk = (value: unknown, key: string): void => {
      if (typeof value === 'string' && (key === 'expr' || key === 'definition' || key === 'query')) found.push(value);
      else if (Array.isArray(value)) value.forEach((item) => walk(item, key));
      else if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(v, k);
    };
    walk(JSON.parse(dashboardText), '');
    return found;
  }

  it('uses only metric names and labels the source and sink registries define', async () => {
    const catalog = await metricCatalog();
    const texts = queries();
    assert.ok(texts.length >= 20, `found ${texts.length} queries`);
    for (const text of texts) {
      const names = [...text.matchAll(/\bbookeo_connect_[a-z0-9_]+\b/g)].map((m) => m[0]);
      assert.ok(names.length > 0, `query uses a bookeo-connect metric: ${text}`);
      const allowed = new Set(TARGET_LABELS);
      for (const name of names) {
        const metric = catalog.get(name);
        assert.ok(metric !== undefined, `${name} is not a metric of the code (query: ${text})`);
        for (const label of metric.labels) allowed.add(label);
      }
      const used = [
        ...[...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...(m[1] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] as string)),
        ...[...text.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => (m[1] as string).split(',').map((l) => l.trim()).filter(Boolean)),
        ...[...text.matchAll(/label_values\([^,]*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g)].map((m) => m[1] as string),
      ];
      for (const label of used) assert.ok(allowed.has(label), `label ${label} does not exist on ${names.join(', ')} (query: ${text})`);
    }
  });

  it('legends name only labels the series have', async () => {
    const catalog = await metricCatalog();
    const dashboard = obj(JSON.parse(dashboardText), 'dashboard');
    for (const panel of arr(dashboard.panels, 'panels').map((p) => obj(p, 'panel')).filter((p) => p.type !== 'row')) {
      for (const target of arr(panel.targets, 'targets').map((t) => obj(t, 'target'))) {
        const expr = String(target.expr);
        const grouping = /^\s*\w+\s+by\s*\(([^)]*)\)/.exec(expr) ?? /^\s*histogram_quantile\([^,]+,\s*sum by \(([^)]*)\)/.exec(expr);
        const available = grouping === null ? new Set([...TARGET_LABELS, ...[...expr.matchAll(/\bbookeo_connect_[a-z0-9_]+\b/g)].flatMap((m) => catalog.get(m[0])?.labels ?? [])]) : new Set((grouping[1] as string).split(',').map((l) => l.trim()));
        for (const match of String(target.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
          assert.ok(available.has(match[1] as string), `${String(panel.title)}: legend {{${match[1] as string}}} is not a label of ${expr}`);
        }
      }
    }
  });

  it('shows every source and sink metric (freshness, API calls, 429s, retries, records, transactions, batches, writes, lag, DLQ)', async () => {
    const registry = createMetricsRegistry();
    const defaults = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    createSourceMetrics(registry);
    createSinkMetrics(registry);
    const connector = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((name) => !defaults.has(name));
    assert.ok(connector.length >= 15);
    const text = queries().join('\n');
    for (const name of connector) assert.match(text, new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`), `${name} is on the dashboard`);
  });
});
