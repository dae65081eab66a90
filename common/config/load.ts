/**
 * Loads the configuration once, at the edge: a JSON or YAML file, then environment overrides, then
 * validation of the whole tree. Every problem is reported at once with its key, what was expected
 * and what was found (secrets masked); the result is deeply frozen.
 *
 * Environment overrides: `BOOKEO_CONNECT__<SECTION>__<KEY>=value`, segments in SNAKE_CASE mapped to
 * camelCase (`BOOKEO_CONNECT__SCHEMA_REGISTRY__URL` → `schemaRegistry.url`). A value that parses as
 * JSON is used as such (numbers, booleans, arrays, objects), anything else as a string.
 * `<VARIABLE>_FILE=/path` sets the same key from a file, and `${file:/path}` in any string value
 * (file or environment) is replaced by a file's content (file-values.ts).
 *
 * No error shows a secret, whatever way it came: secret keys, values read from files, secrets
 * written inside text (a malformed JSON value, a parse error's snippet) and URL passwords are masked.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { MASK, isSecretKey, maskSecrets, maskSecretsInText } from '../secrets.js';
import {
  emptyFileValues,
  isFromFile,
  readTextFile,
  readValueFile,
  resolveFileReferences,
  type FileValues,
  type ReadTextFile,
} from './file-values.js';
import { configSchema, type AppConfig } from './schema.js';

export const ENV_PREFIX = 'BOOKEO_CONNECT__';
/** `BOOKEO_CONNECT__BOOKEO__SECRET_KEY_FILE=/path`: the key `bookeo.secretKey`, read from the file. */
export const FILE_SUFFIX = '_FILE';

export interface LoadConfigOptions {
  /** Path of a .json, .yaml or .yml file; optional (defaults + environment alone are valid). */
  readonly file?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** How `_FILE` variables and `${file:…}` references are read (default: the file system). */
  readonly readFile?: ReadTextFile;
}

export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const source = options.file ?? 'configuration';
  const readFile = options.readFile ?? readTextFile;
  const fromFile = options.file === undefined ? {} : readConfigFile(options.file);
  const fileValues = emptyFileValues();
  const merged = overrideFromEnv(fromFile, options.env ?? process.env, readFile, fileValues);
  const resolved = resolveFileReferences(merged, readFile, fileValues);
  if (fileValues.problems.length > 0) throw new ConfigError(fileValues.problems, source);
  return validateConfig(resolved, source, fileValues.fromFiles);
}

/** `fromFiles`: dotted keys whose values were read from files; an error about them shows the mask. */
export function validateConfig(
  raw: unknown,
  source = 'configuration',
  fromFiles: ReadonlySet<string> = new Set(),
): AppConfig {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success)
    throw new ConfigError(
      result.error.issues.map((issue) => toProblem(issue, fromFiles)),
      source,
    );
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
          // A parse error may quote the line it failed on: whatever secret it shows is masked.
          found: maskSecretsInText((error as Error).message.split('\n')[0] ?? 'a parse error'),
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

/** The file's tree with the environment's overrides applied (`_FILE` variables read); every unreadable file is a ConfigError. */
export function applyEnvOverrides(
  base: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  readFile: ReadTextFile = readTextFile,
): Record<string, unknown> {
  const fileValues = emptyFileValues();
  const result = overrideFromEnv(base, env, readFile, fileValues);
  if (fileValues.problems.length > 0) throw new ConfigError(fileValues.problems);
  return result;
}

function overrideFromEnv(
  base: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  readFile: ReadTextFile,
  fileValues: FileValues,
): Record<string, unknown> {
  const result = structuredClone(base);
  for (const [name, value] of Object.entries(env)) {
    // An empty variable is unset (compose and k8s templates leave optional ones empty).
    if (!name.startsWith(ENV_PREFIX) || value === undefined || value === '') continue;
    const target = envTarget(name);
    if (target === undefined) continue;
    const { path, fromFile } = target;
    const key = path.join('.');
    let text = value;
    if (fromFile) {
      const twin = name.slice(0, -FILE_SUFFIX.length);
      if (env[twin] !== undefined && env[twin] !== '') {
        fileValues.problems.push({ key, expected: `either ${twin} or ${name}, not both`, found: 'both' });
        continue;
      }
      const read = readValueFile(value, `${key} (${name})`, readFile);
      if ('problem' in read) {
        fileValues.problems.push(read.problem);
        continue;
      }
      text = read.value;
      fileValues.fromFiles.add(key);
    }
    let cursor: Record<string, unknown> = result;
    for (const segment of path.slice(0, -1)) {
      const next = cursor[segment];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) cursor[segment] = {};
      cursor = cursor[segment] as Record<string, unknown>;
    }
    const last = path[path.length - 1] as string;
    // Secrets are text whatever they look like: a password "12345" or "true" must stay a string.
    cursor[last] = isSecretKey(last) ? text : parseEnvValue(text);
  }
  return result;
}

/** The key a variable sets, and whether its value is the path of a file holding the value. */
function envTarget(name: string): { path: string[]; fromFile: boolean } | undefined {
  const path = name.slice(ENV_PREFIX.length).split('__').filter(Boolean).map(snakeToCamel);
  if (path.length === 0) return undefined;
  const last = name.slice(name.lastIndexOf('__') + 2);
  // A key whose own name ends in "File" is set as such; only other names take the suffix as "read from".
  if (!last.endsWith(FILE_SUFFIX) || last === FILE_SUFFIX.slice(1) || isSchemaKey(path))
    return { path, fromFile: false };
  return { path: [...path.slice(0, -1), snakeToCamel(last.slice(0, -FILE_SUFFIX.length))], fromFile: true };
}

/** Whether the dotted path names a key of the configuration schema (through defaults, optionals, lists as text). */
function isSchemaKey(path: readonly string[]): boolean {
  let schema: z.core.$ZodType | undefined = configSchema;
  for (const segment of path) {
    schema = schema === undefined ? undefined : objectShape(schema)?.[segment];
    if (schema === undefined) return false;
  }
  return true;
}

function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const def = schema._zod.def as {
    type: string;
    innerType?: z.core.$ZodType;
    out?: z.core.$ZodType;
    shape?: Record<string, z.core.$ZodType>;
  };
  if (def.type === 'object') return def.shape;
  const inner = def.innerType ?? def.out;
  return inner === undefined ? undefined : objectShape(inner);
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function toProblem(issue: z.core.$ZodIssue, fromFiles: ReadonlySet<string>): ConfigProblem {
  const path = issue.path.map(String);
  const secret = path.some((segment) => isSecretKey(segment)) || isFromFile(path, fromFiles);
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
    found: secret && issue.input !== undefined ? MASK : describeFound(issue.input),
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

/** What was found, shown with every secret inside it masked (a list of accounts, text meant as JSON). */
function describeFound(input: unknown): string {
  if (input === undefined) return 'nothing';
  const masked = typeof input === 'string' ? maskSecretsInText(input) : maskSecrets(input);
  const text = JSON.stringify(masked) ?? String(masked);
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
