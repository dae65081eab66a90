/**
 * Shared by the deploy-*.test.ts files: reading the deploy files (YAML, dotenv, compose
 * interpolation) and the real CLI parser and config loader they are checked against.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { applyEnvOverrides, validateConfig } from '../../common/config/load.js';
import { type AppConfig } from '../../common/config/schema.js';
import { bookeoConfigProblems } from '../../bookeo/config-problems.js';
import { DESTINATIONS } from '../../sinks/runner/destinations.js';

export const root = resolve(import.meta.dirname, '..', '..');
export const deploy = join(root, 'deploy');
export const composeDir = join(deploy, 'compose');
export const k8sDir = join(deploy, 'k8s');
export const PREFIX = 'BOOKEO_CONNECT__';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function obj(value: unknown, what: string): JsonObject {
  assert.ok(isObject(value), `${what}: expected an object, found ${JSON.stringify(value)}`);
  return value;
}

export function arr(value: unknown, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what}: expected a list, found ${JSON.stringify(value)}`);
  return value as Json[];
}

export function str(value: unknown, what: string): string {
  assert.equal(typeof value, 'string', `${what}: expected a string, found ${JSON.stringify(value)}`);
  return value as string;
}

export function filesUnder(dir: string, suffixes: readonly string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => suffixes.some((suffix) => file.endsWith(suffix)))
    .map((file) => join(dir, file))
    .sort();
}

/** Parses every document of a YAML file (merge keys on, as compose reads them); parse errors fail. */
export function yamlDocuments(path: string): Json[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    assert.deepEqual(
      doc.errors.map((error) => error.message),
      [],
      `${relative(root, path)} does not parse`,
    );
  }
  return list.map((doc) => doc.toJS({ maxAliasCount: 100 }) as Json).filter((doc) => doc !== null);
}

// ---------------------------------------------------------------------------------------------
// The configuration as a container sees it: file + environment through the real loader.

/** What loadConfig does with a file and an environment, with the file's text in hand. */
/** `readFile` answers for the files `_FILE` variables name (a mounted Secret or compose secret). */
export function effectiveConfig(
  fileText: string | undefined,
  env: Record<string, string>,
  what: string,
  readFile: (path: string) => string = (path) => assert.fail(`${what}: reads ${path}`),
): AppConfig {
  const fromFile = fileText === undefined ? {} : ((parseYaml(fileText) as Record<string, unknown> | null) ?? {});
  try {
    return validateConfig(applyEnvOverrides(fromFile, env, readFile), what);
  } catch (error) {
    assert.fail(`${what}: ${(error as Error).message}`);
  }
}

export function snakeToCamel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());
}

/** Every BOOKEO_CONNECT__ variable names a key of the schema (not merely "does not break validation"). */
export function assertEnvKeysExist(
  env: Record<string, string>,
  config: AppConfig,
  what: string,
  readFile?: (path: string) => string,
): void {
  for (const name of Object.keys(env).filter((key) => key.startsWith(PREFIX))) {
    // A `_FILE` variable names the key of its twin: the loader set that key from the file.
    const twin = readFile !== undefined && name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : name;
    const path = twin.slice(PREFIX.length).split('__').filter(Boolean).map(snakeToCamel);
    let cursor: unknown = config;
    for (const segment of path) {
      assert.ok(
        isObject(cursor) && segment in cursor,
        `${what}: ${name} maps to ${path.join('.')}, which is not a configuration key`,
      );
      cursor = cursor[segment];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The command line: the program cli/main.ts runs, parsed by commander for real.

export interface ParsedCommand {
  /** e.g. ['sink', 'run'] */
  readonly path: readonly string[];
  readonly args: readonly unknown[];
  readonly options: Record<string, unknown>;
}

export function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

export function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let cursor: Command | null = command; cursor?.parent != null; cursor = cursor.parent)
    names.unshift(cursor.name());
  return names;
}

/** Parses argv the way the binary would, without running anything. */
export async function parseCli(program: Command, argv: readonly string[]): Promise<ParsedCommand> {
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
export function assertRunnable(parsed: ParsedCommand, config: AppConfig | undefined, what: string): void {
  const name = parsed.path.join(' ');
  if (name === 'source' || name === 'run') {
    assert.ok(config !== undefined, `${what}: ${name} needs a configuration`);
    assert.deepEqual(bookeoConfigProblems(config), [], `${what}: the source's own configuration checks`);
  }
  if (name === 'sink run')
    assert.ok(
      String(parsed.args[0]) in DESTINATIONS,
      `${what}: destination ${String(parsed.args[0])} is one of ${Object.keys(DESTINATIONS).join(', ')}`,
    );
  if (name === 'run') {
    for (const destination of parsed.options.destination as string[])
      assert.ok(destination in DESTINATIONS, `${what}: destination ${destination}`);
  }
}

export const LONG_RUNNING = new Set(['source', 'sink run', 'run']);

// ---------------------------------------------------------------------------------------------
// Compose: the model after interpolation, computed here and (when available) by docker compose.

/** Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}. */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
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
      const [, name, colon, operator, rest] = match as unknown as [
        string,
        string,
        string | undefined,
        string | undefined,
        string | undefined,
      ];
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

export function interpolateDeep(value: Json, vars: Readonly<Record<string, string>>): Json {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]));
  return value;
}

