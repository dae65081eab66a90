/**
 * Loads the configuration once, at the edge: a JSON or YAML file, then environment overrides, then
 * validation of the whole tree. Every problem is reported at once with its key, what was expected
 * and what was found (secrets masked); the result is deeply frozen.
 *
 * Environment overrides: `BOOKEO_CONNECT__<SECTION>__<KEY>=value`, segments in SNAKE_CASE mapped to
 * camelCase (`BOOKEO_CONNECT__SCHEMA_REGISTRY__URL` → `schemaRegistry.url`). A value that parses as
 * JSON is used as such (numbers, booleans, arrays, objects), anything else as a string.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { MASK, isSecretKey, maskUrlPassword } from '../secrets.js';
import { configSchema, type AppConfig } from './schema.js';

export const ENV_PREFIX = 'BOOKEO_CONNECT__';

export interface LoadConfigOptions {
  /** Path of a .json, .yaml or .yml file; optional (defaults + environment alone are valid). */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const fromFile = options.file === undefined ? {} : readConfigFile(options.file);
  const merged = applyEnvOverrides(fromFile, options.env ?? process.env);
  return validateConfig(merged, options.file ?? 'configuration');
}

export function validateConfig(raw: unknown, source = 'configuration'): AppConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(result.error.issues.map(toProblem), source);
  return deepFreeze(result.data);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      [
        {
          key: '(file)',
          expected: 'a readable configuration file',
          found: `${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        },
      ],
      path,
    );
  }
  let parsed: unknown;
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      [
        {
          key: '(file)',
          expected: 'valid JSON or YAML',
          found: (error as Error).message.split('\n')[0] ?? 'a parse error',
        },
      ],
      path,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      [
        {
          key: '(file)',
          expected: 'an object at the top level',
          found: Array.isArray(parsed) ? 'an array' : typeof parsed,
        },
      ],
      path,
    );
  }
  return parsed as Record<string, unknown>;
}

function snakeToCamel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());
}

export function applyEnvOverrides(base: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const result = structuredClone(base);
  for (const [name, value] of Object.entries(env)) {
    // An empty variable is unset (compose and k8s templates leave optional ones empty).
    if (!name.startsWith(ENV_PREFIX) || value === undefined || value === '') continue;
    const path = name.slice(ENV_PREFIX.length).split('__').filter(Boolean).map(snakeToCamel);
    if (path.length === 0) continue;
    let cursor: Record<string, unknown> = result;
    for (const segment of path.slice(0, -1)) {
      const next = cursor[segment];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) cursor[segment] = {};
      cursor = cursor[segment] as Record<string, unknown>;
    }
    const key = path[path.length - 1] as string;
    // Secrets are text whatever they look like: a password "12345" or "true" must stay a string.
    cursor[key] = isSecretKey(key) ? value : parseEnvValue(value);
  }
  return result;
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path.map(String);
  const secret = path.some((segment) => isSecretKey(segment));
  if (issue.code === 'unrecognized_keys') {
    const prefix = path.length > 0 ? `${path.join('.')}.` : '';
    return {
      key: issue.keys.map((key) => prefix + key).join(', '),
      expected: 'no unknown keys (check spelling)',
      found: 'unknown key',
    };
  }
  return {
    key: path.length > 0 ? path.join('.') : '(root)',
    expected: describeExpectation(issue),
    found: secret ? MASK : maskUrlPassword(describeFound(issue.input)),
  };
}

function describeExpectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'too_small':
      return `${issue.origin === 'string' ? 'length ' : issue.origin === 'array' ? 'at least ' : ''}${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`.replace(
        'at least >=',
        'at least',
      );
    case 'too_big':
      return `${issue.origin === 'string' ? 'length ' : ''}${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? issue.message : `a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

function describeFound(input: unknown): string {
  if (input === undefined) return 'nothing';
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Extra rules a command adds on top of the schema, reported the same way. */
export function requireConfig(
  config: AppConfig,
  checks: ReadonlyArray<(config: AppConfig) => ConfigProblem | undefined>,
  source = 'configuration',
): void {
  const problems = checks
    .map((check) => check(config))
    .filter((problem): problem is ConfigProblem => problem !== undefined);
  if (problems.length > 0) throw new ConfigError(problems, source);
}