/** A .env file's assignments: NAME=value, 'literal', "quoted". */
export function parseDotenv(text: string): Record<string, string> {
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

export interface ComposeService {
  readonly image: string | undefined;
  readonly command: string[];
  readonly environment: Record<string, string>;
  readonly ports: Array<{ hostIp: string; published: string; target: number }>;
  readonly healthcheck: string[];
  readonly mounts: Array<{ source: string; target: string }>;
  readonly replicas: number;
  readonly raw: JsonObject;
}

export function normalizeService(raw: JsonObject, name: string): ComposeService {
  const environment: Record<string, string> = {};
  const env = raw.environment ?? {};
  if (Array.isArray(env)) {
    for (const entry of env) {
      const [key, ...rest] = str(entry, `${name}.environment`).split('=');
      environment[key as string] = rest.join('=');
    }
  } else {
    for (const [key, value] of Object.entries(obj(env, `${name}.environment`)))
      environment[key] = value === null ? '' : String(value);
  }
  const ports = arr(raw.ports ?? [], `${name}.ports`).map((port) => {
    if (isObject(port))
      return {
        hostIp: String(port.host_ip ?? ''),
        published: String(port.published ?? ''),
        target: Number(port.target),
      };
    const parts = String(port).split(':');
    const target = Number(parts.pop());
    const published = parts.pop() ?? '';
    return { hostIp: parts.join(':'), published, target };
  });
  const mounts = arr(raw.volumes ?? [], `${name}.volumes`).map((volume) => {
    if (isObject(volume)) return { source: String(volume.source), target: String(volume.target) };
    const [source, target] = String(volume).split(':');
    return {
      source: (source as string).startsWith('.') ? resolve(composeDir, source as string) : (source as string),
      target: target as string,
    };
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

export function composeModel(vars: Readonly<Record<string, string>>): Map<string, ComposeService> {
  const [doc] = yamlDocuments(join(composeDir, 'compose.yaml'));
  const services = obj(obj(interpolateDeep(doc as Json, vars), 'compose.yaml').services, 'services');
  return new Map(Object.entries(services).map(([name, raw]) => [name, normalizeService(obj(raw, name), name)]));
}

/** The top-level `secrets:` of compose.yaml: name → absolute path of the file it mounts. */
export function composeSecretFiles(vars: Readonly<Record<string, string>>): Map<string, string> {
  const [doc] = yamlDocuments(join(composeDir, 'compose.yaml'));
  const secrets = obj(obj(interpolateDeep(doc as Json, vars), 'compose.yaml').secrets ?? {}, 'secrets');
  return new Map(
    Object.entries(secrets).map(([name, raw]) => [name, resolve(composeDir, String(obj(raw, name).file))]),
  );
}

export function findDockerCompose(): string[] | undefined {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const probe = spawnSync(candidate[0] as string, [...candidate.slice(1), 'version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** `docker compose config` with exactly these variables (no shell environment, no .env of the developer). */
export function dockerComposeModel(
  compose: readonly string[],
  vars: Readonly<Record<string, string>>,
  scratch: string,
): Map<string, ComposeService> {
  const envFile = join(scratch, `env-${Object.keys(vars).length}`);
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([key, value]) => `${key}='${value}'\n`)
      .join(''),
  );
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() };
  if (process.env.DOCKER_CONFIG !== undefined) env.DOCKER_CONFIG = process.env.DOCKER_CONFIG;
  const result = spawnSync(
    compose[0] as string,
    [
      ...compose.slice(1),
      '--project-directory',
      composeDir,
      '-f',
      join(composeDir, 'compose.yaml'),
      '--env-file',
      envFile,
      'config',
      '--format',
      'json',
    ],
    { encoding: 'utf8', env },
  );
  assert.equal(result.status, 0, `docker compose config failed:\n${result.stderr}`);
  const services = obj(obj(JSON.parse(result.stdout), 'docker compose config').services, 'services');
  return new Map(Object.entries(services).map(([name, raw]) => [name, normalizeService(obj(raw, name), name)]));
}

export const EXAMPLE_VARS = parseDotenv(
  readFileSync(join(composeDir, '.env.example'), 'utf8').replace(/^# ?(?=[A-Za-z_][A-Za-z0-9_]*=)/gm, ''),
);
export const SCENARIOS: ReadonlyArray<{ name: string; vars: Record<string, string> }> = [
  { name: 'defaults (simulator, no .env)', vars: {} },
  { name: 'every variable of .env.example set', vars: EXAMPLE_VARS },
];

export function httpPortOf(urlText: string, what: string): number {
  const url = new URL(urlText);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80)) || assert.fail(`${what}: no port in ${urlText}`);
}
